"""Accounts and the objects they own, kept in memory.

Each distinct API key is its own account. An account is looked up by a hash of its key, so the
key itself is never kept. With a seed, every id and timestamp an account produces depends only on
the seed, the key and the order of requests made with it.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import string
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from .models import CheckoutSession, Event, Payment, Refund, WebhookEndpoint

ALPHANUMERIC = string.ascii_letters + string.digits
SEEDED_EPOCH = 1767225600  # 2026-01-01T00:00:00Z: where a seeded account's clock starts


# Without a seed, ids come from the operating system's cryptographic random source: a checkout
# session's id is its hosted page's only access control (contract section 17). One read of it per
# token: random bytes 0-247 map evenly onto the 62 characters (248 = 4 x 62), 248-255 are dropped.
# (SystemRandom.choices would read it once per character: 72 system calls for a payment's ids.)
_BYTE_TO_CHARACTER = bytes(ord(ALPHANUMERIC[byte % 62]) for byte in range(248)) + bytes(8)
_UNEVEN_BYTES = bytes(range(248, 256))


def random_token(length: int, generator: random.Random | None = None) -> str:
    """`length` letters and digits: from `generator` (a seeded account's), else from the
    operating system's cryptographic random source."""
    if generator is not None:
        return "".join(generator.choices(ALPHANUMERIC, k=length))
    token = b""
    while len(token) < length:
        token += secrets.token_bytes(length + 8).translate(_BYTE_TO_CHARACTER, _UNEVEN_BYTES)
    return token[:length].decode("ascii")


def key_fingerprint(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


@dataclass
class Journal:
    """What the running request changed, so that a request ending in a 5xx leaves nothing.

    The pipeline opens one (`journal()`) around a request's handler and closes it only once the
    response is fully encoded: then the events the request emitted go out (commit). On any
    failure before that, its undo steps run, newest first (rollback), and its events are
    dropped. Handlers do not `await`, so no other request changes anything in between.
    """

    undo: list[Callable[[], None]] = field(default_factory=list)
    events: list[tuple[Account, str, Any]] = field(default_factory=list)

    def rollback(self) -> None:
        self.events.clear()
        while self.undo:
            self.undo.pop()()


_JOURNAL: ContextVar[Journal | None] = ContextVar("flowlix_mock_journal", default=None)


def current_journal() -> Journal | None:
    return _JOURNAL.get()


@contextmanager
def journal() -> Iterator[Journal]:
    """Record the changes made inside; take them all back if the block raises."""
    current = Journal()
    token = _JOURNAL.set(current)
    try:
        yield current
    except BaseException:
        _JOURNAL.reset(token)
        current.rollback()
        raise
    _JOURNAL.reset(token)


@dataclass
class Account:
    """One merchant account: its objects, its clock and its id generator."""

    fingerprint: str
    seed: str | None
    clock_offset: int = 0
    payments: dict[str, Payment] = field(default_factory=dict)
    refunds: dict[str, Refund] = field(default_factory=dict)
    checkout_sessions: dict[str, CheckoutSession] = field(default_factory=dict)
    webhook_endpoints: dict[str, WebhookEndpoint] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    _random: random.Random | None = None

    def __post_init__(self) -> None:
        if self.seed is not None:
            material = hashlib.sha256(f"{self.seed}|{self.fingerprint}".encode()).digest()
            self._random = random.Random(material)

    def now(self) -> int:
        """The account's clock in Unix seconds: fixed from the epoch when seeded, else real."""
        base = SEEDED_EPOCH if self.seed is not None else int(time.time())
        return base + self.clock_offset

    def advance(self, seconds: int) -> int:
        previous = self.clock_offset
        self.clock_offset += seconds
        self.on_rollback(lambda: setattr(self, "clock_offset", previous))
        return self.now()

    # --- changes the running request can take back ------------------------------------------

    @staticmethod
    def on_rollback(undo: Callable[[], None]) -> None:
        """Register how to take back a change, if the running request fails after all."""
        current = _JOURNAL.get()
        if current is not None:
            current.undo.append(undo)

    def add(self, table: dict[str, Any], object_id: str, item: Any) -> None:
        """Store a new object in one of this account's tables."""
        table[object_id] = item
        self.on_rollback(lambda: table.pop(object_id, None))

    def update(self, item: Any, **changes: Any) -> None:
        """Change fields of a stored object (a dict or a model)."""
        if isinstance(item, dict):
            previous = {name: item[name] for name in changes}
            item.update(changes)
            self.on_rollback(lambda: item.update(previous))
            return
        previous = {name: getattr(item, name) for name in changes}
        for name, value in changes.items():
            setattr(item, name, value)
        self.on_rollback(lambda: [setattr(item, name, value) for name, value in previous.items()])

    def remove(self, table: dict[str, Any], object_id: str) -> Any:
        """Take an object out of a table (a rollback puts it back in its place)."""
        if object_id not in table:
            return None
        if _JOURNAL.get() is not None:
            before = dict(table)
            self.on_rollback(lambda: (table.clear(), table.update(before)))
        return table.pop(object_id)

    def object_count(self) -> int:
        """Payments, refunds, checkout sessions and webhook endpoints (stored idempotent
        responses are counted by the idempotency store)."""
        return (
            len(self.payments)
            + len(self.refunds)
            + len(self.checkout_sessions)
            + len(self.webhook_endpoints)
        )

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{random_token(24, self._random)}"


class Store:
    """All accounts of one running mock."""

    def __init__(self, seed: str | None = None) -> None:
        self.seed = seed
        self._accounts: dict[str, Account] = {}
        self._anonymous_random = random.Random(f"anonymous|{seed}") if seed is not None else None

    def account_for_key(self, api_key: str) -> Account:
        fingerprint = key_fingerprint(api_key)
        account = self._accounts.get(fingerprint)
        if account is None:
            account = self._accounts[fingerprint] = Account(fingerprint, self.seed)
        return account

    def anonymous_request_id(self) -> str:
        """A request id for a request that belongs to no account (bad key, plain HTTP)."""
        return "req_" + random_token(24, self._anonymous_random)
