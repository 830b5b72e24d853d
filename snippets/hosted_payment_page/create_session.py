"""Create a checkout session and send the customer to the Hosted Payment Page."""

import logging
import os
import sys
from urllib.parse import urlsplit

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
SHOP_URL = os.environ.get("SHOP_URL", "https://shop.example.com")
logger = logging.getLogger("shop.checkout")


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
def create_checkout_session(
    client: httpx.Client, order_id: str, amount: int, currency: str, description: str
) -> dict:
    """A session for the order; redirect the customer's browser to its `url`.

    Card details are typed into Flowlix's page, never into yours: this keeps your servers
    out of most of the PCI DSS scope that the Direct API brings.
    """
    response = client.post(
        "/checkout/sessions",
        json={
            "amount": amount,
            "currency": currency,
            "reference": order_id,
            "description": description,
            "success_url": f"{SHOP_URL}/checkout/success",
            "cancel_url": f"{SHOP_URL}/checkout/cancel?order={order_id}",
        },
        headers={"Idempotency-Key": f"checkout-{order_id}-1"},
    )
    response.raise_for_status()
    return response.json()


# --8<-- [end:focus]
with flowlix_client() as client:
    try:
        session = create_checkout_session(client, "order-1234", 4999, "EUR", "2 x Coffee beans")
    except httpx.HTTPStatusError as error:
        sys.exit(f"Flowlix answered {error.response.status_code}: {error.response.text}")
    except httpx.HTTPError as error:
        sys.exit(f"could not reach Flowlix: {error!r}")

print(session["id"], session["status"], session["payment_status"], session["amount"])
#> cs_n7orKw2Vkou36SSlAWTaHigD open unpaid 4999
print("redirect the customer (303) to an https page:", urlsplit(session["url"]).scheme == "https")
#> redirect the customer (303) to an https page: True
print("success_url:", session["success_url"])
#> success_url: https://shop.example.com/checkout/success
