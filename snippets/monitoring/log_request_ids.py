"""Log the Flowlix-Request-Id of every API response with an httpx event hook."""

import logging
import os
import sys

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
logger = logging.getLogger("shop.flowlix")


# --8<-- [start:focus]
def log_request_id(response: httpx.Response) -> None:
    """One line per call; quote the request id when you contact Flowlix support."""
    request = response.request
    level = logging.WARNING if response.is_error else logging.INFO
    logger.log(
        level,
        "%s %s -> %d request_id=%s",
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
        # Every response passes through the hook: successes, errors and retries alike.
        event_hooks={"response": [log_request_id]},
    )


# --8<-- [end:focus]
class ListHandler(logging.Handler):
    """Keeps the formatted lines, to show them below; use your usual handlers instead."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


captured = ListHandler()
captured.setFormatter(logging.Formatter("%(message)s"))
logger.addHandler(captured)
logger.setLevel(logging.INFO)

card = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
with flowlix_client() as client:
    try:
        payment = client.post(
            "/payments",
            json={"amount": 4999, "currency": "EUR", "card": card, "reference": "order-1234"},
            headers={"Idempotency-Key": "payment-order-1234-1"},
        ).json()
        client.get(f"/payments/{payment['id']}")
        client.get("/payments/pay_unknown")
    except httpx.HTTPError as error:
        sys.exit(f"could not reach Flowlix: {error!r}")

for line in captured.lines:
    print(line)
    #> POST /v1/payments -> 201 request_id=req_kiCM7LviST9nc1CddqHxF44E
    #> GET /v1/payments/pay_i2VCGF9Ol4Hbvf6bamo8CK9s -> 200 request_id=req_aYaDn5OBcmZUCgs5NYH4axsx
    #> GET /v1/payments/pay_unknown -> 404 request_id=req_MKviyiORbut8CBcC49bE3eFH
