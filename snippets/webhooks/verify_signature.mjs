// Verify a webhook signature by hand (Standard Webhooks: `v1,<base64 HMAC-SHA256>`).
// Node.js 20 or later, no packages: node verify_signature.mjs
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

const TOLERANCE_SECONDS = 5 * 60;

// Reject the delivery with HTTP 400 and do nothing with it.
class InvalidWebhook extends Error {}

// The event if the delivery is genuine and fresh; throws InvalidWebhook otherwise.
// `rawBody` must be the bytes as received (a Buffer): parsing and re-serialising the JSON changes
// them, and the signature no longer matches. With node:http, collect the request's chunks;
// with Express, use express.raw({ type: "application/json" }) on this route.
// `headers` as node:http gives them: names in lower case.
function verifyWebhook(secret, headers, rawBody, now = Date.now() / 1000) {
  const id = headers["webhook-id"] ?? "";
  const timestamp = headers["webhook-timestamp"] ?? "";
  const signatures = headers["webhook-signature"] ?? "";
  if (!id || !/^\d+$/.test(timestamp) || !signatures) {
    throw new InvalidWebhook("missing webhook-id, webhook-timestamp or webhook-signature");
  }
  // An old timestamp means a replayed delivery; a future one, a wrong clock somewhere.
  if (Math.abs(now - Number(timestamp)) > TOLERANCE_SECONDS) {
    throw new InvalidWebhook("timestamp outside the 5-minute tolerance");
  }
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.`).update(rawBody).digest();
  // Several signatures, space-separated, arrive while a secret is being rotated.
  for (const versioned of signatures.split(" ")) {
    const [version, signature = ""] = versioned.split(",");
    if (version !== "v1") continue;
    const candidate = Buffer.from(signature, "base64");
    // Constant time: leaks nothing about how much of the signature matched.
    if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) {
      return JSON.parse(rawBody.toString("utf8"));
    }
  }
  throw new InvalidWebhook("no valid signature");
}

// What Flowlix does when it sends: used here only to make sample deliveries.
function sign(secret, id, timestamp, rawBody) {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  return "v1," + createHmac("sha256", key).update(`${id}.${timestamp}.`).update(rawBody).digest("base64");
}

const secret = "whsec_" + randomBytes(32).toString("base64");
const oldSecret = "whsec_" + randomBytes(32).toString("base64");
const body = Buffer.from('{"id":"evt_1","object":"event","type":"payment.succeeded","data":{"object":{}}}');
const now = Math.floor(Date.now() / 1000);
const headers = { "webhook-id": "evt_1", "webhook-timestamp": String(now) };

const samples = {
  "genuine": [sign(secret, "evt_1", now, body), body, now],
  "rotating secrets": [`${sign(oldSecret, "evt_1", now, body)} ${sign(secret, "evt_1", now, body)}`, body, now],
  "body changed": [sign(secret, "evt_1", now, body), Buffer.from(body.toString().replace("evt_1", "evt_2")), now],
  "signed with another secret": [sign(oldSecret, "evt_1", now, body), body, now],
  "replayed 10 minutes later": [sign(secret, "evt_1", now, body), body, now + 600],
};
for (const [name, [signature, rawBody, receivedAt]] of Object.entries(samples)) {
  try {
    const event = verifyWebhook(secret, { ...headers, "webhook-signature": signature }, rawBody, receivedAt);
    console.log(`${name}: accepted ${event.type}`);
  } catch (error) {
    if (!(error instanceof InvalidWebhook)) throw error;
    console.log(`${name}: rejected (${error.message})`);
  }
}

// The Standard Webhooks specification's own example: this code agrees with the specification.
const example = verifyWebhook(
  "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  {
    "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "webhook-timestamp": "1614265330",
    "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
  },
  Buffer.from('{"test": 2432232314}'),
  1614265330,
);
console.log("specification example: accepted", JSON.stringify(example));
// Output:
// genuine: accepted payment.succeeded
// rotating secrets: accepted payment.succeeded
// body changed: rejected (no valid signature)
// signed with another secret: rejected (no valid signature)
// replayed 10 minutes later: rejected (timestamp outside the 5-minute tolerance)
// specification example: accepted {"test":2432232314}
