"""Watch the decline rate over a sliding window and alert when it jumps."""

import logging
import os
import sys
import time
from collections import deque

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
logger = logging.getLogger("shop.monitoring")


# --8<-- [start:focus]
class DeclineRateMonitor:
    """Share of declined payment attempts in the last `window_seconds`.

    A sudden rise points at a broken integration (say, amounts sent in major units) or at
    card testing by fraudsters. `min_attempts` keeps one unlucky customer from paging anyone.
    """

    def __init__(self, window_seconds: float, threshold: float, min_attempts: int) -> None:
        self.window_seconds = window_seconds
        self.threshold = threshold
        self.min_attempts = min_attempts
        self._attempts: deque[tuple[float, bool]] = deque()

    def record(self, declined: bool, at: float | None = None) -> None:
        self._attempts.append((time.monotonic() if at is None else at, declined))

    def decline_rate(self, now: float | None = None) -> tuple[float, int]:
        now = time.monotonic() if now is None else now
        while self._attempts and now - self._attempts[0][0] > self.window_seconds:
            self._attempts.popleft()
        total = len(self._attempts)
        declined = sum(1 for _, was_declined in self._attempts if was_declined)
        return (declined / total if total else 0.0), total

    def alert(self, now: float | None = None) -> str | None:
        rate, total = self.decline_rate(now)
        if total >= self.min_attempts and rate > self.threshold:
            message = f"decline rate {rate:.0%} in the last {total} attempts"
            logger.error(message)  # route ERROR records to your pager
            return message
        return None


# --8<-- [end:focus]
def flowlix_client() -> httpx.Client:
    api_key = os.environ.get("FLOWLIX_API_KEY")
    if not api_key:
        sys.exit("FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.")
    return httpx.Client(
        base_url=API_BASE,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=httpx.Timeout(10.0, connect=5.0),
    )


monitor = DeclineRateMonitor(window_seconds=15 * 60, threshold=0.25, min_attempts=10)
# A burst of traffic: mostly good cards, then a run of declines.
numbers = ["4111111111111111"] * 7 + ["4000040000010015", "4000040000010031"] * 3
with flowlix_client() as client:
    for index, number in enumerate(numbers, start=1):
        card = {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}
        try:
            response = client.post(
                "/payments",
                json={
                    "amount": 2500,
                    "currency": "EUR",
                    "card": card,
                    "reference": f"order-{index}",
                },
                headers={"Idempotency-Key": f"payment-order-{index}-1"},
            )
        except httpx.HTTPError as error:
            sys.exit(f"could not reach Flowlix: {error!r}")
        logger.info(
            "order-%d: %d request_id=%s",
            index,
            response.status_code,
            response.headers.get("Flowlix-Request-Id"),
        )
        monitor.record(declined=response.status_code == 402)
        if index in (7, 10, 13):
            rate, total = monitor.decline_rate()
            print(f"after {total} attempts: {rate:.0%} declined, alert: {monitor.alert()}")
            #> after 7 attempts: 0% declined, alert: None
            #> after 10 attempts: 30% declined, alert: decline rate 30% in the last 10 attempts
            #> after 13 attempts: 46% declined, alert: decline rate 46% in the last 13 attempts
