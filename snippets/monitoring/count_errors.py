"""Count what the alert table names (5xx, 429, 401, 400, webhook signature failures)."""

import logging
import os
import sys
import time
from collections import deque

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
logger = logging.getLogger("shop.monitoring")

# Alert when a count in the window goes ABOVE its threshold. 401s and webhook signature
# failures are wrong at any level; a few 5xx, 429 and 400 happen on a good day.
THRESHOLDS = {"5xx": 3, "429": 5, "401": 0, "400": 2, "webhook_signature": 0}


# --8<-- [start:focus]
class ErrorCounter:
    """Counts each kind of failure over a sliding window; use it as an httpx response hook.

    Export `counts()` to your metrics system, or let `alerts()` speak for itself. The webhook
    receiver calls `webhook_rejected()` when a delivery fails verification.
    """

    def __init__(self, window_seconds: float, thresholds: dict[str, int]) -> None:
        self.window_seconds = window_seconds
        self.thresholds = thresholds
        self._events: deque[tuple[float, str]] = deque()

    def __call__(self, response: httpx.Response) -> None:
        status = response.status_code
        kind = "5xx" if status >= 500 else str(status)
        if kind not in self.thresholds:
            return  # 2xx, and 402 declines: those are watched as a rate, not as errors
        self._count(kind)
        logger.warning(
            "%s answer to %s %s request_id=%s",
            status,
            response.request.method,
            response.request.url.path,
            response.headers.get("Flowlix-Request-Id"),
        )

    def webhook_rejected(self) -> None:
        self._count("webhook_signature")

    def _count(self, kind: str) -> None:
        self._events.append((time.monotonic(), kind))

    def counts(self) -> dict[str, int]:
        now = time.monotonic()
        while self._events and now - self._events[0][0] > self.window_seconds:
            self._events.popleft()
        counts = dict.fromkeys(self.thresholds, 0)
        for _, kind in self._events:
            counts[kind] += 1
        return counts

    def alerts(self) -> list[str]:
        return [
            f"{count} {kind} in {self.window_seconds:.0f}s (threshold {self.thresholds[kind]})"
            for kind, count in self.counts().items()
            if count > self.thresholds[kind]
        ]


# --8<-- [end:focus]
def flowlix_client(counter: ErrorCounter) -> httpx.Client:
    api_key = os.environ.get("FLOWLIX_API_KEY")
    if not api_key:
        sys.exit("FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.")
    return httpx.Client(
        base_url=API_BASE,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=httpx.Timeout(10.0, connect=5.0),
        event_hooks={"response": [counter]},
    )


counter = ErrorCounter(window_seconds=300, thresholds=THRESHOLDS)
card = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
# Test mode: make some calls fail the way a bad day in production would.
simulations = ["server_error"] * 4 + ["rate_limit"] * 2 + [None] * 3
with flowlix_client(counter) as client:
    try:
        for index, simulation in enumerate(simulations, start=1):
            headers = {"Idempotency-Key": f"payment-order-{index}-1"}
            if simulation:
                headers["Flowlix-Simulate"] = simulation
            body = {"amount": 1000, "currency": "EUR", "card": card, "reference": f"order-{index}"}
            client.post("/payments", json=body, headers=headers)
        # A deployment with a broken key, and a code change that sends the amount as a string.
        api_key = os.environ["FLOWLIX_API_KEY"]
        client.get("/payments", headers={"Authorization": f"Bearer {api_key}-revoked"})
        client.post(
            "/payments",
            json={"amount": "10.00", "currency": "EUR", "card": card, "reference": "order-10"},
            headers={"Idempotency-Key": "payment-order-10-1"},
        )
    except httpx.HTTPError as error:
        sys.exit(f"could not reach Flowlix: {error!r}")
counter.webhook_rejected()  # what your receiver reports for a delivery with a bad signature

print(counter.counts())
#> {'5xx': 4, '429': 2, '401': 1, '400': 1, 'webhook_signature': 1}
for alert in counter.alerts():
    print("ALERT:", alert)
    #> ALERT: 4 5xx in 300s (threshold 3)
    #> ALERT: 1 401 in 300s (threshold 0)
    #> ALERT: 1 webhook_signature in 300s (threshold 0)
