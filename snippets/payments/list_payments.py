"""List payments page by page, newest first, with `limit` and `starting_after`."""

import logging
import os
import sys
from collections.abc import Iterator

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
def iter_payments(client: httpx.Client, page_size: int = 100, **filters: str) -> Iterator[dict]:
    """Every payment matching the filters (such as status="failed"), fetching page by page."""
    params = {"limit": page_size, **filters}
    while True:
        response = client.get("/payments", params=params)
        response.raise_for_status()
        page = response.json()
        yield from page["data"]
        if not page["has_more"]:
            return
        params["starting_after"] = page["data"][-1]["id"]


# --8<-- [end:focus]
cards = {
    "order-1001": "4111111111111111",
    "order-1002": "4000040000010015",  # declined: insufficient funds
    "order-1003": "5555555555554444",
}
with flowlix_client() as client:
    try:
        for order_id, number in cards.items():
            card = {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}
            client.post(
                "/payments",
                json={"amount": 1000, "currency": "EUR", "card": card, "reference": order_id},
                headers={"Idempotency-Key": f"payment-{order_id}-1"},
            )
        # A small page size shows the paging; use up to 100 in production.
        for payment in iter_payments(client, page_size=2):
            print(payment["id"], payment["reference"], payment["status"])
            #> pay_Pnv0PogS53G2eMq4AxzgSIj4 order-1003 succeeded
            #> pay_pO2kcqPrXvAb8sArikpLbtC0 order-1002 failed
            #> pay_QExy4ApEk6zDHBKFeHjQlhnm order-1001 succeeded
        failed = list(iter_payments(client, status="failed"))
    except httpx.HTTPStatusError as error:
        sys.exit(f"Flowlix answered {error.response.status_code}: {error.response.text}")
    except httpx.HTTPError as error:
        sys.exit(f"could not reach Flowlix: {error!r}")

print("failed:", [payment["reference"] for payment in failed])
#> failed: ['order-1002']
