// Refund a payment in full; the Idempotency-Key makes a retried refund pay back once.
// Node.js 20 or later, no packages: FLOWLIX_API_KEY=... node full_refund.mjs
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
// Refund what is left of the payment. The key names the order's first refund.
async function refundInFull(orderId, paymentId) {
  return flowlix("POST", "/refunds", {
    body: { payment: paymentId, reason: "requested_by_customer" },
    idempotencyKey: `refund-${orderId}-1`,
  });
}
// --8<-- [end:focus]

const card = { number: "4111111111111111", exp_month: 12, exp_year: 2030, cvc: "123" };
try {
  let payment = await flowlix("POST", "/payments", {
    body: { amount: 4999, currency: "EUR", card, reference: "order-1234" },
    idempotencyKey: "payment-order-1234-1",
  });
  const refund = await refundInFull("order-1234", payment.id);
  console.log(refund.id, refund.status, refund.amount, refund.currency);

  // The answer got lost and the job runs again: same key, same refund, no second payout.
  const again = await refundInFull("order-1234", payment.id);
  console.log("same refund:", again.id === refund.id);

  payment = await flowlix("GET", `/payments/${payment.id}`);
  console.log("refunded:", payment.refunded, payment.amount_refunded);
} catch (error) {
  console.error(error instanceof FlowlixError ? `Flowlix answered ${error.message}` : `could not reach Flowlix: ${error.cause?.code ?? error.cause?.message ?? error.message}`);
  process.exit(1);
}
// Output:
// re_4U6oicC9hMnWUULgnMpkmXA2 succeeded 4999 EUR
// same refund: true
// refunded: true 4999
