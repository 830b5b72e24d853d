"""Simulate Flowlix failures in test mode and check that your retry logic copes."""

import logging
import os
import sys
import time

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
BACKOFF = (1, 2, 4)
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


def post_with_retries(
    client: httpx.Client, path: str, body: dict, *, idempotency_key: str, simulation: str
) -> httpx.Response:
    """Your production retry policy: Retry-After when given, else backoff; 4xx is final."""
    # Flowlix-Simulate is for test mode; in production the failures come by themselves.
    headers = {"Idempotency-Key": idempotency_key, "Flowlix-Simulate": simulation}
    for attempt, backoff in enumerate((*BACKOFF, None), start=1):
        response = client.post(path, json=body, headers=headers)
        retryable = response.status_code == 429 or response.status_code >= 500
        if not retryable or backoff is None:
            return response
        retry_after = response.headers.get("Retry-After", "")
        wait = int(retry_after) if retry_after.isdigit() else backoff
        logger.warning(
            "attempt %d: %d request_id=%s; retrying in %ds",
            attempt,
            response.status_code,
            response.headers.get("Flowlix-Request-Id"),
            wait,
        )
        time.sleep(wait)
    raise AssertionError("unreachable: the last attempt returns")


card = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
simulations = {
    "order-5001": "server_error;count=2",  # two 500s, then success
    "order-5002": "unavailable;count=1",  # a 503 with Retry-After: 1
    "order-5003": "rate_limit;count=1",  # a 429 with Retry-After: 1
    "order-5004": "commit_then_error",  # the payment is made, but the answer is a 500
}
with flowlix_client() as client:
    attempts = []
    client.event_hooks["request"] = [attempts.append]
    try:
        for order_id, simulation in simulations.items():
            attempts.clear()
            response = post_with_retries(
                client,
                "/payments",
                {"amount": 4999, "currency": "EUR", "card": card, "reference": order_id},
                idempotency_key=f"payment-{order_id}",
                simulation=simulation,
            )
            replayed = response.headers.get("Idempotent-Replayed") == "true"
            print(f"{simulation}: {response.status_code}, {len(attempts)} attempts, {replayed=}")
            #> server_error;count=2: 201, 3 attempts, replayed=False
            #> unavailable;count=1: 201, 2 attempts, replayed=False
            #> rate_limit;count=1: 201, 2 attempts, replayed=False
            #> commit_then_error: 201, 2 attempts, replayed=True
        listed = client.get("/payments", params={"limit": 100}).json()["data"]
    except httpx.HTTPError as error:
        sys.exit(f"could not reach Flowlix: {error!r}")

print("payments created:", len(listed), "for", len(simulations), "orders")
#> payments created: 4 for 4 orders
