"""Create a payment with the Direct API, safely retryable through its Idempotency-Key."""

import logging
import os
import sys

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
logger = logging.getLogger("shop.payments")


class FlowlixError(Exception):
    """An error answer from the Flowlix API."""

    def __init__(self, response: httpx.Response) -> None:
        try:
            error = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            error = {}
        self.status = response.status_code
        self.type = error.get("type", "api_error")
        self.code = error.get("code")
        self.decline_code = error.get("decline_code")
        self.request_id = response.headers.get("Flowlix-Request-Id")
        super().__init__(f"{self.status} {self.type} {self.code} (request id {self.request_id})")


def log_request_id(response: httpx.Response) -> None:
    # Flowlix support finds any call by its request id: keep it in your logs.
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
def create_payment(
    client: httpx.Client, order_id: str, attempt: int, amount: int, currency: str, card: dict
) -> dict:
    """Charge `amount` minor units for an order's payment attempt (numbered 1, 2, ...).

    Save the attempt number with the order before calling this: a retry of the same attempt
    sends the same key and charges at most once; another card after a decline is attempt 2.
    """
    response = client.post(
        "/payments",
        json={"amount": amount, "currency": currency, "card": card, "reference": order_id},
        headers={"Idempotency-Key": f"payment-{order_id}-{attempt}"},
    )
    if response.is_error:
        raise FlowlixError(response)
    return response.json()


# --8<-- [end:focus]
card = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
with flowlix_client() as client:
    try:
        payment = create_payment(client, "order-1234", 1, 4999, "EUR", card)
    except FlowlixError as error:
        sys.exit(f"payment failed: {error.type} {error.code} {error.decline_code or ''}")
    except httpx.HTTPError as error:
        sys.exit(f"could not reach Flowlix: {error!r}")

print(payment["id"], payment["status"], payment["amount"], payment["currency"])
#> pay_jdhzUHxkhmrPvDeW4gzpiO8o succeeded 4999 EUR
print(f"{payment['card']['brand']} ending in {payment['card']['last4']}")
#> visa ending in 1111
