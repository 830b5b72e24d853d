// Handle the customer's return to success_url: confirm with Flowlix before fulfilling.
// Anyone can open /checkout/success?session_id=... in a browser, so the redirect proves nothing.
// Fulfil only when the session, fetched from the API, says it is paid.
// Node.js 20 or later, no packages: FLOWLIX_API_KEY=... node success_handler.mjs
const API_BASE = process.env.FLOWLIX_API_BASE ?? "https://api.flowlix.eu/v1";
const API_KEY = process.env.FLOWLIX_API_KEY;
if (!API_KEY) {
  console.error("FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.");
  process.exit(1);
}

class FlowlixError extends Error {
  constructor(status, error, requestId) {
    super(`${status} ${error.type} ${error.code} (request id ${requestId})`);
    Object.assign(this, { status, type: error.type, code: error.code, requestId });
  }
}

async function flowlix(method, path, { body, idempotencyKey } = {}) {
  const response = await fetch(API_BASE + path, {
    method,
    headers: {
      Authorization: `Bearer ${API_KEY}`,
      ...(body && { "Content-Type": "application/json" }),
      ...(idempotencyKey && { "Idempotency-Key": idempotencyKey }),
    },
    body: body && JSON.stringify(body),
    signal: AbortSignal.timeout(10_000), // never wait forever on the network
  });
  // Flowlix support finds any call by its request id: keep it in your logs.
  const requestId = response.headers.get("Flowlix-Request-Id");
  console.error(`${method} ${path} -> ${response.status} request_id=${requestId}`);
  const data = await response.json().catch(() => ({ error: { type: "api_error" } }));
  if (!response.ok) throw new FlowlixError(response.status, data.error, requestId);
  return data;
}

// The success_url handler: returns the text for the customer's confirmation page.
async function handleSuccessRedirect(queryString, orders) {
  const sessionId = new URLSearchParams(queryString).get("session_id") ?? "";
  if (!sessionId.startsWith("cs_")) return "We could not find your payment.";
  let session;
  try {
    session = await flowlix("GET", `/checkout/sessions/${encodeURIComponent(sessionId)}`);
  } catch (error) {
    if (error instanceof FlowlixError && error.status === 404) return "We could not find your payment.";
    throw error;
  }
  const order = orders[session.reference];
  if (!order || session.amount !== order.amount) {
    return "We could not match your payment to an order; our team will contact you.";
  }
  if (session.payment_status !== "paid") return "Your payment is not complete yet.";
  if (order.status !== "paid") {
    // Fulfil once, however often the page is reloaded.
    Object.assign(order, { status: "paid", paymentId: session.payment });
  }
  return `Thank you! Order ${session.reference} is confirmed.`;
}

// Test mode only: fill in the hosted page like a customer; returns where it redirects.
async function payOnHostedPage(pageUrl, cardForm) {
  // snippet-rules: idempotency-key (the customer's browser submits the hosted page form)
  const answer = await fetch(pageUrl, {
    method: "POST",
    body: new URLSearchParams(cardForm),
    redirect: "manual",
    signal: AbortSignal.timeout(10_000),
  });
  return answer.headers.get("Location") ?? "";
}

const orders = { "order-1234": { amount: 4999, status: "awaiting payment", paymentId: null } };
const cardForm = { card_number: "4111 1111 1111 1111", expiry: "12/30", cvc: "123" };
try {
  const session = await flowlix("POST", "/checkout/sessions", {
    body: {
      amount: 4999,
      currency: "EUR",
      reference: "order-1234",
      success_url: "http://localhost:8000/checkout/success",
      cancel_url: "http://localhost:8000/checkout/cancel",
    },
    idempotencyKey: "checkout-order-1234-1",
  });

  // A forged visit before paying does not fulfil anything.
  console.log(await handleSuccessRedirect(`session_id=${session.id}`, orders));

  const redirect = new URL(await payOnHostedPage(session.url, cardForm));
  console.log("redirected to:", redirect.pathname);
  console.log(await handleSuccessRedirect(redirect.search, orders));
  console.log(orders["order-1234"].status, orders["order-1234"].paymentId);
} catch (error) {
  console.error(error instanceof FlowlixError ? `Flowlix answered ${error.message}` : `could not reach Flowlix: ${error.cause?.code ?? error.cause?.message ?? error.message}`);
  process.exit(1);
}
// Output:
// Your payment is not complete yet.
// redirected to: /checkout/success
// Thank you! Order order-1234 is confirmed.
// paid pay_71x6BKLqDUwU407NLIlh9ETW
