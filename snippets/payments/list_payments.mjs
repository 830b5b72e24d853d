// List payments page by page, newest first, with `limit` and `starting_after`.
// Node.js 20 or later, no packages: FLOWLIX_API_KEY=... node list_payments.mjs
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
// Every payment matching the filters (such as { status: "failed" }), fetching page by page.
async function* iterPayments(pageSize = 100, filters = {}) {
  const params = new URLSearchParams({ limit: String(pageSize), ...filters });
  while (true) {
    const page = await flowlix("GET", `/payments?${params}`);
    yield* page.data;
    if (!page.has_more) return;
    params.set("starting_after", page.data.at(-1).id);
  }
}
// --8<-- [end:focus]

const cards = {
  "order-1001": "4111111111111111",
  "order-1002": "4000040000010015", // declined: insufficient funds
  "order-1003": "5555555555554444",
};
try {
  for (const [orderId, number] of Object.entries(cards)) {
    await flowlix("POST", "/payments", {
      body: { amount: 1000, currency: "EUR", card: { number, exp_month: 12, exp_year: 2030, cvc: "123" }, reference: orderId },
      idempotencyKey: `payment-${orderId}-1`,
    }).catch((error) => { if (error.type !== "card_error") throw error; });
  }
  // A small page size shows the paging; use up to 100 in production.
  for await (const payment of iterPayments(2)) {
    console.log(payment.id, payment.reference, payment.status);
  }
  const failed = [];
  for await (const payment of iterPayments(100, { status: "failed" })) failed.push(payment.reference);
  console.log("failed:", failed.join(", "));
} catch (error) {
  console.error(error instanceof FlowlixError ? `Flowlix answered ${error.message}` : `could not reach Flowlix: ${error.cause?.code ?? error.cause?.message ?? error.message}`);
  process.exit(1);
}
// Output:
// pay_GMcz3yzW31u8JBK00y0FSmCb order-1003 succeeded
// pay_Qd6pGfxgzrcpCjOhD4ToXYlZ order-1002 failed
// pay_7EuK3J6ePxKmllWzmR6ocYmt order-1001 succeeded
// failed: order-1002
