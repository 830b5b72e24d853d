"""Every snippet under snippets/ is linted, formatted and run against one mock server.

Each snippet runs in-process with pytest-examples, with its own deterministic test key (so ids and
timestamps in its `#>` output are exact), and its printed output must match those comments.
`pytest --update-examples` rewrites the comments (and the formatting) in the snippet files.
"""

from __future__ import annotations

import ast
import asyncio
import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pytest_examples import CodeExample, EvalExample

from flowlix_mock import catalog
from flowlix_mock.testing import MockServer, new_test_key, start_mock

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS_DIR = ROOT / "snippets"
SNIPPETS = sorted(SNIPPETS_DIR.rglob("*.py"))
MOCK_SEED = "flowlix-docs"

# Snippets written to the contract for endpoints the mock does not serve yet (issue 3).
PENDING_MOCK_ENDPOINTS: set[str] = set()

# Backoff snippets must not really sleep: the waits they ask for, in order, each within bounds.
# The retry helper waits a random time (full jitter) up to catalog.LIMITS.retry_backoff_seconds
# for the nth retry, on top of any Retry-After (1 s on the mock's simulations).
CEILINGS = catalog.LIMITS.retry_backoff_seconds
JITTER = [(0, ceiling) for ceiling in CEILINGS]  # retries 1, 2, 3 after a 500
AFTER_1S = [(1, 1 + ceiling) for ceiling in CEILINGS]  # after a 429 or 503 with Retry-After: 1
SLEEP_SCHEDULES = {
    "errors/retry_with_backoff.py": [*JITTER, AFTER_1S[0], AFTER_1S[0], *JITTER],
    "errors/retry_with_backoff_async.py": JITTER,
    "errors/respect_retry_after.py": AFTER_1S[:2],
    "errors/recover_lost_response.py": JITTER[:1],
    "testing/simulate_failures.py": [*JITTER[:2], AFTER_1S[0], AFTER_1S[0], JITTER[0]],
    "payments/store_payment_id.py": [],
}


# What printed output cannot prove: how many payments each order ended up with on the mock.
PAYMENTS_PER_ORDER = {
    "errors/retry_with_backoff.py": {
        "order-1234": 1,  # four attempts, one payment
        "order-1235": 1,  # the declined payment is stored as failed, once
        "order-1236": 0,  # a parameter error creates nothing
        "order-1237": 0,  # four 500s create nothing
        "order-1238": 1,  # a 429, then the payment
        "order-1239": 1,  # a 503, then the payment
    },
    "errors/retry_with_backoff_async.py": {"order-1234": 1, "order-1235": 0},
    "errors/respect_retry_after.py": {"order-1234": 1},
    "errors/recover_lost_response.py": {"order-1234": 1},
    "testing/simulate_failures.py": {f"order-500{n}": 1 for n in range(1, 5)},
    "testing/prove_idempotency.py": {"order-1234": 1, "order-1235": 1},
    "errors/handle_errors.py": {"order-2001": 1, "order-2004": 0, "order-2005": 0},
    "monitoring/count_errors.py": {"order-1": 0, "order-5": 0, "order-7": 1, "order-10": 0},
    # A decline, then one success, for each order: the third card was never charged.
    "three_d_secure/create_payment.py": {"order-3004": 1},  # requires_action, one payment
    "three_d_secure/return_handler.py": {"order-4001": 1, "order-4002": 1},
    "payments/store_payment_id.py": {"order-1234": 2, "order-1235": 2},
    "payments/reconcile_payments.py": {"order-3001": 1, "order-3002": 1, "order-3003": 2},
}

# Snippets that never call the API (no request id to log).
OFFLINE = {
    "keys/load_api_key.py",
    "amounts/minor_units.py",
    "webhooks/verify_signature.py",
    "webhooks/verify_with_standardwebhooks.py",
    "security/mask_card_numbers.py",
    "security/find_leaked_keys.py",
    "testing/merchant_pytest_suite.py",  # talks to its own mock, from its own pytest run
}

