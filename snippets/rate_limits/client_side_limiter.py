"""Stay under the rate limit on your side: at most 20 requests in any second, shared by threads."""

import logging
import os
import sys
import threading
import time
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
logger = logging.getLogger("shop.payments")


# --8<-- [start:focus]
class RateLimiter:
    """A sliding one-second window: `acquire()` blocks until one more request fits.

    Keep `per_second` below the account's limit (25 in test mode) so bursts from several
    workers never reach a 429.
    """

    def __init__(self, per_second: int) -> None:
        self.per_second = per_second
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                while self._sent and now - self._sent[0] >= 1.0:
                    self._sent.popleft()
                if len(self._sent) < self.per_second:
                    self._sent.append(now)
                    return
                wait = 1.0 - (now - self._sent[0])
            time.sleep(wait)


# --8<-- [end:focus]
def flowlix_client(limiter: RateLimiter) -> httpx.Client:
    api_key = os.environ.get("FLOWLIX_API_KEY")
    if not api_key:
        sys.exit("FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.")

    def log_request_id(response: httpx.Response) -> None:
        logger.info(
            "%s %s -> %s request_id=%s",
            response.request.method,
            response.request.url.path,
            response.status_code,
            response.headers.get("Flowlix-Request-Id"),
        )

    return httpx.Client(
        base_url=API_BASE,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=httpx.Timeout(10.0, connect=5.0),
        # Every request, from every thread, waits for its turn before it is sent.
        event_hooks={"request": [lambda request: limiter.acquire()], "response": [log_request_id]},
    )


limiter = RateLimiter(per_second=20)
with flowlix_client(limiter) as client, ThreadPoolExecutor(max_workers=8) as pool:
    started = time.monotonic()
    try:
        # 50 lookups at once, as a busy back office would send them.
        responses = list(
            pool.map(lambda n: client.get("/payments", params={"limit": 1}), range(50))
        )
    except httpx.HTTPError as error:
        sys.exit(f"could not reach Flowlix: {error!r}")
    elapsed = time.monotonic() - started

print(Counter(response.status_code for response in responses))
#> Counter({200: 50})
print("server limit:", responses[0].headers["RateLimit-Limit"], "requests per second")
#> server limit: 25 requests per second
print("took at least 2 seconds:", elapsed >= 2.0)
#> took at least 2 seconds: True
