// Create a checkout session and send the customer to the Hosted Payment Page.
// Node.js 20 or later, no packages: FLOWLIX_API_KEY=... node create_session.mjs
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
const SHOP_URL = process.env.SHOP_URL ?? "https://shop.example.com";

// A session for the order's payment attempt; redirect the customer's browser to its `url`.
// Card details are typed into Flowlix's page, never into yours: this keeps your servers out of
// most of the PCI DSS scope that the Direct API brings.
async function createCheckoutSession(orderId, attempt, amount, currency, description) {
  return flowlix("POST", "/checkout/sessions", {
    body: {
      amount,
      currency,
      reference: orderId,
      description,
      success_url: `${SHOP_URL}/checkout/success`,
      cancel_url: `${SHOP_URL}/checkout/cancel?order=${encodeURIComponent(orderId)}`,
    },
    idempotencyKey: `checkout-${orderId}-${attempt}`,
  });
}

try {
  const session = await createCheckoutSession("order-1234", 1, 4999, "EUR", "2 x Coffee beans");
  console.log(session.id, session.status, session.payment_status, session.amount);
  console.log("redirect the customer (303) to an https page:", new URL(session.url).protocol === "https:");
  console.log("success_url:", session.success_url);
} catch (error) {
  console.error(error instanceof FlowlixError ? `Flowlix answered ${error.message}` : `could not reach Flowlix: ${error.cause?.code ?? error.cause?.message ?? error.message}`);
  process.exit(1);
}
// Output:
// cs_T8ruwDPUx7vtv3Am8QsMw6FS open unpaid 4999
// redirect the customer (303) to an https page: true
// success_url: https://shop.example.com/checkout/success
