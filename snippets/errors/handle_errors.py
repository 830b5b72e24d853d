"""Handle every error type the API answers with, not only card_error."""

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
def charge(
    client: httpx.Client,
    order_id: str,
    amount: int,
    currency: str,
    card: dict,
    test_simulation: str | None = None,
) -> str:
    """Charge an order and decide what to do for each possible outcome."""
    headers = {"Idempotency-Key": f"payment-{order_id}-1"}
    if test_simulation:  # test mode only: make the API fail the way production rarely does
        headers["Flowlix-Simulate"] = test_simulation
    try:
        response = client.post(
            "/payments",
            json={"amount": amount, "currency": currency, "card": card, "reference": order_id},
            headers=headers,
        )
    except httpx.TransportError as error:
        # No answer: the payment may or may not exist. Retry later with the same key.
        logger.warning("network error for %s: %r", order_id, error)
        return "no answer: retry later with the same Idempotency-Key"
    if response.is_success:
        return f"paid: {response.json()['id']}"

    try:
        error = response.json()["error"]
    except (ValueError, KeyError):
        error = {"type": "api_error", "code": None}
    request_id = response.headers.get("Flowlix-Request-Id")
    logger.error("payment for %s failed: %s request_id=%s", order_id, error, request_id)
    match error["type"]:
        case "card_error":
            return f"declined ({error.get('decline_code') or error['code']}): ask for another card"
        case "invalid_request_error":
            return f"our request is wrong ({error['code']}, param {error.get('param')}): fix it"
        case "authentication_error":
            return f"key problem ({error['code']}): check the server's FLOWLIX_API_KEY"
        case "rate_limit_error":
            return f"rate limited: retry after {response.headers.get('Retry-After')}s, same key"
        case _:  # api_error, or an answer from something in between
            return f"Flowlix failed ({response.status_code}): retry with backoff, same key"


# --8<-- [end:focus]
visa = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
no_funds = {"number": "4000040000010015", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
with flowlix_client() as client:
    print(charge(client, "order-2001", 4999, "EUR", visa))
    #> paid: pay_sblsYaiO3Bjg3ny4d7ufsbzj
    print(charge(client, "order-2002", 4999, "EUR", no_funds))
    #> declined (insufficient_funds): ask for another card
    print(charge(client, "order-2003", 4999, "XYZ", visa))
    #> our request is wrong (parameter_invalid, param currency): fix it
    print(charge(client, "order-2004", 4999, "EUR", visa, test_simulation="rate_limit"))
    #> rate limited: retry after 1s, same key
    print(charge(client, "order-2005", 4999, "EUR", visa, test_simulation="server_error"))
    #> Flowlix failed (500): retry with backoff, same key

# A client that forgot the Authorization header gets an authentication_error.
with httpx.Client(base_url=API_BASE, timeout=10.0) as keyless:
    print(charge(keyless, "order-2006", 4999, "EUR", visa))
    #> key problem (api_key_missing): check the server's FLOWLIX_API_KEY
