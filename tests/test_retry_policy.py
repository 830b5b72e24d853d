"""One retry policy, written once (snippets/errors/retry_with_backoff.py) and used everywhere.

Every snippet that retries a POST carries the same helper block, word for word (the asyncio
one with `await`), its numbers are the catalog's, and the policy does what the errors page
says: it retries 5xx, 429, 409 `idempotency_key_in_use` and transport errors with the same key,
honours `Retry-After`, waits a random time (full jitter), stops after a number of attempts and
a total time, and never retries any other 4xx. The behaviour is checked here over an in-memory
transport (each case needs exact answers); the failure drills run it against the mock.
"""

from __future__ import annotations

import ast
import logging
import random
import re
import time
import types
from pathlib import Path

import httpx
import pytest

from flowlix_mock import catalog

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS_DIR = ROOT / "snippets"
CANONICAL = SNIPPETS_DIR / "errors" / "retry_with_backoff.py"
BLOCK = re.compile(r"# --8<-- \[start:retry\]\n.*?# --8<-- \[end:retry\]", re.S)


def block_of(path: Path) -> str | None:
    match = BLOCK.search(path.read_text(encoding="utf-8"))
    return match.group() if match else None


def as_async(block: str) -> str:
    """The synchronous helper, written for asyncio, as the async snippet must show it."""
    return (
        block.replace("def post_with_retries", "async def post_with_retries")
        .replace("client: httpx.Client", "client: httpx.AsyncClient")
        .replace("response = client.post", "response = await client.post")
        .replace(
            "time.sleep(wait)",
            "await asyncio.sleep(wait)  # never time.sleep: the event loop keeps serving",
        )
    )


def retrying_functions(path: Path) -> list[str]:
    """Functions with a loop that both POSTs and sleeps: a retry loop, whatever its name."""
    names = []
    for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for loop in ast.walk(function):
            if not isinstance(loop, ast.For | ast.While | ast.AsyncFor):
                continue
            calls = [
                ast.unparse(call.func) for call in ast.walk(loop) if isinstance(call, ast.Call)
            ]
            if any(name.endswith("sleep") for name in calls) and any(
                name.endswith((".post", ".request", "post_with_retries")) for name in calls
            ):
                names.append(function.name)
                break
    return names


def test_every_retry_loop_is_the_one_helper() -> None:
    canonical = block_of(CANONICAL)
    assert canonical and "def post_with_retries" in canonical
    users = []
    for path in sorted(SNIPPETS_DIR.rglob("*.py")):
        name = path.relative_to(SNIPPETS_DIR).as_posix()
        block = block_of(path)
        if block is not None:
            users.append(name)
            expected = as_async(canonical) if "async def post_with_retries" in block else canonical
            assert block == expected, f"{name}: the retry helper differs from {CANONICAL.name}"
        for function in retrying_functions(path):
            assert block is not None and function == "post_with_retries", (
                f"{name}: {function}() retries by itself; use the retry helper block"
            )
    # The pages that retry embed snippets that use it.
    assert {
        "errors/retry_with_backoff.py",
        "errors/retry_with_backoff_async.py",
        "errors/respect_retry_after.py",
        "errors/recover_lost_response.py",
        "testing/simulate_failures.py",
        "payments/store_payment_id.py",
    } <= set(users)


def test_the_helper_numbers_are_the_catalog_s() -> None:
    helper = load_helper()
    assert helper.MAX_ATTEMPTS == catalog.LIMITS.retry_max_attempts
    assert helper.BACKOFF_SECONDS == catalog.LIMITS.retry_backoff_seconds
    assert helper.TOTAL_SECONDS == catalog.LIMITS.retry_total_seconds
    # The worst case fits in a checkout request: waits and attempts end within the total.
    assert helper.ATTEMPT_TIMEOUT_SECONDS < helper.TOTAL_SECONDS <= 20


# --- the policy's behaviour, over an in-memory transport ---------------------------------


