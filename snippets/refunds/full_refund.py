"""Refund a payment in full; the Idempotency-Key makes a retried refund pay back once."""

import logging
import os
import sys

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
logger = logging.getLogger("shop.refunds")


def log_request_id(response: httpx.Response) -> None:
    request = response.request
    logger.info(
        "%s %s -> %s request_id=%s",
        request.method,
        request.url.path,
        response.status_code,
        response.headers.get("Flowlix-Request-Id"),
    )


def flowlix_client() -> httpx.Client:
    api_key = os.environ.get("FLOWLIX_API_KEY")
    if not api_key:
        sys.exit("FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.")
    return httpx.Client(
        base_url=API_BASE,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=httpx.Timeout(10.0, connect=5.0),
        event_hooks={"response": [log_request_id]},
    )


# --8<-- [start:focus]
def refund_in_full(client: httpx.Client, order_id: str, payment_id: str) -> dict:
    """Refund what is left of the payment. The key names the order's first refund."""
    response = client.post(
        "/refunds",
        json={"payment": payment_id, "reason": "requested_by_customer"},
        headers={"Idempotency-Key": f"refund-{order_id}-1"},
    )
    response.raise_for_status()
    return response.json()


# --8<-- [end:focus]
card = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
with flowlix_client() as client:
    try:
        payment = client.post(
            "/payments",
            json={"amount": 4999, "currency": "EUR", "card": card, "reference": "order-1234"},
            headers={"Idempotency-Key": "payment-order-1234-1"},
        ).json()
        refund = refund_in_full(client, "order-1234", payment["id"])
        print(refund["id"], refund["status"], refund["amount"], refund["currency"])
        #> re_7Pp4EQHLlbeTucwN9VaHpVRt succeeded 4999 EUR

        # The answer got lost and the job runs again: same key, same refund, no second payout.
        again = refund_in_full(client, "order-1234", payment["id"])
        print("same refund:", again["id"] == refund["id"])
        #> same refund: True

        payment = client.get(f"/payments/{payment['id']}").json()
        print("refunded:", payment["refunded"], payment["amount_refunded"])
        #> refunded: True 4999
    except httpx.HTTPStatusError as error:
        sys.exit(f"Flowlix answered {error.response.status_code}: {error.response.text}")
    except httpx.HTTPError as error:
        sys.exit(f"could not reach Flowlix: {error!r}")
