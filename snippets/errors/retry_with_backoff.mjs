// The one retry policy for every Flowlix POST: what to retry, how long to wait, when to stop.
// Node.js 20 or later, no packages: FLOWLIX_API_KEY=... node retry_with_backoff.mjs
const API_BASE = process.env.FLOWLIX_API_BASE ?? "https://api.flowlix.eu/v1";
const API_KEY = process.env.FLOWLIX_API_KEY;
if (!API_KEY) {
  console.error("FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.");
  process.exit(1);
}

const MAX_ATTEMPTS = 4; // the first attempt and three retries
const BACKOFF_SECONDS = [1, 2, 4]; // full jitter: a random wait up to these before retries 1, 2, 3
const TOTAL_SECONDS = 15; // every attempt and wait together: fits inside a customer's checkout request
const ATTEMPT_TIMEOUT_SECONDS = 10;

// 5xx, 429 and 409 idempotency_key_in_use: the request did not run, or its result is kept.
// Every other 4xx is final: the request or the card is wrong, and sending it again changes
// nothing (a decline is a new attempt with a new key, after the customer acts).
function canSucceedLater(status, data) {
  if (status === 409) return data?.error?.code === "idempotency_key_in_use";
  return status === 429 || status >= 500;
}

// Full jitter, on top of any Retry-After: workers that failed together retry apart.
function waitSeconds(retry, response) {
  const jitter = Math.random() * BACKOFF_SECONDS[Math.min(retry, BACKOFF_SECONDS.length) - 1];
  const retryAfter = response?.headers.get("Retry-After") ?? "";
  return (/^\d+$/.test(retryAfter) ? Number(retryAfter) : 0) + jitter;
}

// POST `body`, retrying only what can succeed later, with the same key every time. Returns the
// final { status, data, attempts }; after the last attempt a 5xx still means "unknown": keep the
// key and finish in the background. Throws the network error if no attempt was answered.
async function postWithRetries(path, body, { idempotencyKey, headers = {} }) {
  const deadline = Date.now() + TOTAL_SECONDS * 1000;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    let response = null;
    let data = null;
    let noAnswer = null;
    let outcome;
    try {
      response = await fetch(API_BASE + path, {
        method: "POST",
        headers: {
          ...headers,
          Authorization: `Bearer ${API_KEY}`,
          "Content-Type": "application/json",
          "Idempotency-Key": idempotencyKey,
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(Math.min(ATTEMPT_TIMEOUT_SECONDS * 1000, deadline - Date.now())),
      });
      data = await response.json().catch(() => null);
      outcome = `${response.status} request_id=${response.headers.get("Flowlix-Request-Id")}`;
      if (!canSucceedLater(response.status, data)) {
        console.error(`${idempotencyKey} attempt ${attempt}: ${outcome}`);
        return { status: response.status, data, attempts: attempt };
      }
    } catch (error) {
      // It may have run: only the same key can tell.
      noAnswer = error;
      outcome = `no answer (${error.cause?.code ?? error.name})`;
    }
    const wait = waitSeconds(attempt, response);
    if (attempt === MAX_ATTEMPTS || Date.now() + wait * 1000 >= deadline) {
      console.error(`${idempotencyKey} attempt ${attempt}: ${outcome}; giving up`);
      if (!response) throw noAnswer;
      return { status: response.status, data, attempts: attempt };
    }
    console.error(`${idempotencyKey} attempt ${attempt}: ${outcome}; retrying in ${wait.toFixed(1)}s`);
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
  }
}

function paymentBody(orderId, number, currency = "EUR") {
  return { amount: 4999, currency, card: { number, exp_month: 12, exp_year: 2030, cvc: "123" }, reference: orderId };
}

try {
  // Test mode: the first three attempts fail with 500, the fourth goes through.
  let result = await postWithRetries("/payments", paymentBody("order-1234", "4111111111111111"), {
    idempotencyKey: "payment-order-1234-1",
    headers: { "Flowlix-Simulate": "server_error;count=3" },
  });
  console.log(result.status, result.data.status, "after", result.attempts, "attempts");

  // 429 and 503 carry Retry-After: the wait is at least that long, plus jitter.
  for (const [orderId, simulation] of [["order-1238", "rate_limit;count=1"], ["order-1239", "unavailable;count=1"]]) {
    result = await postWithRetries("/payments", paymentBody(orderId, "4111111111111111"), {
      idempotencyKey: `payment-${orderId}-1`,
      headers: { "Flowlix-Simulate": simulation },
    });
    console.log(simulation, "->", result.status, "after", result.attempts, "attempts");
  }

  // A decline and a bad request are answered at once and never retried.
  for (const [orderId, number, currency] of [["order-1235", "4000040000010015", "EUR"], ["order-1236", "4111111111111111", "XYZ"]]) {
    result = await postWithRetries("/payments", paymentBody(orderId, number, currency), {
      idempotencyKey: `payment-${orderId}-1`,
    });
    console.log(result.status, result.data.error.code, "after", result.attempts);
  }

  // When Flowlix keeps failing, give up after four attempts and report it.
  result = await postWithRetries("/payments", paymentBody("order-1237", "4111111111111111"), {
    idempotencyKey: "payment-order-1237-1",
    headers: { "Flowlix-Simulate": "server_error" },
  });
  console.log(result.status, result.data.error.type, "after", result.attempts);
} catch (error) {
  console.error(`could not reach Flowlix: ${error.cause?.code ?? error.cause?.message ?? error.message}`);
  process.exit(1);
}
// Output:
// 201 succeeded after 4 attempts
// rate_limit;count=1 -> 201 after 2 attempts
// unavailable;count=1 -> 201 after 2 attempts
// 402 card_declined after 1
// 400 parameter_invalid after 1
// 500 api_error after 4
