"""Verify webhook deliveries with the `standardwebhooks` package (pip install standardwebhooks)."""

import base64
import secrets
from datetime import UTC, datetime, timedelta

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


# --8<-- [start:focus]
def verify_webhook(secret: str, headers: dict, raw_body: bytes) -> dict:
    """The event if genuine and at most 5 minutes old; raises WebhookVerificationError if not.

    The package checks the timestamp, compares in constant time and accepts any one of
    several space-separated signatures, as the Standard Webhooks specification asks.
    """
    return Webhook(secret).verify(raw_body, headers)


# --8<-- [end:focus]
# In production the secret comes from your secret store, such as FLOWLIX_WEBHOOK_SECRET.
secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
body = '{"id":"evt_1","object":"event","type":"refund.succeeded","data":{"object":{}}}'
now = datetime.now(tz=UTC)


def delivery(sent_at: datetime, raw_body: str, signing_secret: str = secret) -> dict:
    """A sample delivery's headers, signed the way Flowlix signs them."""
    return {
        "webhook-id": "evt_1",
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Webhook(signing_secret).sign("evt_1", sent_at, raw_body),
    }


other_secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
samples = {
    "genuine": (delivery(now, body), body),
    "body changed": (delivery(now, body), body.replace("evt_1", "evt_2")),
    "another secret": (delivery(now, body, other_secret), body),
    "10 minutes old": (delivery(now - timedelta(minutes=10), body), body),
}
for name, (headers, raw_body) in samples.items():
    try:
        event = verify_webhook(secret, headers, raw_body.encode())
        print(f"{name}: accepted {event['id']} {event['type']}")
        #> genuine: accepted evt_1 refund.succeeded
    except WebhookVerificationError as error:
        print(f"{name}: rejected ({error})")
        #> body changed: rejected (No matching signature found)
        #> another secret: rejected (No matching signature found)
        #> 10 minutes old: rejected (Message timestamp too old)
