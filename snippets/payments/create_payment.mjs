// Create a payment with the Direct API; turn a decline into a message safe to show the customer.
// Node.js 20 or later, no packages: FLOWLIX_API_KEY=... node create_payment.mjs
const API_BASE = process.env.FLOWLIX_API_BASE ?? "https://api.flowlix.eu/v1";
const API_KEY = process.env.FLOWLIX_API_KEY;
if (!API_KEY) {
  console.error("FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.");
  process.exit(1);
}

const GENERIC_MESSAGE = "Your card was declined. Please use a different card or contact your bank.";
// Fraud-related codes get the generic message: never tell a customer why.
const CUSTOMER_MESSAGES = {
  "insufficient_funds": "Your card has insufficient funds. Please use a different card.",
  "expired_card": "Your card has expired. Please use a different card.",
  "generic_decline": GENERIC_MESSAGE,
  "incorrect_cvc": "Your card's security code is incorrect. Please check it and try again.",
  "lost_card": GENERIC_MESSAGE,
  "stolen_card": GENERIC_MESSAGE,
  "do_not_honor": GENERIC_MESSAGE,
  "card_velocity_exceeded": "Your card has reached its spending limit. Please use a different card or contact your bank.",
  "fraudulent": GENERIC_MESSAGE,
  "processing_error": "We could not process your card. Please try again in a moment.",
  "authentication_required": "Your bank needs you to confirm this payment. Please try again and complete the verification.",
  "authentication_failed": "We could not confirm this payment with your bank. Please try again or use a different card.",
  "test_mode_live_card": GENERIC_MESSAGE,
};

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

// --8<-- [start:focus]
// One key per payment attempt: a retry of this attempt reuses it, a new attempt gets a new one.
async function createPayment(orderId, attempt, amount, currency, card) {
  return flowlix("POST", "/payments", {
    body: { amount, currency, card, reference: orderId },
    idempotencyKey: `payment-${orderId}-${attempt}`,
  });
}
// --8<-- [end:focus]

async function checkout(orderId, card) {
  try {
    const payment = await createPayment(orderId, 1, 4999, "EUR", card);
    console.log(payment.id, payment.status, payment.amount, payment.currency);
    console.log(`${payment.card.brand} ending in ${payment.card.last4}`);
  } catch (error) {
    if (!(error instanceof FlowlixError && error.type === "card_error")) throw error;
    // Keep the real reason for your team; show the customer only the safe message.
    console.error(`${orderId} declined: ${error.declineCode} request_id=${error.requestId}`);
    console.log(`${orderId}:`, CUSTOMER_MESSAGES[error.declineCode] ?? GENERIC_MESSAGE);
  }
}

try {
  await checkout("order-1234", { number: "4111111111111111", exp_month: 12, exp_year: 2030, cvc: "123" });
  await checkout("order-1235", { number: "4000040000010015", exp_month: 12, exp_year: 2030, cvc: "123" });
} catch (error) {
  console.error(error instanceof FlowlixError ? `payment failed: ${error.message}` : `could not reach Flowlix: ${error.cause?.code ?? error.cause?.message ?? error.message}`);
  process.exit(1);
}
// Output:
// pay_EFJ5khbxCwySPeO1nyanFXQD succeeded 4999 EUR
// visa ending in 1111
// order-1235: Your card has insufficient funds. Please use a different card.
