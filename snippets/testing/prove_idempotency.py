"""Prove idempotency: the same request twice with one key is one payment and one answer."""

import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
logger = logging.getLogger("shop.tests")


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
def pay(client: httpx.Client, order_id: str, amount: int = 4999) -> httpx.Response:
    card = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    response = client.post(
        "/payments",
        json={"amount": amount, "currency": "EUR", "card": card, "reference": order_id},
        headers={"Idempotency-Key": f"payment-{order_id}-1"},
    )
    logger.info(
        "%s: %s request_id=%s",
        order_id,
        response.status_code,
        response.headers.get("Flowlix-Request-Id"),
    )
    return response


# --8<-- [end:focus]
def payments_for(client: httpx.Client, order_id: str) -> int:
    response = client.get("/payments", params={"reference": order_id, "limit": 100})
    return len(response.raise_for_status().json()["data"])


with flowlix_client() as client:
    try:
        first, second = pay(client, "order-1234"), pay(client, "order-1234")
        print("statuses:", first.status_code, second.status_code)
        #> statuses: 201 201
        print("same body:", first.content == second.content)
        #> same body: True
        replayed = [answer.headers.get("Idempotent-Replayed") for answer in (first, second)]
        print("Idempotent-Replayed:", replayed)
        #> Idempotent-Replayed: [None, 'true']
        print("payments for order-1234:", payments_for(client, "order-1234"))
        #> payments for order-1234: 1

        # Reusing the key for a different request is refused, not silently replayed.
        changed = pay(client, "order-1234", amount=5999)
        print("changed amount:", changed.status_code, changed.json()["error"]["code"])
        #> changed amount: 422 idempotency_key_reused

        # Ten concurrent clicks on "Pay": one payment (late arrivals may get 409 in_use).
        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(lambda _: pay(client, "order-1235"), range(10)))
        print("answers 201 or 409 only:", {a.status_code for a in answers} <= {201, 409})
        #> answers 201 or 409 only: True
        print("payments for order-1235:", payments_for(client, "order-1235"))
        #> payments for order-1235: 1
    except httpx.HTTPError as error:
        sys.exit(f"could not reach Flowlix: {error!r}")
