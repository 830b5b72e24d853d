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
from dataclasses import dataclass, field

from .models import CheckoutSession, Event, Payment, Refund, WebhookEndpoint

ALPHANUMERIC = string.ascii_letters + string.digits
SEEDED_EPOCH = 1767225600  # 2026-01-01T00:00:00Z: where a seeded account's clock starts


# Ids only need to be unique and unguessable enough for a test environment; this generator is
# seeded from the OS once and is much faster than drawing every character from `secrets`.
_UNSEEDED = random.Random(secrets.randbits(128))


def key_fingerprint(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


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
        self.clock_offset += seconds
        return self.now()

    def random_token(self, length: int) -> str:
        return "".join((self._random or _UNSEEDED).choices(ALPHANUMERIC, k=length))

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{self.random_token(24)}"


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
        generator = self._anonymous_random or _UNSEEDED
        return "req_" + "".join(generator.choices(ALPHANUMERIC, k=24))
