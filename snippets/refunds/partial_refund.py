"""Refund part of a payment; number each refund of an order so each key means one refund."""

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


class RefundRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


# --8<-- [start:focus]
def refund_part(
    client: httpx.Client, order_id: str, refund_number: int, payment_id: str, amount: int
) -> dict:
    """Refund `amount` minor units as the order's refund number `refund_number`."""
    response = client.post(
        "/refunds",
        json={"payment": payment_id, "amount": amount, "reason": "requested_by_customer"},
        headers={"Idempotency-Key": f"refund-{order_id}-{refund_number}"},
    )
    if response.status_code in (400, 404):
        error = response.json()["error"]
        raise RefundRefused(error["code"], error["message"])
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
        print(refund_part(client, "order-1234", 1, payment["id"], 1000)["amount"])
        #> 1000
        print(refund_part(client, "order-1234", 2, payment["id"], 1500)["amount"])
        #> 1500

        payment = client.get(f"/payments/{payment['id']}").json()
        print("refunded so far:", payment["amount_refunded"], "fully:", payment["refunded"])
        #> refunded so far: 2500 fully: False

        try:
            refund_part(client, "order-1234", 3, payment["id"], 5000)
        except RefundRefused as refused:
            print("refused:", refused.code)
            #> refused: amount_too_large
    except httpx.HTTPStatusError as error:
        sys.exit(f"Flowlix answered {error.response.status_code}: {error.response.text}")
    except httpx.HTTPError as error:
        sys.exit(f"could not reach Flowlix: {error!r}")
