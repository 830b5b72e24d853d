"""Retry 5xx answers and network errors with backoff (1 s, 2 s, 4 s) and the same key."""

import logging
import os
import sys
import time

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
RETRY_DELAYS = (1, 2, 4)  # seconds to wait before the 2nd, 3rd and 4th attempt
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
    client: httpx.Client,
    path: str,
    body: dict,
    *,
    idempotency_key: str,
    headers: dict | None = None,
) -> httpx.Response:
    """POST, retrying only what can succeed later. Every attempt sends the same key."""
    request_headers = {**(headers or {}), "Idempotency-Key": idempotency_key}
    for attempt, delay in enumerate((*RETRY_DELAYS, None), start=1):
        try:
            response = client.post(path, json=body, headers=request_headers)
        except httpx.TransportError as error:
            if delay is None:
                raise
            logger.warning("attempt %d: %r; retrying in %ds", attempt, error, delay)
        else:
            request_id = response.headers.get("Flowlix-Request-Id")
            # 2xx and 4xx are final: a 4xx means the request itself is wrong, or the card is.
            if response.status_code < 500 or delay is None:
                logger.info(
                    "attempt %d: %d request_id=%s", attempt, response.status_code, request_id
                )
                return response
            logger.warning(
                "attempt %d: %d request_id=%s; retrying in %ds",
                attempt,
                response.status_code,
                request_id,
                delay,
            )
        time.sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")


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
            idempotency_key="payment-order-1234",
            headers={"Flowlix-Simulate": "server_error;count=3"},
        )
        print(response.status_code, response.json()["status"], "after", len(attempts), "attempts")
        #> 201 succeeded after 4 attempts

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
                idempotency_key=f"payment-{order_id}",
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
            idempotency_key="payment-order-1237",
            headers={"Flowlix-Simulate": "server_error"},
        )
        print(response.status_code, response.json()["error"]["type"], "after", len(attempts))
        #> 500 api_error after 4
    except httpx.HTTPError as error:
        sys.exit(f"could not reach Flowlix: {error!r}")