# Snippets that another test runs: here they are linted and formatted only.
RUN_ELSEWHERE = {
    # Needs the merchant's `shop` module: tests/test_failure_drills.py runs every drill against
    # the docs' own patterns, and each drill against a mutant that breaks its pattern.
    "testing/failure_drills.py",
}

REAL_SLEEP = time.sleep
REAL_ASYNC_SLEEP = asyncio.sleep
REQUEST_ID = re.compile(r"req_[A-Za-z0-9]{16,}")
FULL_TEST_CARDS = [card.number for card in catalog.TEST_CARDS]


def relative(path: Path) -> str:
    return path.relative_to(SNIPPETS_DIR).as_posix()


def snippet_params() -> list:
    params = []
    for path in SNIPPETS:
        marks = []
        if relative(path) in PENDING_MOCK_ENDPOINTS:
            marks.append(
                pytest.mark.xfail(reason="mock endpoints not yet implemented", strict=True)
            )
        params.append(pytest.param(path, id=relative(path), marks=marks))
    return params


def list_payments(client: httpx.Client, order_id: str) -> list[dict]:
    """The account's payments for one order (waiting out the rate limit a snippet may have hit)."""
    for _ in range(5):
        response = client.get("/payments", params={"reference": order_id, "limit": 100})
        if response.status_code != 429:
            break
        REAL_SLEEP(int(response.headers["Retry-After"]))
    assert response.status_code == 200, response.text
    return response.json()["data"]


class SnippetExample(CodeExample):
    """A whole snippet file as one example.

    pytest-examples treats examples in `.py` files as docstring examples: its black check then
    collapses double blank lines (breaking PEP 8 spacing between top-level definitions). A snippet
    is a module, not a docstring, so it is checked as such; `--update-examples` still writes
    back to the real file (start_index 0 to the end).
    """

    def in_py_file(self) -> bool:
        return False


@pytest.fixture(scope="session")
def mock() -> Iterator[MockServer]:
    # register_endpoint.py names a public receiver, as it would in production; the mock
    # delivers only to loopback unless told otherwise (contract section 17).
    with start_mock(
        seed=MOCK_SEED, extra_args=("--allow-webhook-host", "shop.example.com")
    ) as server:
        yield server


def test_every_canonical_snippet_exists() -> None:
    """The paths the docs embed (CONTEXT.md) are all here."""
    expected = {
        "keys/load_api_key.py",
        "payments/create_payment.py",
        "payments/store_payment_id.py",
        "payments/retrieve_payment.py",
        "payments/list_payments.py",
        "amounts/minor_units.py",
        "refunds/full_refund.py",
        "refunds/partial_refund.py",
        "errors/handle_errors.py",
        "errors/decline_messages.py",
        "errors/retry_with_backoff.py",
        "errors/retry_with_backoff_async.py",
        "errors/respect_retry_after.py",
        "errors/recover_lost_response.py",
        "rate_limits/client_side_limiter.py",
        "hosted_payment_page/create_session.py",
        "hosted_payment_page/success_handler.py",
        "webhooks/register_endpoint.py",
        "webhooks/verify_signature.py",
        "webhooks/verify_with_standardwebhooks.py",
        "webhooks/receiver.py",
        "webhooks/receiver_async.py",
        "security/mask_card_numbers.py",
        "security/https_only_client.py",
        "testing/test_card_scenarios.py",
        "testing/prove_idempotency.py",
        "testing/simulate_failures.py",
        "testing/merchant_pytest_suite.py",
        "monitoring/log_request_ids.py",
        "monitoring/decline_rate_alert.py",
        "monitoring/count_errors.py",
        "going_live/smoke_test.py",
    }
    assert expected <= {relative(path) for path in SNIPPETS}
    for name in SLEEP_SCHEDULES.keys() | PAYMENTS_PER_ORDER.keys() | OFFLINE:
        assert (SNIPPETS_DIR / name).is_file(), name


