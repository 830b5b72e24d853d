// Retrieve a payment by the id you stored with the order.
// Node.js 20 or later, no packages: FLOWLIX_API_KEY=... node retrieve_payment.mjs
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

// --8<-- [start:focus]
// The payment, or null when this account has no payment with that id.
async function retrievePayment(paymentId) {
  try {
    return await flowlix("GET", `/payments/${encodeURIComponent(paymentId)}`);
  } catch (error) {
    if (error instanceof FlowlixError && error.status === 404) return null;
    throw error;
  }
}
// --8<-- [end:focus]

const card = { number: "5555555555554444", exp_month: 12, exp_year: 2030, cvc: "123" };
try {
  const created = await flowlix("POST", "/payments", {
    body: { amount: 2500, currency: "GBP", card, reference: "order-1234" },
    idempotencyKey: "payment-order-1234-1",
  });
  const payment = await retrievePayment(created.id);
  console.log(payment.id, payment.status, payment.amount, payment.currency);
  console.log("refunded so far:", payment.amount_refunded, "card ending", payment.card.last4);
  console.log("unknown id:", await retrievePayment("pay_doesnotexist0000000000"));
} catch (error) {
  console.error(error instanceof FlowlixError ? `Flowlix answered ${error.message}` : `could not reach Flowlix: ${error.cause?.code ?? error.cause?.message ?? error.message}`);
  process.exit(1);
}
// Output:
// pay_MLnQeMFx49njIndSorX8rKtB succeeded 2500 GBP
// refunded so far: 0 card ending 4444
// unknown id: null
