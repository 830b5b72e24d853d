"""Count 5xx and 429 answers for alerting, with an httpx event hook."""

import logging
import os
import sys
import time
from collections import deque

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
logger = logging.getLogger("shop.monitoring")


class ErrorCounter:
    """Counts server errors (5xx) and rate-limit hits (429) over a sliding window.

    Use it as a response hook; export `counts()` to your metrics system, or let `alerts()`
    speak for itself.
    """

    def __init__(
        self, window_seconds: float, max_server_errors: int, max_rate_limited: int
    ) -> None:
        self.window_seconds = window_seconds
        self.limits = {"5xx": max_server_errors, "429": max_rate_limited}
        self._events: deque[tuple[float, str]] = deque()

    def __call__(self, response: httpx.Response) -> None:
        if response.status_code >= 500:
            kind = "5xx"
        elif response.status_code == 429:
            kind = "429"
        else:
            return
        self._events.append((time.monotonic(), kind))
        logger.warning(
            "%s answer request_id=%s",
            response.status_code,
            response.headers.get("Flowlix-Request-Id"),
        )

    def counts(self) -> dict[str, int]:
        now = time.monotonic()
        while self._events and now - self._events[0][0] > self.window_seconds:
            self._events.popleft()
        counts = dict.fromkeys(self.limits, 0)
        for _, kind in self._events:
            counts[kind] += 1
        return counts

    def alerts(self) -> list[str]:
        return [
            f"{count} {kind} answers in {self.window_seconds:.0f}s (limit {self.limits[kind]})"
            for kind, count in self.counts().items()
            if count > self.limits[kind]
        ]


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


counter = ErrorCounter(window_seconds=300, max_server_errors=3, max_rate_limited=5)
card = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
# Test mode: make some calls fail the way a bad day in production would.
simulations = ["server_error"] * 4 + ["rate_limit"] * 2 + [None] * 3
with flowlix_client(counter) as client:
    for index, simulation in enumerate(simulations, start=1):
        headers = {"Idempotency-Key": f"payment-order-{index}-1"}
        if simulation:
            headers["Flowlix-Simulate"] = simulation
        try:
            client.post(
                "/payments",
                json={
                    "amount": 1000,
                    "currency": "EUR",
                    "card": card,
                    "reference": f"order-{index}",
                },
                headers=headers,
            )
        except httpx.HTTPError as error:
            sys.exit(f"could not reach Flowlix: {error!r}")

print(counter.counts())
#> {'5xx': 4, '429': 2}
for alert in counter.alerts():
    print("ALERT:", alert)
    #> ALERT: 4 5xx answers in 300s (limit 3)
