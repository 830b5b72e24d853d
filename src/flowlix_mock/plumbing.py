"""HTTP plumbing every feature builds on: the route row, the request context, the response,
the router, body reading and the shared core (store, listeners, services).

Feature modules (payments, checkout, hosted pages, webhooks, test helpers) import this module
and the models; nothing here imports a feature. `app.py` composes the features' route tables
into one application, `openapi.py` turns the same rows into the OpenAPI document.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import parse_qsl

from pydantic import BaseModel, ValidationError
from pydantic_core import to_json

from . import catalog
from .errors import FlowlixError, from_validation, not_found
from .models import ListQuery
from .storage import Account, Journal, Store, current_journal

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

JSON_TYPE = "application/json"

log = logging.getLogger("flowlix_mock")


@dataclass
class Response:
    """A finished response; pages build these, the API pipeline builds them from objects."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_TYPE


ApiHandler = Callable[["Context", Any], Any]
PageHandler = Callable[["Context"], Awaitable[Response]]


@dataclass(frozen=True)
class Route:
    """One operation: everything the router, the OpenAPI document and the docs need of it.

    `kind` is "api" (authenticated JSON through the full pipeline), "public" (JSON, no key, not
    in the document) or "page" (HTML for a browser, no key, not in the document). An API
    handler gets the context and the validated `request` body (or `query`) model and returns
    the `response` object (a dict typed by a TypedDict of models.py); the pipeline answers
    with `status`.
    """

    method: str
    path: str
    handler: Callable[..., Any]
    operation_id: str = ""
    summary: str = ""
    description: str = ""
    tag: str = ""
    request: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type | None = None
    """The TypedDict of the answer (`models.Payment`)."""
    status: int = 200
    errors: tuple[str, ...] = ()
    """Error codes of this operation beyond those every request can get."""
    error_statuses: tuple[int, ...] = ()
    """Every catalog code of these statuses too (402 for a payment: every decline)."""
    path_description: str = ""
    """What the `{id}` in the path names."""
    test_only: bool = False
    kind: Literal["api", "public", "page"] = "api"


class Router:
    """Routes by path segments; `{name}` matches one non-empty segment."""

    def __init__(self, routes: list[Route]) -> None:
        self._routes: list[tuple[tuple[str, ...], dict[str, Route]]] = []
        for route in routes:
            self.add(route)

    def add(self, route: Route) -> None:
        segments = tuple(route.path.strip("/").split("/"))
        for existing, methods in self._routes:
            if existing == segments:
                if route.method in methods:
                    raise ValueError(f"two routes for {route.method} {route.path}")
                methods[route.method] = route
                return
        self._routes.append((segments, {route.method: route}))

    def match(self, path: str) -> tuple[dict[str, Route], dict[str, str]] | None:
        parts = path.strip("/").split("/")
        for segments, methods in self._routes:
            if len(segments) != len(parts):
                continue
            params: dict[str, str] = {}
            for segment, part in zip(segments, parts, strict=True):
                if segment.startswith("{"):
                    if not part:
                        break
                    params[segment[1:-1]] = part
                elif segment != part:
                    break
            else:
                return methods, params
        return None


