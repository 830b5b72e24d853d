"""Webhooks (contract section 9, preview): endpoints, the event log, and signed deliveries.

Every event the mock emits is recorded on its account (listed at `GET /v1/events`) and, for each
endpoint subscribed to its type, POSTed to the endpoint's URL, signed as the Standard Webhooks
specification says. Deliveries run in background workers: the API request that caused an event
only puts it on a bounded queue, so a receiver that is down, slow or failing never slows or breaks
the API. A failed delivery (no connection, timeout, non-2xx) is retried after each delay of the
retry schedule with the same `webhook-id`, then dropped; the event stays listed for reconciling.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import random
import secrets
import ssl
import string
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import __version__, api, catalog, validation
from .checkout import validate_url
from .errors import invalid, missing, not_found

if TYPE_CHECKING:
    import httpx

    from .app import Context, MockApp
    from .storage import Account

log = logging.getLogger("flowlix_mock.webhooks")

EVENT_TYPES = tuple(name for name, _ in catalog.EVENT_TYPES)
ENDPOINT_PARAMS = ("url", "events")
LIST_PARAMS = ("limit", "starting_after")
EVENT_LIST_PARAMS = ("type", "limit", "starting_after")
SECRET_BYTES = 24
MAX_PENDING_DELIVERIES = 10_000  # queued, waiting to retry or in flight, across all accounts
WORKERS = 8  # concurrent deliveries: one hanging receiver cannot hold up the others
USER_AGENT = f"Flowlix-Webhooks/{__version__} (flowlix-mock)"


def new_secret() -> str:
    """`whsec_` and the base64 of 24 random bytes, as Standard Webhooks libraries expect."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value: `v1,<base64 HMAC-SHA256>` over id.timestamp.body."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def _http_error() -> type[Exception]:
    import httpx

    return httpx.HTTPError


def _snapshot(data: dict[str, Any]) -> dict[str, Any]:
    """A copy that later changes to the object (a refund to a payment) cannot rewrite.

    API objects nest one level at most (`card`, `metadata`), so copying those dicts is enough
    and much cheaper than a deep copy on every event.
    """
    return {key: dict(value) if isinstance(value, dict) else value for key, value in data.items()}


@dataclass
class Delivery:
    """One event on its way to one endpoint; `attempt` counts from 0."""

    account: Account
    endpoint_id: str
    event_id: str
    body: bytes
    attempt: int = 0