@pytest.mark.parametrize("path", snippet_params())
def test_snippet(
    path: Path,
    eval_example: EvalExample,
    mock: MockServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    name = relative(path)
    example = SnippetExample.create(path.read_text(encoding="utf-8"), path=path)
    eval_example.set_config(line_length=100, target_version="py311", quotes="double", isort=True)

    api_key = new_test_key(seed=name)
    for variable, value in mock.env(api_key).items():
        monkeypatch.setenv(variable, value)
    for variable in ("APP_ENV", "SMOKE_DIRECT"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("SMOKE_ORDER_ID", "smoke-docs")

    delays: list[float] = []
    if name in SLEEP_SCHEDULES:
        # Only the snippet's own sleeps are recorded (and skipped); other threads still sleep.
        snippet_file = f"{example.module_name}.py"

        def from_snippet() -> bool:
            return sys._getframe(2).f_code.co_filename.endswith(snippet_file)

        def record_sleep(seconds: float) -> None:
            if from_snippet():
                delays.append(seconds)
            else:
                REAL_SLEEP(seconds)

        async def record_async_sleep(seconds: float, result: object = None) -> object:
            if from_snippet():
                delays.append(seconds)
                seconds = 0
            return await REAL_ASYNC_SLEEP(seconds, result)

        monkeypatch.setattr(time, "sleep", record_sleep)
        monkeypatch.setattr(asyncio, "sleep", record_async_sleep)

    caplog.set_level(logging.INFO)
    log_lines_before = len(mock.log_text().splitlines())
    if name in RUN_ELSEWHERE:
        if eval_example.update_examples:
            eval_example.format(example)
        else:
            eval_example.lint(example)
        return
    if eval_example.update_examples:
        eval_example.format(example)
        eval_example.run_print_update(example)
    else:
        eval_example.lint(example)
        eval_example.run_print_check(example)

    if name in SLEEP_SCHEDULES:
        bounds = SLEEP_SCHEDULES[name]
        assert len(delays) == len(bounds), delays
        for delay, (shortest, longest) in zip(delays, bounds, strict=True):
            assert shortest <= delay <= longest, (delays, bounds)
    if name in PAYMENTS_PER_ORDER:
        with mock.client(api_key) as client:
            for order_id, expected in PAYMENTS_PER_ORDER[name].items():
                assert len(list_payments(client, order_id)) == expected, order_id
    if name not in OFFLINE:
        assert REQUEST_ID.search(caplog.text), "the snippet never logged a Flowlix-Request-Id"

    # No full card number in what the snippet logged or wrote, nor in the mock's log.
    captured = capsys.readouterr()
    seen = caplog.text + captured.out + captured.err
    new_mock_log = "\n".join(mock.log_text().splitlines()[log_lines_before:])
    for number in FULL_TEST_CARDS:
        assert number not in seen
        assert number not in new_mock_log
        assert number not in mock.log_text()


# --- facts a merchant's snippet hard-codes must match the catalog ----------------------------


def module_constants(path: Path) -> dict[str, object]:
    """Top-level constant assignments of a snippet, with names of earlier constants resolved."""
    constants: dict[str, object] = {}

    def value_of(node: ast.expr) -> object:
        if isinstance(node, ast.Name):
            return constants[node.id]
        if isinstance(node, ast.Dict):
            pairs = zip(node.keys, node.values, strict=True)
            return {value_of(key): value_of(value) for key, value in pairs}
        return ast.literal_eval(node)

    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id.isupper():
                try:
                    constants[target.id] = value_of(node.value)
                except (ValueError, KeyError):
                    continue  # not a literal constant, such as os.environ.get(...)
    return constants


def test_currency_exponents_match_the_catalog() -> None:
    exponents = module_constants(SNIPPETS_DIR / "amounts/minor_units.py")["CURRENCY_EXPONENTS"]
    assert exponents == {currency.code: currency.exponent for currency in catalog.CURRENCIES}


def test_decline_messages_match_the_catalog() -> None:
    constants = module_constants(SNIPPETS_DIR / "errors/decline_messages.py")
    assert constants["GENERIC_MESSAGE"] == catalog.GENERIC_DECLINE_MESSAGE
    messages = constants["CUSTOMER_MESSAGES"]
    assert messages == {code.decline_code: code.customer_message for code in catalog.DECLINE_CODES}
    for code in catalog.FRAUD_DECLINE_CODES:
        assert messages[code] == catalog.GENERIC_DECLINE_MESSAGE
    assert catalog.customer_message("a_code_added_later") == constants["GENERIC_MESSAGE"]


def test_test_card_table_matches_the_catalog() -> None:
    cards = module_constants(SNIPPETS_DIR / "testing/test_card_scenarios.py")["TEST_CARDS"]
    assert cards == {
        card.number: "succeeded" if card.outcome == "success" else card.decline_code
        for card in catalog.TEST_CARDS
    }


@pytest.mark.parametrize("path", SNIPPETS, ids=relative)
def test_card_numbers_are_catalog_test_cards(path: Path) -> None:
    """Every card number written in a snippet is a documented test card (never a real one)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for digits in re.findall(r"\d{12,19}", node.value.replace(" ", "").replace("-", "")):
                if catalog.luhn_valid(digits):
                    assert digits in catalog.TEST_CARDS_BY_NUMBER, digits


# --- bad input: no key, a wrong key, no network ----------------------------------------------


def run_snippet(name: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {key: value for key, value in os.environ.items() if not key.startswith("FLOWLIX_")}
    return subprocess.run(
        [sys.executable, str(SNIPPETS_DIR / name)],
        env=base | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_line_failure(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 1, result
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.parametrize(
    "name",
    [
        "keys/load_api_key.py",
        "payments/create_payment.py",
        "errors/handle_errors.py",
        "errors/retry_with_backoff_async.py",
        "going_live/smoke_test.py",
    ],
)
def test_missing_key_is_one_clear_line(name: str) -> None:
    assert_one_line_failure(run_snippet(name, {}), "FLOWLIX_API_KEY")


def test_live_key_outside_production_is_refused() -> None:
    live_key = new_test_key(seed="refused").replace("fl_test_", "fl_live_")
    result = run_snippet("keys/load_api_key.py", {"FLOWLIX_API_KEY": live_key})
    assert_one_line_failure(result, "refusing a live key outside production")
    assert live_key not in result.stderr


def test_unknown_key_is_one_clear_line(mock: MockServer) -> None:
    env = mock.env("fl_test_sk_short")
    result = run_snippet("payments/create_payment.py", env)
    assert_one_line_failure(result, "authentication_error", "api_key_invalid")


def test_unreachable_api_is_one_clear_line(mock: MockServer) -> None:
    with socket.socket() as probe:  # a loopback port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = mock.env(new_test_key(seed="unreachable"))
    env["FLOWLIX_API_BASE"] = f"https://127.0.0.1:{port}/v1"
    for name in ("payments/create_payment.py", "refunds/partial_refund.py"):
        assert_one_line_failure(run_snippet(name, env), "could not reach Flowlix")


def test_the_direct_smoke_test_reads_the_card_without_echo(mock: MockServer) -> None:
    """SMOKE_DIRECT: the card is typed in (here piped), never echoed, never in the environment."""
    number = "5555555555554444"
    env = mock.env(new_test_key(seed="smoke-direct")) | {
        "SMOKE_ORDER_ID": "smoke-direct",
        "SMOKE_DIRECT": "1",
    }
    base = {key: value for key, value in os.environ.items() if not key.startswith("FLOWLIX_")}
    result = subprocess.run(
        [sys.executable, str(SNIPPETS_DIR / "going_live" / "smoke_test.py")],
        env=base | env,
        input=f"{number}\n12/2030\n123\n",
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,  # no controlling terminal: getpass reads the piped input
    )
    assert result.returncode == 0, result.stderr
    assert "payment fully refunded: True" in result.stdout
    assert "mastercard ending 4444" in result.stdout
    assert number not in result.stdout + result.stderr
    assert number not in mock.log_text()
