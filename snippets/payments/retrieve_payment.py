"""Retrieve a payment by the id you stored with the order."""

import logging
import os
import sys

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
logger = logging.getLogger("shop.payments")


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
def retrieve_payment(client: httpx.Client, payment_id: str) -> dict | None:
    """The payment, or None when this account has no payment with that id."""
    response = client.get(f"/payments/{payment_id}")
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response.json()


# --8<-- [end:focus]
card = {"number": "5555555555554444", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
with flowlix_client() as client:
    try:
        created = client.post(
            "/payments",
            json={"amount": 2500, "currency": "GBP", "card": card, "reference": "order-1234"},
            headers={"Idempotency-Key": "payment-order-1234-1"},
        )
        created.raise_for_status()
        payment = retrieve_payment(client, created.json()["id"])
        missing = retrieve_payment(client, "pay_doesnotexist0000000000")
    except httpx.HTTPStatusError as error:
        sys.exit(f"Flowlix answered {error.response.status_code}: {error.response.text}")
    except httpx.HTTPError as error:
        sys.exit(f"could not reach Flowlix: {error!r}")

print(payment["id"], payment["status"], payment["amount"], payment["currency"])
#> pay_IdmdzkGyUCGthGEuDv96xtUT succeeded 2500 GBP
print("refunded so far:", payment["amount_refunded"], "card ending", payment["card"]["last4"])
#> refunded so far: 0 card ending 4444
print("unknown id:", missing)
#> unknown id: None