class Webhooks:
    """The webhook endpoints and events API, the event log, and the delivery workers."""

    def __init__(self, mock: MockApp, retry_schedule: tuple[float, ...] | None = None) -> None:
        self.retry_schedule = tuple(
            catalog.LIMITS.webhook_retry_schedule_seconds
            if retry_schedule is None
            else retry_schedule
        )
        self._secrets: dict[str, str] = {}  # endpoint id -> secret (never in a listing)
        # Event ids come from their own per-account stream, so recording events does not shift
        # the seeded ids of payments and refunds that documented output shows.
        self._event_ids: dict[str, random.Random] = {}
        self._queue: asyncio.Queue[Delivery] | None = None
        self._workers: list[asyncio.Task] = []
        self._retry_timers: set[asyncio.TimerHandle] = set()
        self._pending = 0
        self._client: httpx.AsyncClient | None = None
        mock.router.add("POST", "/v1/webhook_endpoints", self.create_endpoint)
        mock.router.add("GET", "/v1/webhook_endpoints", self.list_endpoints)
        mock.router.add("DELETE", "/v1/webhook_endpoints/{id}", self.delete_endpoint)
        mock.router.add("GET", "/v1/events", self.list_events)
        mock.event_listeners.append(self.record)
        mock.startup_hooks.append(self.start)
        mock.shutdown_hooks.append(self.stop)

    # --- API handlers -----------------------------------------------------------------------

    def create_endpoint(self, ctx: Context) -> tuple[int, dict[str, Any]]:
        body = validation.object_body(ctx.body)
        validation.no_unknown(body, ENDPOINT_PARAMS)
        url = validate_url(body, "url")
        events = body.get("events")
        if events is None:
            raise missing("events")
        allowed = ", ".join(EVENT_TYPES)
        if not isinstance(events, list) or not events:
            raise invalid("events", f"must be a non-empty list of event types: {allowed}.")
        for index, event_type in enumerate(events):
            if event_type not in EVENT_TYPES:
                raise invalid(f"events.{index}", f"must be one of {allowed}.")
        account = ctx.account
        endpoint = {
            "id": account.new_id("we"),
            "object": "webhook_endpoint",
            "url": url,
            "events": list(dict.fromkeys(events)),
            "created": account.now(),
        }
        secret = new_secret()
        account.webhook_endpoints[endpoint["id"]] = endpoint
        self._secrets[endpoint["id"]] = secret
        return 201, endpoint | {"secret": secret}

    def list_endpoints(self, ctx: Context) -> tuple[int, dict[str, Any]]:
        validation.no_unknown(ctx.query, LIST_PARAMS)
        return 200, api.paginate(ctx, ctx.account.webhook_endpoints, "webhook endpoint", {})

    def delete_endpoint(self, ctx: Context) -> tuple[int, dict[str, Any]]:
        endpoint_id = ctx.params["id"]
        if ctx.account.webhook_endpoints.pop(endpoint_id, None) is None:
            raise not_found("webhook endpoint", endpoint_id)
        self._secrets.pop(endpoint_id, None)  # queued deliveries and retries to it are dropped
        return 200, {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}

    def list_events(self, ctx: Context) -> tuple[int, dict[str, Any]]:
        validation.no_unknown(ctx.query, EVENT_LIST_PARAMS)
        filters: dict[str, Any] = {}
        if "type" in ctx.query:
            filters["type"] = validation.choice(ctx.query, "type", EVENT_TYPES)
        return 200, api.paginate(ctx, ctx.account.events, "event", filters)

    # --- the event log ------------------------------------------------------------------------

    def record(self, account: Account, event_type: str, data: dict[str, Any]) -> None:
        """An event listener: keep the event and queue one delivery per subscribed endpoint."""
        event = {
            "id": self._new_event_id(account),
            "object": "event",
            "type": event_type,
            "created": account.now(),
            # A snapshot: later changes (a refund to a payment) do not rewrite history.
            "data": {"object": _snapshot(data)},
        }
        account.events[event["id"]] = event
        body: bytes | None = None
        for endpoint in account.webhook_endpoints.values():
            if event_type not in endpoint["events"]:
                continue
            if body is None:
                body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
            self._enqueue(Delivery(account, endpoint["id"], event["id"], body))

    def _new_event_id(self, account: Account) -> str:
        generator = self._event_ids.get(account.fingerprint)
        if generator is None:
            material = (
                f"events|{account.seed}|{account.fingerprint}"
                if account.seed is not None
                else secrets.token_hex(16)
            )
            generator = self._event_ids[account.fingerprint] = random.Random(material)
        alphabet = string.ascii_letters + string.digits
        return "evt_" + "".join(generator.choices(alphabet, k=24))

    # --- delivery -----------------------------------------------------------------------------

    def _enqueue(self, delivery: Delivery) -> None:
        if self._pending >= MAX_PENDING_DELIVERIES:
            log.warning(
                "webhook %s dropped: %d deliveries already pending",
                delivery.event_id,
                self._pending,
            )
            return
        self._ensure_started()
        if self._queue is None:  # no event loop (the app used without a server): keep the log
            return
        self._pending += 1
        self._queue.put_nowait(delivery)

    def _retry_later(self, delivery: Delivery, delay: float) -> None:
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle

        def requeue() -> None:
            self._retry_timers.discard(handle)
            if self._queue is not None:
                self._queue.put_nowait(delivery)
            else:
                self._pending -= 1

        handle = loop.call_later(delay, requeue)
        self._retry_timers.add(handle)

    def _ensure_started(self) -> None:
        if self._workers:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        # Imported here, not at the top: the docs build imports this module for its OpenAPI
        # paths only, and httpx is most of its import time.
        import httpx

        self._queue = asyncio.Queue()
        # The receiver's certificate is checked against the system store (and SSL_CERT_FILE).
        self._client = httpx.AsyncClient(
            verify=ssl.create_default_context(),
            timeout=httpx.Timeout(catalog.LIMITS.webhook_timeout_seconds),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
        )
        self._workers = [asyncio.create_task(self._work()) for _ in range(WORKERS)]

    async def start(self) -> None:
        self._ensure_started()

    async def stop(self) -> None:
        for handle in self._retry_timers:
            handle.cancel()
        self._retry_timers.clear()
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._workers = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self._queue = None
        self._pending = 0

    async def _work(self) -> None:
        assert self._queue is not None
        queue = self._queue
        while True:
            delivery = await queue.get()
            try:
                await self._attempt(delivery)
            except asyncio.CancelledError:
                raise
            except Exception:  # a delivery must never stop its worker
                log.exception("webhook %s: unexpected delivery failure", delivery.event_id)
                self._pending -= 1

    async def _attempt(self, delivery: Delivery) -> None:
        endpoint = delivery.account.webhook_endpoints.get(delivery.endpoint_id)
        secret = self._secrets.get(delivery.endpoint_id)
        if endpoint is None or secret is None or self._client is None:  # endpoint deleted
            self._pending -= 1
            return
        # The wall clock, not the account's test clock: receivers compare it with their own.
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "webhook-id": delivery.event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, delivery.event_id, timestamp, delivery.body),
        }
        attempts = len(self.retry_schedule) + 1
        number = delivery.attempt + 1
        outcome: str
        try:
            async with asyncio.timeout(catalog.LIMITS.webhook_timeout_seconds):
                async with self._client.stream(
                    "POST", endpoint["url"], content=delivery.body, headers=headers
                ) as response:
                    status = response.status_code
            delivered = 200 <= status < 300
            outcome = str(status)
        except (_http_error(), OSError, TimeoutError, ssl.SSLError) as error:
            delivered = False
            outcome = type(error).__name__
        if delivered:
            self._pending -= 1
            log.info(
                "webhook %s %s -> %s %s (attempt %d of %d)",
                delivery.event_id,
                delivery.endpoint_id,
                endpoint["url"],
                outcome,
                number,
                attempts,
            )
            return
        if delivery.attempt < len(self.retry_schedule):
            delay = self.retry_schedule[delivery.attempt]
            delivery.attempt += 1
            log.info(
                "webhook %s %s -> %s failed: %s (attempt %d of %d), retrying in %gs",
                delivery.event_id,
                delivery.endpoint_id,
                endpoint["url"],
                outcome,
                number,
                attempts,
                delay,
            )
            self._retry_later(delivery, delay)
            return
        self._pending -= 1
        log.info(
            "webhook %s %s -> %s failed: %s (attempt %d of %d), giving up; the event stays "
            "listed at GET /v1/events",
            delivery.event_id,
            delivery.endpoint_id,
            endpoint["url"],
            outcome,
            number,
            attempts,
        )


