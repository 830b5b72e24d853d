"""Per-account rate limits (contract section 11): fixed one-second windows on a monotonic clock."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


@dataclass
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }


class RateLimiter:
    def __init__(self, per_second: int, clock=time.monotonic) -> None:
        if per_second < 1:
            raise ValueError("the rate limit must be at least 1 request per second")
        self.per_second = per_second
        self._clock = clock
        self._windows: dict[str, tuple[int, int]] = {}  # account -> (window second, count)

    def hit(self, account: str) -> Decision:
        now = self._clock()
        window = int(now)
        start, count = self._windows.get(account, (window, 0))
        if start != window:
            count = 0
        reset = max(1, math.ceil(window + 1 - now))
        if count >= self.per_second:
            self._windows[account] = (window, count)
            return Decision(False, self.per_second, 0, reset)
        count += 1
        self._windows[account] = (window, count)
        return Decision(True, self.per_second, self.per_second - count, reset)
