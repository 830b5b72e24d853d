"""ASGI wiring: routing, the request pipeline, response headers and the request log.

A raw ASGI application rather than a framework: every request passes the same short pipeline
(transport, authentication, rate limit, body, idempotency, simulation, handler), which keeps the
mock fast enough to sit in every merchant's CI.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from . import catalog, redact
from .checkout import CheckoutSessions
from .errors import FlowlixError, not_found
from .gc_pauses import PauseControl
from .idempotency import IdempotencyStore, StoredResponse, request_fingerprint, validate_key
from .openapi import build_openapi
from .plumbing import (
    ClientDisconnected,
    Context,
    Core,
    Response,
    Route,
    Router,
    ascii_int,
    encode,
    parse_json,
    parse_query,
    read_body,
    read_form,
    validate,
)
from .ratelimit import RateLimiter
from .routes import ROUTES
from .storage import Account, journal
from .three_d_secure import Challenges
from .webhooks import Webhooks

log = logging.getLogger("flowlix_mock")

KEY_PATTERN = re.compile(catalog.KEY_PATTERN)
SIMULATIONS = frozenset(catalog.SIMULATION_NAMES)
# POSTs that store a new object (the capacity limit counts them; a stored response counts too).
CREATES = frozenset(
    {"/v1/payments", "/v1/refunds", "/v1/checkout/sessions", "/v1/webhook_endpoints"}
)


@dataclass
class Simulation:
    name: str
    count: int | None = None
    delay_ms: int = 0


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
        delay_ms = ascii_int(name.removeprefix("delay="))
        if option or delay_ms is None or delay_ms > catalog.LIMITS.simulation_delay_max_ms:
            raise problem
        return Simulation("delay", delay_ms=delay_ms)
    if name not in SIMULATIONS:
        raise problem
    count = None
    if option:
        key, _, raw = option.partition("=")
        count = ascii_int(raw.strip())
        if key.strip() != "count" or count is None:
            raise problem
        if not 1 <= count <= catalog.LIMITS.simulation_count_max:
            raise problem
    return Simulation(name, count)


def _openapi_document(ctx: Context, _: None) -> dict[str, Any]:
    app = ctx.core
    assert isinstance(app, MockApp)
    return build_openapi(app.public_origin or ctx.origin)


OPENAPI_ROUTE = Route("GET", "/v1/openapi.json", _openapi_document, kind="public")


class MockApp(Core):
    """The whole mock as one ASGI application: the features' routes behind one pipeline."""

    def __init__(
        self,
        *,
        seed: str | None = None,
        rate_limit: int | None = None,
        webhook_retry_schedule: tuple[float, ...] | None = None,
        public_origin: str | None = None,
        webhook_hosts: tuple[str, ...] = (),
        max_objects: int = catalog.MOCK_LIMITS.max_objects_default,
    ) -> None:
        super().__init__(seed)
        self.public_origin = public_origin
        """`https://host:port`: the origin of every URL the API returns (`--public-url`, else
        set by the command line once it listens); never the request's Host header."""
        self.webhook_hosts = frozenset(webhook_hosts)  # beyond loopback (--allow-webhook-host)
        self.max_objects = max_objects
        self.idempotency = IdempotencyStore()
        self.rate_limiter = RateLimiter(rate_limit or catalog.LIMITS.rate_limit_test_per_second)
        self.router = Router([*ROUTES, OPENAPI_ROUTE])
        # (account, key or request fingerprint, simulation) -> attempts seen, oldest first
        self._simulation_attempts: OrderedDict[tuple[str, str, str], int] = OrderedDict()
        Webhooks(self, webhook_retry_schedule)
        CheckoutSessions(self)
        Challenges(self)
        pauses = PauseControl()
        self.startup_hooks.append(pauses.start)
        self.shutdown_hooks.append(pauses.stop)

    # --- ASGI -------------------------------------------------------------------------------

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        try:
            response, request_id, note = await self._respond(scope, receive)
        except ClientDisconnected:
            log.info(
                "%s %s - client disconnected before its request was complete; nothing ran",
                scope["method"],
                redact.path_for_log(scope["path"]),
            )
            return
        headers = _header_list(response, request_id)
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})
        if log.isEnabledFor(logging.INFO):
            path = redact.path_for_log(scope["path"])
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

    async def overloaded(self, scope, receive, send) -> None:
        """The answer when the server is past its connection limit (see server.py): 503
        `service_unavailable` with `Retry-After`, in the contract's shape; nothing runs."""
        request_id = self.store.anonymous_request_id()
        error = FlowlixError(
            "service_unavailable",
            "The mock has too many open connections. Retry after the Retry-After seconds.",
            headers={"Retry-After": "1", "Connection": "close"},
        )
        response = self._error_response(error, request_id, {})
        headers = _header_list(response, request_id)
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})
        log.warning(
            "%s %s 503 %s over the connection limit",
            scope["method"],
            redact.path_for_log(scope["path"]),
            request_id,
        )

    def at_capacity(self, account: Account, needed: int) -> bool:
        """Whether `needed` more objects would take the account past `--max-objects`."""
        held = account.object_count() + self.idempotency.count(account.fingerprint, account.now())
        return held + needed > self.max_objects

    def capacity_error(self) -> FlowlixError:
        return FlowlixError(
            "capacity_reached",
            f"This account holds the {self.max_objects} objects the mock allows (--max-objects):"
            " nothing was created. Use a new test key, or restart the mock with a larger "
            "--max-objects.",
            headers={"Retry-After": str(catalog.MOCK_LIMITS.capacity_retry_after_seconds)},
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
            if route.kind == "page":  # the page keeps its own journal (hosted.py)
                if method == "POST":
                    ctx.form = await read_form(receive)
                return await route.handler(ctx), request_id, ""
            return Response(route.status, encode(route.handler(ctx, None))), request_id, ""

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
            query = parse_query(scope["query_string"]) if method == "GET" else {}
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
            if method == "POST" and self.at_capacity(account, int(path in CREATES)):
                raise self.capacity_error()
            failing = False
            if simulation is not None:
                attempt_key = idempotency_key or request_fingerprint(method, path, body)
                failing = self._simulation_fails(account, attempt_key, simulation)
            if failing and simulation.name != "commit_then_error":
                raise self._simulated_error(simulation.name)
            if simulation is not None and simulation.delay_ms:
                await asyncio.sleep(simulation.delay_ms / 1000)
            # The handler's changes stay in a journal until the response is fully encoded: a
            # failure anywhere before that takes them all back (contract section 17).
            with journal() as changes:
                try:
                    if route.request is not None:
                        params = validate(route.request, body)
                    elif route.query is not None:
                        params = validate(route.query, query)
                    else:
                        params = None
                    result = route.handler(ctx, params)
                    response = Response(route.status, encode(result), limit_headers)
                    storable = True
                except FlowlixError as error:  # a decline keeps its failed payment: a result
                    response = self._error_response(error, request_id, limit_headers)
                    storable = error.storable
            self.commit(changes)
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
        except ClientDisconnected:
            if claimed_key is not None and account is not None:
                self.idempotency.release(account.fingerprint, claimed_key)
            raise
        except Exception:
            log.exception("unexpected error in %s %s", method, redact.path_for_log(path))
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
        declared_size = ascii_int(declared)
        if declared_size is not None and declared_size > limit:
            raise too_large
        raw = await read_body(receive, limit)
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
        return parse_json(raw)

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


def _header_list(response: Response, request_id: str) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-type", response.content_type.encode()),
        (b"content-length", str(len(response.body)).encode()),
        (b"flowlix-request-id", request_id.encode()),
    ]
    if response.content_type == "application/json":
        headers.append((b"cache-control", b"no-store"))  # answers hold payment data
    headers += [(name.encode(), value.encode()) for name, value in response.headers.items()]
    return headers