def openapi_paths() -> tuple[dict[str, Any], dict[str, Any]]:
    """This module's endpoints and schemas for the OpenAPI document (paths relative to /v1)."""
    # The OpenAPI module's own helpers: the same headers and error responses as its paths.
    from .checkout import URL_PATTERN
    from .openapi import _get, _id_parameter, _list_of, _post, _ref, _responses

    limits = catalog.LIMITS
    list_parameters = [
        {
            "name": "limit",
            "in": "query",
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": limits.list_limit_max,
                "default": limits.list_limit_default,
            },
        },
        {"name": "starting_after", "in": "query", "schema": {"type": "string"}},
    ]
    event_type = {"type": "string", "enum": list(EVENT_TYPES)}
    endpoint_properties = {
        "id": {"type": "string", "pattern": "^we_[A-Za-z0-9]+$"},
        "object": {"const": "webhook_endpoint"},
        "url": {"type": "string"},
        "events": {"type": "array", "items": event_type, "minItems": 1},
        "created": {"type": "integer"},
    }
    schemas = {
        "WebhookEndpointCreate": {
            "type": "object",
            "additionalProperties": False,
            "required": ["url", "events"],
            "properties": {
                "url": {
                    "type": "string",
                    "maxLength": limits.url_max_length,
                    "pattern": URL_PATTERN,
                    "description": "Where events are POSTed: an absolute https URL; in test "
                    "mode http://localhost and http://127.0.0.1 too.",
                },
                "events": {"type": "array", "items": event_type, "minItems": 1},
            },
        },
        "WebhookEndpoint": {
            "type": "object",
            "required": list(endpoint_properties),
            "properties": endpoint_properties,
        },
        "WebhookEndpointWithSecret": {
            "type": "object",
            "required": [*endpoint_properties, "secret"],
            "properties": endpoint_properties
            | {
                "secret": {
                    "type": "string",
                    "pattern": "^whsec_[A-Za-z0-9+/]+={0,2}$",
                    "description": "The signing secret, shown only in this response.",
                }
            },
        },
        "WebhookEndpointList": _list_of("WebhookEndpoint"),
        "WebhookEndpointDeleted": {
            "type": "object",
            "required": ["id", "object", "deleted"],
            "properties": {
                "id": {"type": "string", "pattern": "^we_"},
                "object": {"const": "webhook_endpoint"},
                "deleted": {"const": True},
            },
        },
        "Event": {
            "type": "object",
            "required": ["id", "object", "type", "created", "data"],
            "properties": {
                "id": {"type": "string", "pattern": "^evt_[A-Za-z0-9]+$"},
                "object": {"const": "event"},
                "type": event_type,
                "created": {"type": "integer"},
                "data": {
                    "type": "object",
                    "required": ["object"],
                    "properties": {
                        "object": {
                            "description": "The payment, refund or checkout session as it "
                            "was when the event happened.",
                            "anyOf": [_ref("Payment"), _ref("Refund"), _ref("CheckoutSession")],
                        }
                    },
                },
            },
        },
        "EventList": _list_of("Event"),
    }
    paths = {
        "/webhook_endpoints": {
            "post": _post(
                "Create a webhook endpoint",
                "Events of the listed types are POSTed to `url`, signed per Standard Webhooks. "
                "The response carries the signing `secret`, the only time it is shown.",
                "WebhookEndpointCreate",
                201,
                "WebhookEndpointWithSecret",
            ),
            "get": _get(
                "List webhook endpoints",
                "Newest first, without secrets.",
                "WebhookEndpointList",
                list_parameters,
            ),
        },
        "/webhook_endpoints/{id}": {
            "delete": {
                "summary": "Delete a webhook endpoint",
                "description": "Stops deliveries to it, including pending retries.",
                "parameters": [
                    _id_parameter("The webhook endpoint id, `we_...`."),
                    {"$ref": "#/components/parameters/FlowlixSimulate"},
                ],
                "responses": _responses(200, "WebhookEndpointDeleted"),
            }
        },
        "/events": {
            "get": _get(
                "List events",
                "Newest first: every event of the account, delivered or not, to reconcile "
                "what a receiver missed.",
                "EventList",
                [{"name": "type", "in": "query", "schema": event_type}, *list_parameters],
            )
        },
    }
    return paths, schemas


def hosted_and_webhook_paths() -> tuple[dict[str, Any], dict[str, Any]]:
    """Checkout session and webhook endpoints for the OpenAPI document: `(paths, schemas)`."""
    from .checkout import openapi_paths as checkout_openapi_paths

    checkout_paths, checkout_schemas = checkout_openapi_paths()
    webhook_paths, webhook_schemas = openapi_paths()
    return checkout_paths | webhook_paths, checkout_schemas | webhook_schemas
