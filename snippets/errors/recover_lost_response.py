"""The charge went through but the answer was lost: ask again with the same key."""

import logging
import os
import sys
import time

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
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


def create_payment(
    client: httpx.Client, order_id: str, body: dict, test_simulation: str | None = None
) -> httpx.Response:
    """Create the order's payment. After a 5xx or a timeout we cannot know whether it ran,
    so we ask again with the same key: Flowlix answers with the stored result."""
    headers = {"Idempotency-Key": f"payment-{order_id}"}
    if test_simulation:
        headers["Flowlix-Simulate"] = test_simulation
    for delay in (1, 2, 4, None):
        try:
            response = client.post("/payments", json=body, headers=headers)
            if response.status_code < 500 or delay is None:
                return response
            logger.warning(
                "%d request_id=%s; asking again in %ds",
                response.status_code,
                response.headers.get("Flowlix-Request-Id"),
                delay,
            )
        except (httpx.TimeoutException, httpx.NetworkError) as error:
            if delay is None:
                raise
            logger.warning("no answer (%r); asking again in %ds", error, delay)
        time.sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")


card = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
body = {"amount": 4999, "currency": "EUR", "card": card, "reference": "order-1234"}
with flowlix_client() as client:
    try:
        # Test mode: the payment is made, but the first answer is a 500.
        response = create_payment(client, "order-1234", body, "commit_then_error")
        payment = response.json()
        print(response.status_code, payment["id"], payment["status"])
        #> 201 pay_AV8hXpNQhInSu2gLKoWn8PF2 succeeded
        print("replayed:", response.headers.get("Idempotent-Replayed"))
        #> replayed: true

        listed = client.get("/payments", params={"reference": "order-1234"}).json()["data"]
        print("payments for order-1234:", len(listed))
        #> payments for order-1234: 1
    except httpx.HTTPError as error:
        sys.exit(f"could not reach Flowlix: {error!r}")
