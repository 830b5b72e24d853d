"""Idempotency keys (contract section 10): replay, reuse, in flight, and retention.

Entries are kept per account. A key is claimed when its request starts running and either
completed with the stored response or released (for responses that are never stored: 401, 429,
5xx and requests rejected before they ran). Retention runs on the account's clock, so advancing
the test clock by 24 hours expires keys, and memory stays bounded under a stream of unique keys.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass

from . import catalog
from .errors import FlowlixError

RETENTION_SECONDS = catalog.LIMITS.idempotency_retention_seconds


@dataclass
class StoredResponse:
    status: int
    body: bytes
    request_id: str


@dataclass
class Entry:
    fingerprint: str
    expires_at: int
    response: StoredResponse | None = None  # None while the first request is still running


def validate_key(key: str) -> None:
    limit = catalog.LIMITS.idempotency_key_max_length
    # Printable ASCII is " " to "~": the ASCII characters str.isprintable() accepts.
    if not 1 <= len(key) <= limit or not (key.isascii() and key.isprintable()):
        raise FlowlixError(
            "idempotency_key_invalid",
            f"The Idempotency-Key header must be 1 to {limit} printable ASCII characters.",
            param="Idempotency-Key",
        )


def request_fingerprint(method: str, path: str, body: object) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyStore:
    def __init__(self) -> None:
        # account fingerprint -> key -> entry, in insertion order (which is expiry order)
        self._entries: dict[str, OrderedDict[str, Entry]] = {}

    def _entries_for(self, account: str, now: int) -> OrderedDict[str, Entry]:
        entries = self._entries.setdefault(account, OrderedDict())
        # Expire from the oldest end; stop at the first live entry.
        while entries:
            key, entry = next(iter(entries.items()))
            if entry.expires_at > now or entry.response is None:
                break
            del entries[key]
        return entries

    def begin(self, account: str, key: str, fingerprint: str, now: int) -> StoredResponse | None:
        """Claim the key, or return the stored response to replay. Raises 409 or 422."""
        entries = self._entries_for(account, now)
        entry = entries.get(key)
        if entry is not None and entry.expires_at <= now and entry.response is not None:
            del entries[key]
            entry = None
        if entry is None:
            entries[key] = Entry(fingerprint, now + RETENTION_SECONDS)
            return None
        if entry.fingerprint != fingerprint:
            raise FlowlixError(
                "idempotency_key_reused",
                "This Idempotency-Key was already used with a different request. "
                "Use a new key for a new operation.",
            )
        if entry.response is None:
            raise FlowlixError(
                "idempotency_key_in_use",
                "A request with this Idempotency-Key is still running. Retry shortly.",
            )
        return entry.response

    def count(self, account: str, now: int) -> int:
        """Entries the account holds: stored responses and keys of requests still running."""
        return len(self._entries_for(account, now))

    def complete(self, account: str, key: str, response: StoredResponse) -> None:
        entry = self._entries[account][key]
        entry.response = response

    def release(self, account: str, key: str) -> None:
        self._entries.get(account, {}).pop(key, None)
