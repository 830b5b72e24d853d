"""Verify a webhook signature by hand (Standard Webhooks: `v1,<base64 HMAC-SHA256>`)."""

import base64
import hashlib
import hmac
import json
import secrets
import time


class InvalidWebhook(Exception):
    """Reject the delivery with HTTP 400 and do nothing with it."""


TOLERANCE_SECONDS = 5 * 60


# --8<-- [start:focus]
def verify_webhook(secret: str, headers: dict, raw_body: bytes, now: float | None = None) -> dict:
    """Return the event if the delivery is genuine and fresh; raise InvalidWebhook otherwise.

    `raw_body` must be the bytes as received: parsing and re-serialising the JSON changes
    them, and the signature no longer matches.
    """
    headers = {name.lower(): value for name, value in headers.items()}
    webhook_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (webhook_id and timestamp.isdigit() and signatures):
        raise InvalidWebhook("missing webhook-id, webhook-timestamp or webhook-signature")
    # An old timestamp means a replayed delivery; a future one, a wrong clock somewhere.
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        raise InvalidWebhook("timestamp outside the 5-minute tolerance")

    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{webhook_id}.{timestamp}.".encode() + raw_body  # (1)
    expected = hmac.new(key, signed, hashlib.sha256).digest()
    # Several signatures, space-separated, arrive while a secret is being rotated.
    for versioned in signatures.split():
        version, _, signature = versioned.partition(",")
        if version != "v1":
            continue
        try:
            candidate = base64.b64decode(signature, validate=True)
        except ValueError:
            continue
        if hmac.compare_digest(candidate, expected):  # constant time (2)
            return json.loads(raw_body)
    raise InvalidWebhook("no valid signature")


# --8<-- [end:focus]
def sign(secret: str, webhook_id: str, timestamp: int, raw_body: bytes) -> str:
    """What Flowlix does when it sends: used here only to make sample deliveries."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + raw_body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
old_secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
body = b'{"id":"evt_1","object":"event","type":"payment.succeeded","data":{"object":{}}}'
now = int(time.time())
headers = {"webhook-id": "evt_1", "webhook-timestamp": str(now)}

samples = {
    "genuine": (sign(secret, "evt_1", now, body), body, now),
    "rotating secrets": (
        f"{sign(old_secret, 'evt_1', now, body)} {sign(secret, 'evt_1', now, body)}",
        body,
        now,
    ),
    "body changed": (sign(secret, "evt_1", now, body), body.replace(b"evt_1", b"evt_2"), now),
    "signed with another secret": (sign(old_secret, "evt_1", now, body), body, now),
    "replayed 10 minutes later": (sign(secret, "evt_1", now, body), body, now + 600),
}
for name, (signature, raw_body, received_at) in samples.items():
    try:
        event = verify_webhook(
            secret, headers | {"webhook-signature": signature}, raw_body, now=received_at
        )
        print(f"{name}: accepted {event['type']}")
        #> genuine: accepted payment.succeeded
        #> rotating secrets: accepted payment.succeeded
    except InvalidWebhook as error:
        print(f"{name}: rejected ({error})")
        #> body changed: rejected (no valid signature)
        #> signed with another secret: rejected (no valid signature)
        #> replayed 10 minutes later: rejected (timestamp outside the 5-minute tolerance)
