"""On 429 (and 503) wait the Retry-After seconds, then retry with the same key."""

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


def retry_after_seconds(response: httpx.Response, default: int = 1) -> int:
    """Flowlix sends whole seconds; fall back to a short wait if the header is unusable."""
    value = response.headers.get("Retry-After", "")
    return int(value) if value.isdigit() else default


def post_respecting_limits(
    client: httpx.Client,
    path: str,
    body: dict,
    *,
    idempotency_key: str,
    headers: dict | None = None,
    max_attempts: int = 4,
) -> httpx.Response:
    """POST; when told to slow down, wait as long as the API asks and send the same request."""
    request_headers = {**(headers or {}), "Idempotency-Key": idempotency_key}
    for attempt in range(1, max_attempts + 1):
        response = client.post(path, json=body, headers=request_headers)
        if response.status_code not in (429, 503) or attempt == max_attempts:
            return response
        wait = retry_after_seconds(response)
        logger.warning(
            "attempt %d: %d request_id=%s; waiting %ds as Retry-After asks",
            attempt,
            response.status_code,
            response.headers.get("Flowlix-Request-Id"),
            wait,
        )
        time.sleep(wait)
    raise AssertionError("unreachable: the last attempt returns")


card = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
with flowlix_client() as client:
    try:
        response = post_respecting_limits(
            client,
            "/payments",
            {"amount": 4999, "currency": "EUR", "card": card, "reference": "order-1234"},
            idempotency_key="payment-order-1234",
            headers={"Flowlix-Simulate": "rate_limit;count=2"},  # test mode: two 429s first
        )
    except httpx.HTTPError as error:
        sys.exit(f"could not reach Flowlix: {error!r}")

print(response.status_code, response.json()["status"])
#> 201 succeeded
print("limit:", response.headers["RateLimit-Limit"], "requests per second")
#> limit: 25 requests per second