class Core:
    """What every feature shares: the accounts, the extension points and the feature services.

    Features register listeners and hooks here and keep their state in a service object, which
    handlers find with `ctx.service(Kind)`.
    """

    def __init__(self, seed: str | None = None) -> None:
        self.public_origin: str | None = None  # the origin of URLs the API returns
        self.store = Store(seed)
        self.event_listeners: list[Callable[[Account, str, Any], None]] = []
        self.clock_listeners: list[Callable[[Account], None]] = []
        self.startup_hooks: list[Callable[[], Awaitable[None]]] = []
        self.shutdown_hooks: list[Callable[[], Awaitable[None]]] = []
        self.services: dict[type, object] = {}

    def emit(self, account: Account | None, event_type: str, data: Any) -> None:
        """Announce an event with a snapshot of `data`, what the object was when it happened
        (later changes, such as a refund to a payment, do not rewrite it); inside a request's
        journal it waits for the commit."""
        if account is None:
            return
        # API objects nest one level at most (`card`, `metadata`): copying those is enough.
        snapshot = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
        changes = current_journal()
        if changes is not None:
            changes.events.append((account, event_type, snapshot))
            return
        self._announce(account, event_type, snapshot)

    def _announce(self, account: Account, event_type: str, snapshot: Any) -> None:
        for listener in self.event_listeners:
            listener(account, event_type, snapshot)

    def commit(self, changes: Journal) -> None:
        """A request's response is fully produced: the events it emitted go out."""
        for account, event_type, snapshot in changes.events:
            self._announce(account, event_type, snapshot)

    def at_capacity(self, account: Account, needed: int) -> bool:
        """Whether `needed` more objects would take the account past its limit (the app's
        `--max-objects`)."""
        return False

    def service(self, kind: type[T]) -> T:
        found = self.services[kind]
        assert isinstance(found, kind)
        return found


class Periodic:
    """A background task calling `step` every `interval` seconds between startup and shutdown;
    an exception in one step is logged and the next step still runs."""

    def __init__(self, interval: float, step: Callable[[], None], what: str) -> None:
        self.interval = interval
        self.step = step
        self.what = what
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                self.step()
            except Exception:  # a failing step must never stop the task
                log.exception("%s failed", self.what)


SWEEP_INTERVAL_SECONDS = 30


class OpenObjects(Generic[T]):
    """Each account's open objects that close once their time on the account's clock has
    passed (checkout sessions, 3-D Secure challenges), kept apart so expiry touches only these.

    `refresh(item)` closes one if its time is up. It runs for an account's open objects after
    its test clock moves, and for all of them at a background sweep every 30 s: unseeded
    accounts follow the wall clock, so their objects close without any request.
    """

    def __init__(self, core: Core, refresh: Callable[[T], None], what: str) -> None:
        self._refresh = refresh
        self._open: dict[str, dict[str, T]] = {}
        sweeper = Periodic(SWEEP_INTERVAL_SECONDS, self.expire_all_due, what)
        core.clock_listeners.append(self.expire_due)
        core.startup_hooks.append(sweeper.start)
        core.shutdown_hooks.append(sweeper.stop)

    def of(self, account: Account) -> dict[str, T]:
        """The account's open objects by id: add an object when it opens, remove it when it
        closes."""
        return self._open.setdefault(account.fingerprint, {})

    def expire_due(self, account: Account) -> None:
        """Close every open object of `account` whose time has passed (a clock listener)."""
        for item in list(self._open.get(account.fingerprint, {}).values()):
            self._refresh(item)

    def expire_all_due(self) -> None:
        for fingerprint in list(self._open):
            for item in list(self._open.get(fingerprint, {}).values()):
                self._refresh(item)
            if not self._open.get(fingerprint):
                self._open.pop(fingerprint, None)


@dataclass
class Context:
    """What a handler sees of its request."""

    core: Core
    account: Account | None
    request_id: str
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    body: Any = None
    form: dict[str, str] | None = None

    @property
    def origin(self) -> str:
        """The mock's public origin (`--public-url`) for absolute URLs; never the Host header."""
        return self.core.public_origin or "https://127.0.0.1"

    @property
    def owner(self) -> Account:
        """The authenticated account (API routes always have one)."""
        assert self.account is not None
        return self.account

    def emit(self, event_type: str, data: Any) -> None:
        self.core.emit(self.account, event_type, data)

    def on_clock_advanced(self) -> None:
        for listener in self.core.clock_listeners:
            listener(self.owner)

    def service(self, kind: type[T]) -> T:
        return self.core.service(kind)


# --- reading requests -----------------------------------------------------------------------


