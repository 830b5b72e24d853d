"""Take a Direct API payment that may need 3-D Secure: send a return_url, and when the payment
is requires_action, send the customer's browser to next_action.url.
"""

import logging
import os
import sys
from urllib.parse import urlsplit

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
# Your return handler. Live: an https URL of your shop; test mode also takes http://localhost.
RETURN_URL = os.environ.get("SHOP_RETURN_URL", "http://localhost:8000/payments/return")
logger = logging.getLogger("shop.payments")


def flowlix_client() -> httpx.Client:
    api_key = os.environ.get("FLOWLIX_API_KEY")
    if not api_key:
        sys.exit("FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.")
    return httpx.Client(
        base_url=API_BASE,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=httpx.Timeout(10.0, connect=5.0),
    )


# --8<-- [start:focus]
def start_payment(client: httpx.Client, order: dict, card: dict) -> dict:
    """Create the payment; return what the checkout does next: fulfil, redirect or decline."""
    response = client.post(
        "/payments",
        json={
            "amount": order["amount"],
            "currency": order["currency"],
            "card": card,
            "reference": order["id"],
            "return_url": RETURN_URL,
        },
        # One key per payment attempt: the attempt number is saved with the order before sending.
        headers={"Idempotency-Key": f"payment-{order['id']}-{order.get('attempt', 1)}"},
    )
    logger.info(
        "payment for %s: %s request_id=%s",
        order["id"],
        response.status_code,
        response.headers.get("Flowlix-Request-Id"),
    )
    body = response.json()
    if response.status_code == 402:
        return {"next": "decline", "decline_code": body["error"].get("decline_code")}
    response.raise_for_status()
    order["payment_id"] = body["id"]  # store it now: the return handler looks the order up by it
    if body["status"] == "requires_action":
        # Nothing is charged yet. Answer the customer's request with a 303 to this URL.
        return {"next": "redirect", "url": body["next_action"]["url"]}
    if body["status"] == "succeeded":
        return {"next": "fulfil", "three_d_secure": body["three_d_secure"]}
    return {"next": "decline", "decline_code": body["decline_code"]}


# --8<-- [end:focus]


def describe(step: dict) -> str:
    """What the checkout does next, in words (your web handler acts on it instead)."""
    if step["next"] == "redirect":
        return f"303 to the challenge, {urlsplit(step['url']).path}"
    if step["next"] == "fulfil":
        secure = step["three_d_secure"] or {"flow": None, "liability_shift": False}
        return f"paid; 3-D Secure: {secure['flow']}, liability shift: {secure['liability_shift']}"
    return f"declined: {step['decline_code']}"


card = {"exp_month": 12, "exp_year": 2030, "cvc": "123"}
orders = [
    {"id": "order-3001", "amount": 4999, "currency": "EUR", "card": "4111111111111111"},
    {"id": "order-3002", "amount": 4999, "currency": "EUR", "card": "4000040000010122"},
    {"id": "order-3003", "amount": 1500, "currency": "EUR", "card": "4000040000010148"},
    {"id": "order-3004", "amount": 4999, "currency": "EUR", "card": "4000040000010114"},
]
with flowlix_client() as client:
    try:
        for order in orders:
            step = start_payment(client, order, card | {"number": order.pop("card")})
            print(order["id"], "->", describe(step))
            #> order-3001 -> paid; 3-D Secure: None, liability shift: False
            #> order-3002 -> paid; 3-D Secure: frictionless, liability shift: True
            #> order-3003 -> paid; 3-D Secure: exemption, liability shift: False
            #> order-3004 -> 303 to the challenge, /3ds/3ds_SQbq1BxzaoscwPGvVg5MlPsz
    except httpx.HTTPError as error:
        sys.exit(f"Flowlix request failed: {error!r}")
