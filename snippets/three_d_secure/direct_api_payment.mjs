// A Direct API payment that may need 3-D Secure: send a return_url; when the payment is
// requires_action, send the customer's browser to next_action.url; when the browser comes back,
// retrieve the payment and act on its status (the redirect back proves nothing).
// Node.js 20 or later, no packages: FLOWLIX_API_KEY=... node direct_api_payment.mjs
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
    this.declineCode = error.decline_code ?? null;
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
// Your return handler. Live: an https URL of your shop; test mode also takes http://localhost.
const RETURN_URL = process.env.SHOP_RETURN_URL ?? "http://localhost:8000/payments/return";

const GENERIC_MESSAGE = "Your card was declined. Please use a different card or contact your bank.";
const CUSTOMER_MESSAGES = {
  "authentication_failed": "We could not confirm this payment with your bank. Please try again or use a different card.",
  "insufficient_funds": "Your card has insufficient funds. Please use a different card.",
};

// Create the payment; returns what the checkout does next: fulfil, redirect or decline.
async function startPayment(order, card) {
  let payment;
  try {
    payment = await flowlix("POST", "/payments", {
      body: { amount: order.amount, currency: "EUR", card, reference: order.id, return_url: RETURN_URL },
      idempotencyKey: `payment-${order.id}-${order.attempt}`,
    });
  } catch (error) {
    if (error instanceof FlowlixError && error.type === "card_error") return { next: "decline", declineCode: error.declineCode };
    throw error;
  }
  order.paymentId = payment.id; // store it now: the return handler finds the order by it
  if (payment.status === "requires_action") {
    // Nothing is charged yet. Answer the customer's request with a 303 to this URL.
    return { next: "redirect", url: payment.next_action.url };
  }
  if (payment.status === "succeeded") return { next: "fulfil", threeDSecure: payment.three_d_secure };
  return { next: "decline", declineCode: payment.decline_code };
}

// --8<-- [start:return]
// The return_url handler: returns the text for the customer's page.
async function handleReturn(queryString, orders) {
  const paymentId = new URLSearchParams(queryString).get("payment_id") ?? "";
  // Only a payment this shop started: its id was stored with the order.
  const order = Object.values(orders).find((candidate) => candidate.paymentId === paymentId);
  if (!order || !paymentId.startsWith("pay_")) return "We could not find your payment.";
  const payment = await flowlix("GET", `/payments/${encodeURIComponent(paymentId)}`);
  if (payment.reference !== order.id || payment.amount !== order.amount) {
    return "We could not match your payment to an order; our team will contact you.";
  }
  if (payment.status === "succeeded") {
    if (order.status !== "paid") {
      // Fulfil once, however often the page is reloaded.
      Object.assign(order, { status: "paid", liabilityShift: payment.three_d_secure.liability_shift });
    }
    return `Thank you! Order ${order.id} is confirmed.`;
  }
  if (payment.status === "failed") {
    // Another try is a new payment attempt, with a new Idempotency-Key.
    Object.assign(order, { status: "awaiting payment", attempt: order.attempt + 1 });
    return CUSTOMER_MESSAGES[payment.decline_code] ?? GENERIC_MESSAGE;
  }
  // requires_action (back without answering) or a status added later: not paid.
  return "Your bank has not confirmed this payment yet.";
}

// --8<-- [end:return]

// Test mode only: press a button on the challenge page like the customer; returns where it redirects.
async function answerChallenge(pageUrl, buttonText) {
  const html = await (await fetch(pageUrl, { signal: AbortSignal.timeout(10_000) })).text();
  const form = new URLSearchParams();
  for (const [, name, value] of html.matchAll(/<input[^>]*\sname="([^"]+)"[^>]*\svalue="([^"]*)"/g)) form.set(name, value);
  const [, name, value] = [...html.matchAll(/<button[^>]*\sname="([^"]+)"[^>]*\svalue="([^"]*)"[^>]*>([^<]*)</g)]
    .find((button) => button[3].trim() === buttonText);
  form.set(name, value);
  const action = new URL(html.match(/<form[^>]*\saction="([^"]*)"/)[1], pageUrl);
  // snippet-rules: idempotency-key (the customer's browser submits the challenge form)
  const answer = await fetch(action, { method: "POST", body: form, redirect: "manual", signal: AbortSignal.timeout(10_000) });
  return answer.headers.get("Location") ?? "";
}

const card = { exp_month: 12, exp_year: 2030, cvc: "123" };
const orders = Object.fromEntries(
  ["order-3001", "order-3002", "order-3003", "order-4001", "order-4002"].map((id) => [
    id,
    { id, amount: 4999, attempt: 1, status: "awaiting payment", paymentId: null },
  ]),
);
try {
  // No challenge: a card without 3-D Secure, a frictionless approval, an issuer's exemption.
  for (const [orderId, number] of [["order-3001", "4111111111111111"], ["order-3002", "4000040000010122"], ["order-3003", "4000040000010148"]]) {
    const step = await startPayment(orders[orderId], { ...card, number });
    const secure = step.threeDSecure ?? { flow: null, liability_shift: false };
    console.log(`${orderId} -> ${step.next}; 3-D Secure: ${secure.flow}, liability shift: ${secure.liability_shift}`);
  }

  // A challenge: the customer completes it at their bank.
  let step = await startPayment(orders["order-4001"], { ...card, number: "4000040000010114" });
  console.log("order-4001 ->", step.next);
  // Back before answering the challenge (or a forged visit): nothing is fulfilled.
  console.log(await handleReturn(`payment_id=${orders["order-4001"].paymentId}`, orders));
  let redirect = new URL(await answerChallenge(step.url, "Complete authentication"));
  console.log("returned to:", redirect.pathname);
  console.log(await handleReturn(redirect.search, orders));
  console.log(orders["order-4001"].status, "liability shift:", orders["order-4001"].liabilityShift);

  // The customer fails the challenge: a customer-safe message, and a new attempt next time.
  step = await startPayment(orders["order-4002"], { ...card, number: "4000040000010114" });
  redirect = new URL(await answerChallenge(step.url, "Fail authentication"));
  console.log(await handleReturn(redirect.search, orders));
  console.log("order-4002 next attempt:", orders["order-4002"].attempt);

  console.log(await handleReturn("payment_id=pay_not_one_of_ours", orders));
} catch (error) {
  console.error(error instanceof FlowlixError ? `Flowlix answered ${error.message}` : `could not reach Flowlix: ${error.cause?.code ?? error.cause?.message ?? error.message}`);
  process.exit(1);
}
// Output:
// order-3001 -> fulfil; 3-D Secure: null, liability shift: false
// order-3002 -> fulfil; 3-D Secure: frictionless, liability shift: true
// order-3003 -> fulfil; 3-D Secure: exemption, liability shift: false
// order-4001 -> redirect
// Your bank has not confirmed this payment yet.
// returned to: /payments/return
// Thank you! Order order-4001 is confirmed.
// paid liability shift: true
// We could not confirm this payment with your bank. Please try again or use a different card.
// order-4002 next attempt: 2
// We could not find your payment.
