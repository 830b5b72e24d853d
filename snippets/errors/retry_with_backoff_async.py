"""The same retry policy for asyncio code: httpx.AsyncClient and asyncio.sleep."""

import asyncio
import logging
import os
import random
import sys
import time

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
logger = logging.getLogger("shop.payments")


# --8<-- [start:focus]
# --8<-- [start:retry]
MAX_ATTEMPTS = 4  # the first attempt and three retries
BACKOFF_SECONDS = (1, 2, 4)  # full jitter: a random wait up to these before retries 1, 2, 3
TOTAL_SECONDS = 15  # every attempt and wait together: fits inside a customer's checkout request
ATTEMPT_TIMEOUT_SECONDS = 10.0
NO_ANSWER_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


def can_succeed_later(response: httpx.Response) -> bool:
    """5xx, 429 and 409 idempotency_key_in_use: the request did not run, or its result is kept.

    Every other 4xx is final: the request or the card is wrong, and sending it again changes
    nothing (a decline is a new attempt with a new key, after the customer acts).
    """
    if response.status_code == 409:
        try:
            return response.json()["error"]["code"] == "idempotency_key_in_use"
        except (ValueError, KeyError, TypeError):
            return False
    return response.status_code == 429 or response.status_code >= 500


def wait_seconds(retry: int, response: httpx.Response | None) -> float:
    """Full jitter, on top of any Retry-After: workers that failed together retry apart."""
    jitter = random.uniform(0, BACKOFF_SECONDS[min(retry, len(BACKOFF_SECONDS)) - 1])
    retry_after = response.headers.get("Retry-After", "") if response is not None else ""
    return (int(retry_after) if retry_after.isdigit() else 0) + jitter


async def post_with_retries(
    client: httpx.AsyncClient,
    path: str,
    body: dict,
    *,
    idempotency_key: str,
    headers: dict | None = None,
) -> httpx.Response:
    """POST `body`, retrying only what can succeed later, with the same key every time.

    Returns the final response; after the last attempt a 5xx still means "unknown": keep the
    key and finish in the background. Raises the transport error if no attempt was answered.
    """
    request_headers = {**(headers or {}), "Idempotency-Key": idempotency_key}
    deadline = time.monotonic() + TOTAL_SECONDS
    for attempt in range(1, MAX_ATTEMPTS + 1):
        response = no_answer = None
        timeout = min(ATTEMPT_TIMEOUT_SECONDS, deadline - time.monotonic())
        try:
            response = await client.post(path, json=body, headers=request_headers, timeout=timeout)
        except NO_ANSWER_ERRORS as error:  # it may have run: only the same key can tell
            no_answer, outcome = error, f"no answer ({error!r})"
        else:
            request_id = response.headers.get("Flowlix-Request-Id")
            outcome = f"{response.status_code} request_id={request_id}"
            if not can_succeed_later(response):
                logger.info("%s attempt %d: %s", idempotency_key, attempt, outcome)
                return response
        wait = wait_seconds(attempt, response)
        if attempt == MAX_ATTEMPTS or time.monotonic() + wait >= deadline:
            logger.warning("%s attempt %d: %s; giving up", idempotency_key, attempt, outcome)
            if response is None:
                raise no_answer
            return response
        logger.warning(
            "%s attempt %d: %s; retrying in %.1fs", idempotency_key, attempt, outcome, wait
        )
        await asyncio.sleep(wait)  # never time.sleep: the event loop keeps serving
    raise AssertionError("unreachable: the last attempt returns or raises")


# --8<-- [end:retry]
# --8<-- [end:focus]


def flowlix_client() -> httpx.AsyncClient:
    api_key = os.environ.get("FLOWLIX_API_KEY")
    if not api_key:
        sys.exit("FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.")
    return httpx.AsyncClient(
        base_url=API_BASE,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=httpx.Timeout(ATTEMPT_TIMEOUT_SECONDS, connect=5.0),
    )


async def main() -> None:
    card = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    attempts = []

    async def count_attempt(request: httpx.Request) -> None:
        attempts.append(request)

    async with flowlix_client() as client:
        client.event_hooks["request"] = [count_attempt]
        response = await post_with_retries(
            client,
            "/payments",
            {"amount": 4999, "currency": "EUR", "card": card, "reference": "order-1234"},
            idempotency_key="payment-order-1234-1",
            headers={"Flowlix-Simulate": "server_error;count=3"},  # test mode only
        )
        print(response.status_code, response.json()["status"], "after", len(attempts), "attempts")
        #> 201 succeeded after 4 attempts

        attempts.clear()
        response = await post_with_retries(
            client,
            "/payments",
            {"amount": 4999, "currency": "XYZ", "card": card, "reference": "order-1235"},
            idempotency_key="payment-order-1235-1",
        )
        print(response.status_code, response.json()["error"]["code"], "after", len(attempts))
        #> 400 parameter_invalid after 1


try:
    asyncio.run(main())
except httpx.HTTPError as error:
    sys.exit(f"could not reach Flowlix: {error!r}")
