"""ASGI wiring: routing, the request pipeline, response headers and the request log.

A raw ASGI application rather than a framework: every request passes the same short pipeline
(transport, authentication, rate limit, body, idempotency, simulation, handler), which keeps the
mock fast enough to sit in every merchant's CI.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from . import api, catalog
from .errors import FlowlixError, not_found
from .gc_pauses import PauseControl
from .idempotency import IdempotencyStore, StoredResponse, request_fingerprint, validate_key
from .ratelimit import RateLimiter
from .storage import Account, Store

log = logging.getLogger("flowlix_mock")

KEY_PATTERN = re.compile(r"fl_(test|live)_sk_[A-Za-z0-9]{24,}")
# Any run of 12 or more digits in a logged path is masked: a card number must never reach a log.
LONG_DIGITS = re.compile(r"\d{12,}")
SIMULATIONS = {name for name, _ in catalog.SIMULATIONS}
MAX_SIMULATION_DELAY_MS = 1_000

Handler = Callable[["Context"], tuple[int, dict[str, Any]]]
PageHandler = Callable[["Context"], Awaitable["Response"]]


@dataclass
class Response:
    """A finished response; pages build these, the API pipeline builds them from JSON."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


@dataclass
class Simulation:
    name: str
    count: int | None = None
    delay_ms: int = 0


@dataclass
class Context:
    """What a handler sees of its request."""

    mock: MockApp
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
        """The scheme and host the client used to reach the mock, for absolute URLs."""
        return f"https://{self.headers.get('host', '127.0.0.1')}"

    def emit(self, event_type: str, data: dict[str, Any]) -> None:
        self.mock.emit(self.account, event_type, data)

    def on_clock_advanced(self) -> None:
        for listener in self.mock.clock_listeners:
            listener(self.account)


@dataclass
class Route:
    handler: Handler | PageHandler
    kind: str  # "api" (authenticated JSON), "public" (JSON, no key), "page" (HTML, no key)


class Router:
    def __init__(self) -> None:
        self._routes: list[tuple[tuple[str, ...], dict[str, Route]]] = []

    def add(self, method: str, template: str, handler, *, kind: str = "api") -> None:
        segments = tuple(template.strip("/").split("/"))
        for existing, methods in self._routes:
            if existing == segments:
                methods[method] = Route(handler, kind)
                return
        self._routes.append((segments, {method: Route(handler, kind)}))

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


