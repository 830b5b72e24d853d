"""The one retry policy for every Flowlix POST: what to retry, how long to wait, when to stop."""

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


def post_with_retries(
    client: httpx.Client,
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
            response = client.post(path, json=body, headers=request_headers, timeout=timeout)
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
        time.sleep(wait)
    raise AssertionError("unreachable: the last attempt returns or raises")


# --8<-- [end:retry]
# --8<-- [end:focus]


def flowlix_client() -> httpx.Client:
    api_key = os.environ.get("FLOWLIX_API_KEY")
    if not api_key:
        sys.exit("FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.")
    return httpx.Client(
        base_url=API_BASE,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=httpx.Timeout(ATTEMPT_TIMEOUT_SECONDS, connect=5.0),
    )


def payment_body(order_id: str, number: str, currency: str = "EUR") -> dict:
    card = {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    return {"amount": 4999, "currency": currency, "card": card, "reference": order_id}


attempts = []
with flowlix_client() as client:
    client.event_hooks["request"] = [attempts.append]
    try:
        # Test mode: the first three attempts fail with 500, the fourth goes through.
        response = post_with_retries(
            client,
            "/payments",
            payment_body("order-1234", "4111111111111111"),
            idempotency_key="payment-order-1234-1",
            headers={"Flowlix-Simulate": "server_error;count=3"},
        )
        print(response.status_code, response.json()["status"], "after", len(attempts), "attempts")
        #> 201 succeeded after 4 attempts

        # 429 and 503 carry Retry-After: the wait is at least that long, plus jitter.
        for order_id, simulation in [
            ("order-1238", "rate_limit;count=1"),
            ("order-1239", "unavailable;count=1"),
        ]:
            attempts.clear()
            response = post_with_retries(
                client,
                "/payments",
                payment_body(order_id, "4111111111111111"),
                idempotency_key=f"payment-{order_id}-1",
                headers={"Flowlix-Simulate": simulation},
            )
            print(simulation, "->", response.status_code, "after", len(attempts), "attempts")
            #> rate_limit;count=1 -> 201 after 2 attempts
            #> unavailable;count=1 -> 201 after 2 attempts

        # A decline and a bad request are answered at once and never retried.
        for order_id, number, currency in [
            ("order-1235", "4000040000010015", "EUR"),
            ("order-1236", "4111111111111111", "XYZ"),
        ]:
            attempts.clear()
            response = post_with_retries(
                client,
                "/payments",
                payment_body(order_id, number, currency),
                idempotency_key=f"payment-{order_id}-1",
            )
            print(response.status_code, response.json()["error"]["code"], "after", len(attempts))
            #> 402 card_declined after 1
            #> 400 parameter_invalid after 1

        # When Flowlix keeps failing, give up after four attempts and report it.
        attempts.clear()
        response = post_with_retries(
            client,
            "/payments",
            payment_body("order-1237", "4111111111111111"),
            idempotency_key="payment-order-1237-1",
            headers={"Flowlix-Simulate": "server_error"},
        )
        print(response.status_code, response.json()["error"]["type"], "after", len(attempts))
        #> 500 api_error after 4
    except httpx.HTTPError as error:
        sys.exit(f"could not reach Flowlix: {error!r}")
