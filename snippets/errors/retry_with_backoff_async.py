"""The retry helper for asyncio code: backoff 1 s, 2 s, 4 s with the same key, 5xx only."""

import asyncio
import logging
import os
import sys

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
RETRY_DELAYS = (1, 2, 4)
logger = logging.getLogger("shop.payments")


def flowlix_client() -> httpx.AsyncClient:
    api_key = os.environ.get("FLOWLIX_API_KEY")
    if not api_key:
        sys.exit("FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.")
    return httpx.AsyncClient(
        base_url=API_BASE,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=httpx.Timeout(10.0, connect=5.0),
    )


async def post_with_retries(
    client: httpx.AsyncClient,
    path: str,
    body: dict,
    *,
    idempotency_key: str,
    headers: dict | None = None,
) -> httpx.Response:
    """POST, retrying 5xx and network errors only. Every attempt sends the same key."""
    request_headers = {**(headers or {}), "Idempotency-Key": idempotency_key}
    for attempt, delay in enumerate((*RETRY_DELAYS, None), start=1):
        try:
            response = await client.post(path, json=body, headers=request_headers)
        except httpx.TransportError as error:
            if delay is None:
                raise
            logger.warning("attempt %d: %r; retrying in %ds", attempt, error, delay)
        else:
            request_id = response.headers.get("Flowlix-Request-Id")
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
        # asyncio.sleep, never time.sleep: the event loop keeps serving other requests.
        await asyncio.sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")


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
            idempotency_key="payment-order-1234",
            headers={"Flowlix-Simulate": "server_error;count=3"},  # test mode only
        )
        print(response.status_code, response.json()["status"], "after", len(attempts), "attempts")
        #> 201 succeeded after 4 attempts

        attempts.clear()
        response = await post_with_retries(
            client,
            "/payments",
            {"amount": 4999, "currency": "XYZ", "card": card, "reference": "order-1235"},
            idempotency_key="payment-order-1235",
        )
        print(response.status_code, response.json()["error"]["code"], "after", len(attempts))
        #> 400 parameter_invalid after 1


try:
    asyncio.run(main())
except httpx.HTTPError as error:
    sys.exit(f"could not reach Flowlix: {error!r}")