class FakeClock:
    """time.monotonic and time.sleep for the helper: sleeping moves the clock, instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def load_helper(clock: FakeClock | None = None) -> types.SimpleNamespace:
    """The helper block run as its own module, with a fake clock if given."""
    fake_time = types.SimpleNamespace(monotonic=time.monotonic, sleep=time.sleep)
    if clock is not None:
        fake_time = types.SimpleNamespace(monotonic=clock.monotonic, sleep=clock.sleep)
    namespace = {
        "httpx": httpx,
        "random": random,
        "time": fake_time,
        "logger": logging.getLogger("shop.payments"),
    }
    exec(compile(block_of(CANONICAL), str(CANONICAL), "exec"), namespace)  # noqa: S102
    return types.SimpleNamespace(**namespace)


def error(status: int, code: str, headers: dict | None = None) -> httpx.Response:
    body = {"error": {"type": "x", "code": code}}
    return httpx.Response(
        status, json=body, headers={"Flowlix-Request-Id": "req_x", **(headers or {})}
    )


def run(answers: list, clock: FakeClock) -> tuple[httpx.Response | Exception, list[httpx.Request]]:
    """POST through the helper; the transport gives `answers` in turn (a response or an error)."""
    helper = load_helper(clock)
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        answer = answers[min(len(requests), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        clock.now += 0.05  # each answer takes a little time
        return answer

    client = httpx.Client(transport=httpx.MockTransport(handler), base_url="https://x/v1")
    try:
        result = helper.post_with_retries(
            client, "/payments", {"amount": 1}, idempotency_key="payment-order-1-1"
        )
    except httpx.HTTPError as raised:
        result = raised
    return result, requests


OK = httpx.Response(201, json={"id": "pay_1", "status": "succeeded"})


@pytest.mark.parametrize(
    "first",
    [
        error(500, "internal_error"),
        error(503, "service_unavailable", {"Retry-After": "1"}),
        error(429, "rate_limited", {"Retry-After": "1"}),
        error(409, "idempotency_key_in_use"),
        httpx.ReadTimeout("no answer"),
        httpx.ConnectError("refused"),
    ],
    ids=["500", "503", "429", "409-in-use", "timeout", "connect"],
)
def test_what_can_succeed_later_is_retried_with_the_same_key(first) -> None:
    clock = FakeClock()
    result, requests = run([first, OK], clock)
    assert isinstance(result, httpx.Response) and result.status_code == 201
    assert len(requests) == 2
    keys = {request.headers["Idempotency-Key"] for request in requests}
    assert keys == {"payment-order-1-1"}
    assert len({request.content for request in requests}) == 1  # the same body too


@pytest.mark.parametrize(
    "answer",
    [
        error(400, "parameter_invalid"),
        error(401, "api_key_invalid"),
        error(402, "card_declined"),
        error(404, "resource_missing"),
        error(409, "something_else"),
        error(422, "idempotency_key_reused"),
    ],
    ids=["400", "401", "402", "404", "409-other", "422"],
)
def test_other_4xx_are_never_retried(answer: httpx.Response) -> None:
    clock = FakeClock()
    result, requests = run([answer, OK], clock)
    assert len(requests) == 1
    assert isinstance(result, httpx.Response) and result.status_code == answer.status_code
    assert clock.sleeps == []


def test_retry_after_is_a_floor_and_jitter_spreads_workers() -> None:
    waits = []
    for _ in range(50):
        clock = FakeClock()
        run([error(429, "rate_limited", {"Retry-After": "3"}), OK], clock)
        waits += clock.sleeps
    assert len(waits) == 50
    assert all(3 <= wait <= 3 + catalog.LIMITS.retry_backoff_seconds[0] for wait in waits)
    assert len({round(wait, 3) for wait in waits}) > 40  # not in lockstep


def test_full_jitter_waits_up_to_each_ceiling() -> None:
    seen: list[list[float]] = []
    for _ in range(30):
        clock = FakeClock()
        result, requests = run([error(500, "internal_error")], clock)
        assert len(requests) == catalog.LIMITS.retry_max_attempts  # then it gives up
        assert isinstance(result, httpx.Response) and result.status_code == 500
        seen.append(clock.sleeps)
    for retry, ceiling in enumerate(catalog.LIMITS.retry_backoff_seconds):
        waits = [sleeps[retry] for sleeps in seen if len(sleeps) > retry]
        assert all(0 <= wait <= ceiling for wait in waits)
        assert max(waits) > ceiling / 2 and min(waits) < ceiling / 2  # the whole range


def test_no_answer_after_the_last_attempt_raises() -> None:
    clock = FakeClock()
    result, requests = run([httpx.ReadTimeout("no answer")], clock)
    assert isinstance(result, httpx.ReadTimeout)
    assert len(requests) == catalog.LIMITS.retry_max_attempts


def test_total_time_is_capped_inside_a_checkout_request() -> None:
    """Long Retry-After answers: the helper gives up rather than outlast the total time."""
    for retry_after in ("4", "9", "30"):
        clock = FakeClock()
        start = clock.now
        answer = error(503, "service_unavailable", {"Retry-After": retry_after})
        result, requests = run([answer], clock)
        assert result.status_code == 503
        assert clock.now - start <= catalog.LIMITS.retry_total_seconds
    assert len(requests) == 1  # 30 s was never worth waiting for


def test_a_slow_attempt_gets_only_the_time_left() -> None:
    clock = FakeClock()
    helper = load_helper(clock)
    timeouts = []

    def handler(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"]["read"])
        clock.now += timeouts[-1]  # it takes as long as it may, then times out
        raise httpx.ReadTimeout("no answer", request=request)

    client = httpx.Client(transport=httpx.MockTransport(handler), base_url="https://x/v1")
    with pytest.raises(httpx.ReadTimeout):
        helper.post_with_retries(client, "/payments", {}, idempotency_key="k")
    assert timeouts[0] == helper.ATTEMPT_TIMEOUT_SECONDS
    assert sum(timeouts) + sum(clock.sleeps) <= catalog.LIMITS.retry_total_seconds + 1e-6
