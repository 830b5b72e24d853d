"""The failure drills (snippets/testing/failure_drills.py) run against the docs' own patterns.

`shop` is assembled from the sections the pages show: the retry helper, the payment attempt and
its recovery (payments/store_payment_id.py), the receiver and the catch-up (webhooks/receiver.py).
Every drill must pass against them, and each must fail once the pattern it protects is broken:
the mutants below each break one pattern the way real integrations do, and the drill for it
must then fail.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from flowlix_mock.testing import MockServer, new_test_key, start_mock

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "snippets"
DRILLS = SNIPPETS / "testing" / "failure_drills.py"

HEADER = '''"""The docs' patterns as one module, for the failure drills."""

import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

logger = logging.getLogger("shop")
'''


def section(path: Path, name: str) -> str:
    text = path.read_text(encoding="utf-8")
    match = re.search(rf"# --8<-- \[start:{name}\]\n(.*?)# --8<-- \[end:{name}\]", text, re.S)
    assert match, f"{path}: no section {name!r}"
    return match.group(1)


def shop_source() -> str:
    return "\n\n".join(
        [
            HEADER,
            section(SNIPPETS / "errors" / "retry_with_backoff.py", "retry"),
            section(SNIPPETS / "payments" / "store_payment_id.py", "attempt"),
            section(SNIPPETS / "webhooks" / "receiver.py", "receiver"),
            section(SNIPPETS / "webhooks" / "receiver.py", "catch-up"),
        ]
    )


# Each drill, and a mutant that breaks the pattern it protects: (old text, new text).
MUTANTS = {
    # One key per order instead of per attempt: the second card is idempotency_key_reused.
    "test_decline_then_a_second_card": [
        ('key = f"payment-{order_id}-{attempt}"', 'key = f"payment-{order_id}"'),
    ],
    # A new attempt may start while an earlier one's outcome is unknown.
    "test_crash_after_sending_before_saving_the_id": [
        (
            "\" AND coalesce(attempt_state, 'failed') = 'failed'\",",
            '" AND 1 = 1",',
        ),
    ],
    # A new key on every retry: the retry after a lost response charges again.
    "test_lost_response": [
        (
            "response = client.post(path, json=body, headers=request_headers, timeout=timeout)",
            "response = client.post(path, json=body, headers={**request_headers, "
            '"Idempotency-Key": f"{idempotency_key}-{attempt}"}, timeout=timeout)',
        ),
    ],
    # 5xx not retried.
    "test_a_burst_of_server_errors": [
        (
            "return response.status_code == 429 or response.status_code >= 500",
            "return response.status_code == 429",
        ),
    ],
    # 429 not retried (a policy written for 5xx only).
    "test_a_429_storm_from_several_workers": [
        (
            "return response.status_code == 429 or response.status_code >= 500",
            "return response.status_code >= 500",
        ),
    ],
    # The event is recorded before its work is done (and committed on its own).
    "test_a_receiver_that_crashes_mid_event": [
        (
            '        handler = HANDLERS.get(event["type"])\n'
            "        if handler is not None:\n"
            '            handler(db, event["data"]["object"])\n'
            "        db.execute(\n"
            '            "INSERT INTO processed_events (event_id, type) VALUES (?, ?)",\n'
            '            (event["id"], event["type"]),\n'
            "        )\n",
            "        db.execute(\n"
            '            "INSERT INTO processed_events (event_id, type) VALUES (?, ?)",\n'
            '            (event["id"], event["type"]),\n'
            "        )\n"
            "        db.commit()\n"
            '        handler = HANDLERS.get(event["type"])\n'
            "        if handler is not None:\n"
            '            handler(db, event["data"]["object"])\n',
        ),
    ],
    # No catch-up: what was not delivered is lost.
    "test_a_receiver_down_past_the_last_retry": [
        (
            "return sum(process_event(db, event) for event in reversed(events))",
            "return 0",
        ),
    ],
}


def load_drills(shop_code: str) -> types.ModuleType:
    """The drills module, importing `shop` built from `shop_code` (not from sys.path)."""
    shop = types.ModuleType("shop")
    exec(compile(shop_code, "shop.py", "exec"), shop.__dict__)  # noqa: S102
    previous = sys.modules.get("shop")
    sys.modules["shop"] = shop
    try:
        spec = importlib.util.spec_from_file_location("failure_drills", DRILLS)
        drills = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(drills)
    finally:
        if previous is None:
            sys.modules.pop("shop")
        else:
            sys.modules["shop"] = previous
    return drills


def mutated(drill: str) -> str:
    source = shop_source()
    for old, new in MUTANTS[drill]:
        assert source.count(old) == 1, f"{drill}: the mutant no longer applies: {old!r}"
        source = source.replace(old, new)
    return source


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    """One mock for every drill, as the drills' own fixture starts it."""
    with start_mock(extra_args=("--webhook-retry-schedule", "0.2,0.4")) as server:
        yield server


def run_drill(drills: types.ModuleType, name: str, mock: MockServer, monkeypatch) -> None:
    """Call one drill with the fixtures it names, as pytest would."""
    function = getattr(drills, name)
    with mock.client(new_test_key(), timeout=10.0) as client:
        available = {"mock": mock, "client": client, "monkeypatch": monkeypatch}
        function(**{name: available[name] for name in inspect.signature(function).parameters})


def test_every_drill_has_a_mutant() -> None:
    drills = re.findall(r"^def (test_\w+)", DRILLS.read_text(encoding="utf-8"), re.M)
    assert len(drills) == 7
    assert sorted(drills) == sorted(MUTANTS)


@pytest.mark.parametrize("drill", sorted(MUTANTS))
def test_the_drill_passes_against_the_docs_patterns(
    drill: str, mock: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_drill(load_drills(shop_source()), drill, mock, monkeypatch)


@pytest.mark.parametrize("drill", sorted(MUTANTS))
def test_the_drill_fails_when_its_pattern_is_broken(
    drill: str, mock: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    drills = load_drills(mutated(drill))
    # Any failure counts: an assertion, pytest.raises unmet, an HTTP error from the shop.
    with pytest.raises((Exception, pytest.fail.Exception)):
        run_drill(drills, drill, mock, monkeypatch)