def encode(data: Any) -> bytes:
    """A response body: compact UTF-8 JSON (pydantic-core's serializer, faster than json)."""
    return to_json(data)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_DIGITS = 18  # any longer number in a header or query value is refused, not parsed


def ascii_int(text: str) -> int | None:
    """`text` as a whole number if it is 1 to 18 ASCII digits, else None (never raises).

    `str.isdigit()` also accepts superscripts and other scripts' digits that `int()` rejects or
    reads differently, and `int()` refuses strings of more than 4,300 digits: neither may turn
    a bad header or query value into a 500.
    """
    if not 1 <= len(text) <= MAX_DIGITS or not text.isascii() or not text.isdigit():
        return None
    return int(text)


def _holds_surrogate(value: Any) -> bool:
    """Whether any string (key or value) in parsed JSON holds a lone surrogate (U+D800-DFFF)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def parse_json(raw: bytes) -> Any:
    """JSON with `NaN` and `Infinity` rejected (json.loads would take them; so would pydantic),
    strictly UTF-8 (json.loads would guess UTF-16 or UTF-32 from bytes), and without a lone
    surrogate in any string: such a string could be stored but never encoded again."""
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise FlowlixError("invalid_json", "The request body is not valid JSON.") from None
    # A lone surrogate can only come from a \uXXXX escape: strict UTF-8 decoding refuses one in
    # raw bytes. Most bodies have no escape at all and skip the walk.
    if b"\\u" in raw and _holds_surrogate(body):
        raise FlowlixError(
            "invalid_json",
            "The request body is not valid JSON: a string holds a lone UTF-16 surrogate.",
        )
    return body


class ClientDisconnected(Exception):
    """The client went away before its request was complete: there is no one to answer."""


async def read_body(receive: Callable[[], Awaitable[dict]], limit: int) -> bytes | None:
    """The whole request body, or None once it passes `limit` bytes (read no further)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":  # the body never fully arrived: run nothing
            raise ClientDisconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def read_form(receive: Callable[[], Awaitable[dict]]) -> dict[str, str]:
    """A browser form post (application/x-www-form-urlencoded), capped like JSON bodies."""
    raw = await read_body(receive, catalog.LIMITS.body_max_bytes)
    if raw is None:
        return {}
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))


def parse_query(query_string: bytes) -> dict[str, str]:
    query: dict[str, str] = {}
    try:
        pairs = parse_qsl(query_string.decode(), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise FlowlixError("parameter_invalid", "The query string is not valid UTF-8.") from None
    for name, value in pairs:
        if name in query:
            raise FlowlixError("parameter_invalid", f"{name} was given more than once.", param=name)
        query[name] = value
    return query


def validate(model: type[M], data: Any) -> M:
    """`data` as `model`, or the contract's 400 naming the parameter at fault."""
    if data is None:
        data = {}
    elif not isinstance(data, dict):
        raise FlowlixError("invalid_json", "The request body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise from_validation(error, model) from None


# --- list pages ------------------------------------------------------------------------------


def stored(objects: dict[str, T], kind: str, object_id: str, param: str | None = None) -> T:
    """The object `object_id` of one of the account's tables, or the contract's 404."""
    found = objects.get(object_id)
    if found is None:
        raise not_found(kind, object_id, param=param)
    return found


def paginate(objects: dict[str, Any], kind: str, query: ListQuery, filters: dict) -> Any:
    """Newest first, `query.limit` at a time, continuing after the `starting_after` id."""
    starting_after = query.starting_after
    if starting_after is not None and starting_after not in objects:
        raise not_found(kind, starting_after, param="starting_after")
    data: list[Any] = []
    has_more = False
    skipping = starting_after is not None
    limit = query.limit
    for object_id in reversed(objects):
        if skipping:
            skipping = object_id != starting_after
            continue
        item = objects[object_id]
        if any(item[name] != value for name, value in filters.items()):
            continue
        if len(data) == limit:
            has_more = True
            break
        data.append(item)
    return {"object": "list", "data": data, "has_more": has_more}