def encode(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


async def _read_body(receive, limit: int) -> bytes | None:
    """The whole request body, or None once it passes `limit` bytes (read no further)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def parse_simulation(value: str | None) -> Simulation | None:
    if value is None:
        return None
    name, _, option = (part.strip() for part in value.partition(";"))
    problem = FlowlixError(
        "parameter_invalid",
        "Flowlix-Simulate must be one of rate_limit, server_error, unavailable, "
        "commit_then_error (optionally with ;count=N) or delay=MS.",
        param="Flowlix-Simulate",
    )
    if name.startswith("delay="):
        raw = name.removeprefix("delay=")
        if option or not raw.isdigit() or int(raw) > MAX_SIMULATION_DELAY_MS:
            raise problem
        return Simulation("delay", delay_ms=int(raw))
    if name not in SIMULATIONS:
        raise problem
    count = None
    if option:
        key, _, raw = option.partition("=")
        if key.strip() != "count" or not raw.strip().isdigit() or int(raw) < 1:
            raise problem
        count = int(raw)
    return Simulation(name, count)


class MockApp:
    """The whole mock as one ASGI application."""

    def __init__(
        self,
        *,
        seed: str | None = None,
        rate_limit: int | None = None,
        webhook_retry_schedule: tuple[float, ...] | None = None,
    ) -> None:
        self.store = Store(seed)
        self.idempotency = IdempotencyStore()
        self.rate_limiter = RateLimiter(rate_limit or catalog.LIMITS.rate_limit_test_per_second)
        self.router = Router()
        self.event_listeners: list[Callable[[Account, str, dict[str, Any]], None]] = []
        self.clock_listeners: list[Callable[[Account], None]] = []
        self.startup_hooks: list[Callable[[], Awaitable[None]]] = []
        self.shutdown_hooks: list[Callable[[], Awaitable[None]]] = []
        # (account, key or request fingerprint, simulation) -> attempts seen, oldest first
        self._simulation_attempts: OrderedDict[tuple[str, str, str], int] = OrderedDict()

        self.router.add("POST", "/v1/payments", api.create_payment)
        self.router.add("GET", "/v1/payments", api.list_payments)
        self.router.add("GET", "/v1/payments/{id}", api.retrieve_payment)
        self.router.add("POST", "/v1/refunds", api.create_refund)
        self.router.add("GET", "/v1/refunds/{id}", api.retrieve_refund)
        self.router.add("POST", "/v1/test_helpers/clock/advance", api.advance_clock)
        self.router.add("GET", "/v1/openapi.json", self._openapi_document, kind="public")
        self._install_checkout_and_webhooks(webhook_retry_schedule)
        pauses = PauseControl()
        self.startup_hooks.append(pauses.start)
        self.shutdown_hooks.append(pauses.stop)

    def _install_checkout_and_webhooks(self, retry_schedule: tuple[float, ...] | None) -> None:
        """Checkout sessions, the Hosted Payment Page and webhooks register their own routes,
        listeners and hooks (imported here: they build on this module's Context and Response)."""
        from .checkout import CheckoutSessions
        from .hosted import HostedPages
        from .webhooks import Webhooks

        self.webhooks = Webhooks(self, retry_schedule)
        self.checkout_sessions = CheckoutSessions(self)
        self.hosted_pages = HostedPages(self, self.checkout_sessions)

    # --- extension points -------------------------------------------------------------------

    def emit(self, account: Account | None, event_type: str, data: dict[str, Any]) -> None:
        if account is None:
            return
        for listener in self.event_listeners:
            listener(account, event_type, data)

    def _openapi_document(self, ctx: Context) -> tuple[int, dict[str, Any]]:
        from .openapi import openapi_document

        return 200, openapi_document()

    # --- ASGI -------------------------------------------------------------------------------

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        response, request_id, note = await self._respond(scope, receive)
        headers = [
            (b"content-type", response.content_type.encode()),
            (b"content-length", str(len(response.body)).encode()),
            (b"flowlix-request-id", request_id.encode()),
        ]
        headers += [(name.encode(), value.encode()) for name, value in response.headers.items()]
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})
        if log.isEnabledFor(logging.INFO):
            path = LONG_DIGITS.sub(lambda m: "*" * len(m.group()), scope["path"])
            elapsed_ms = (time.perf_counter() - started) * 1000
            log.info(
                "%s %s %d %s %.1fms%s",
                scope["method"],
                path,
                response.status,
                request_id,
                elapsed_ms,
                note,
            )

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                for hook in self.startup_hooks:
                    await hook()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for hook in self.shutdown_hooks:
                    await hook()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _respond(self, scope, receive) -> tuple[Response, str, str]:
        """Run the pipeline; return the response, its request id and a note for the log."""
        raw_headers = scope["headers"]
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in raw_headers}
        path = scope["path"]
        method = scope["method"]
        limit_headers = {
            "RateLimit-Limit": str(self.rate_limiter.per_second),
            "RateLimit-Remaining": str(self.rate_limiter.per_second),
            "RateLimit-Reset": "1",
        }
        if scope.get("scheme") == "http":
            request_id = self.store.anonymous_request_id()
            error = FlowlixError(
                "https_required",
                "The Flowlix API is served over HTTPS only. Use https:// for every request.",
            )
            return self._error_response(error, request_id, limit_headers), request_id, ""

        matched = self.router.match(path)
        route = matched[0].get(method) if matched else None
        if route is not None and route.kind != "api":
            request_id = self.store.anonymous_request_id()
            ctx = Context(self, None, request_id, method, path, matched[1], {}, headers)
            if route.kind == "page":
                if method == "POST":
                    ctx.form = await self._read_form(receive)
                return await route.handler(ctx), request_id, ""
            status, data = route.handler(ctx)
            return Response(status, encode(data)), request_id, ""

        account: Account | None = None
        request_id = ""
        claimed_key: str | None = None
        try:
            account = self._authenticate(headers)
            request_id = account.new_id("req")
            decision = self.rate_limiter.hit(account.fingerprint)
            limit_headers = decision.headers()
            if not decision.allowed:
                raise FlowlixError(
                    "rate_limited",
                    "Too many requests for this account. Retry after the Retry-After seconds.",
                    headers={"Retry-After": str(decision.reset_seconds)},
                )
            if matched is None:
                raise not_found("URL", path)
            if route is None:
                allowed = ", ".join(sorted(matched[0]))
                raise FlowlixError(
                    "method_not_allowed",
                    f"{method} is not allowed on {path}. Allowed: {allowed}.",
                    headers={"Allow": allowed},
                )
            simulation = parse_simulation(headers.get("flowlix-simulate"))
            body = await self._read_json(receive, headers) if method == "POST" else None
            query = self._query(scope["query_string"]) if method == "GET" else {}
            idempotency_key = headers.get("idempotency-key") if method == "POST" else None
            ctx = Context(self, account, request_id, method, path, matched[1], query, headers, body)
            if idempotency_key is not None:
                validate_key(idempotency_key)
                stored = self.idempotency.begin(
                    account.fingerprint,
                    idempotency_key,
                    request_fingerprint(method, path, body),
                    account.now(),
                )
                if stored is not None:
                    replay_headers = limit_headers | {"Idempotent-Replayed": "true"}
                    response = Response(stored.status, stored.body, replay_headers)
                    return response, stored.request_id, " replayed"
                claimed_key = idempotency_key
            failing = False
            if simulation is not None:
                attempt_key = idempotency_key or request_fingerprint(method, path, body)
                failing = self._simulation_fails(account, attempt_key, simulation)
            if failing and simulation.name != "commit_then_error":
                raise self._simulated_error(simulation.name)
            if simulation is not None and simulation.delay_ms:
                await asyncio.sleep(simulation.delay_ms / 1000)
            try:
                status, data = route.handler(ctx)
                response = Response(status, encode(data), limit_headers)
                storable = True
            except FlowlixError as error:
                response = self._error_response(error, request_id, limit_headers)
                storable = error.storable
            if claimed_key is not None:
                if storable:
                    stored = StoredResponse(response.status, response.body, request_id)
                    self.idempotency.complete(account.fingerprint, claimed_key, stored)
                else:
                    self.idempotency.release(account.fingerprint, claimed_key)
                claimed_key = None
            if failing:  # commit_then_error: the work is done and kept; the client sees a 500
                raise self._simulated_error("commit_then_error")
            return response, request_id, ""
        except FlowlixError as error:
            if claimed_key is not None and account is not None:
                self.idempotency.release(account.fingerprint, claimed_key)
            request_id = request_id or self.store.anonymous_request_id()
            return self._error_response(error, request_id, limit_headers), request_id, ""
        except Exception:
            log.exception("unexpected error in %s %s", method, LONG_DIGITS.sub("*", path))
            if claimed_key is not None and account is not None:
                self.idempotency.release(account.fingerprint, claimed_key)
            request_id = request_id or self.store.anonymous_request_id()
            error = FlowlixError("internal_error", "The mock failed unexpectedly.")
            return self._error_response(error, request_id, limit_headers), request_id, ""

    # --- pipeline steps ---------------------------------------------------------------------

    def _authenticate(self, headers: dict[str, str]) -> Account:
        authorization = headers.get("authorization")
        if not authorization:
            raise FlowlixError(
                "api_key_missing",
                "No API key provided. Send it as 'Authorization: Bearer <secret key>'.",
            )
        scheme, _, key = authorization.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or KEY_PATTERN.fullmatch(key) is None:
            raise FlowlixError(
                "api_key_invalid",
                "Invalid API key. Secret keys look like fl_test_sk_ followed by at least 24 "
                "letters and digits.",
            )
        if key.startswith("fl_live_sk_"):
            raise FlowlixError(
                "api_key_live_mode",
                "A live key was sent to the Flowlix mock, a test environment. Use a fl_test_sk_ "
                "key here and keep live keys in production.",
            )
        return self.store.account_for_key(key)

    async def _read_json(self, receive, headers: dict[str, str]) -> Any:
        limit = catalog.LIMITS.body_max_bytes
        declared = headers.get("content-length", "")
        too_large = FlowlixError(
            "request_too_large", f"The request body is larger than {limit // 1024} KiB."
        )
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        raw = await _read_body(receive, limit)
        if raw is None:
            raise too_large
        if not raw.strip():
            return None
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            raise FlowlixError(
                "unsupported_media_type",
                "Send the body as JSON with 'Content-Type: application/json'.",
            )
        try:
            return json.loads(raw, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            raise FlowlixError("invalid_json", "The request body is not valid JSON.") from None

    @staticmethod
    async def _read_form(receive) -> dict[str, str]:
        """A browser form post (application/x-www-form-urlencoded), capped like JSON bodies."""
        raw = await _read_body(receive, catalog.LIMITS.body_max_bytes)
        if raw is None:
            return {}
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))

    @staticmethod
    def _query(query_string: bytes) -> dict[str, str]:
        query: dict[str, str] = {}
        try:
            pairs = parse_qsl(query_string.decode(), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise FlowlixError(
                "parameter_invalid", "The query string is not valid UTF-8."
            ) from None
        for name, value in pairs:
            if name in query:
                raise FlowlixError(
                    "parameter_invalid", f"{name} was given more than once.", param=name
                )
            query[name] = value
        return query

    def _simulation_fails(self, account: Account, key: str, simulation: Simulation | None) -> bool:
        if simulation is None or simulation.name == "delay":
            return False
        if simulation.count is None:
            return True
        counter = (account.fingerprint, key, simulation.name)
        attempts = self._simulation_attempts.pop(counter, 0) + 1
        self._simulation_attempts[counter] = attempts
        while len(self._simulation_attempts) > 100_000:  # bounded memory
            self._simulation_attempts.popitem(last=False)
        return attempts <= simulation.count

    @staticmethod
    def _simulated_error(name: str) -> FlowlixError:
        if name == "rate_limit":
            return FlowlixError(
                "rate_limited",
                "Simulated rate limit. Retry after the Retry-After seconds.",
                headers={"Retry-After": "1"},
            )
        if name == "unavailable":
            return FlowlixError(
                "service_unavailable",
                "Simulated outage. Retry after the Retry-After seconds.",
                headers={"Retry-After": "1"},
            )
        if name == "commit_then_error":
            return FlowlixError(
                "internal_error",
                "Simulated failure after the request ran. Retry with the same Idempotency-Key "
                "to get its result.",
            )
        return FlowlixError("internal_error", "Simulated server error. Nothing was executed.")

    @staticmethod
    def _error_response(
        error: FlowlixError, request_id: str, limit_headers: dict[str, str]
    ) -> Response:
        return Response(error.status, encode(error.body(request_id)), limit_headers | error.headers)
