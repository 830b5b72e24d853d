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
import logging
import random
import secrets
import ssl
import string
import time
from dataclasses import dataclass
from typing import Any

from . import __version__, catalog
from .errors import not_found
from .models import (
    Event,
    EventData,
    EventList,
    EventListQuery,
    ListQuery,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointDeleted,
    WebhookEndpointList,
    WebhookEndpointWithSecret,
)
from .plumbing import Context, Core, Route, encode, paginate
from .storage import Account

log = logging.getLogger("flowlix_mock.webhooks")

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


def _snapshot(data: Any) -> Any:
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
    """The webhook endpoints' secrets, the event log, and the delivery workers (a service)."""

    def __init__(self, core: Core, retry_schedule: tuple[float, ...] | None = None) -> None:
        self.retry_schedule = tuple(
            catalog.LIMITS.webhook_retry_schedule_seconds
            if retry_schedule is None
            else retry_schedule
        )
        self.secrets: dict[str, str] = {}  # endpoint id -> secret (never in a listing)
        # Event ids come from their own per-account stream, so recording events does not shift
        # the seeded ids of payments and refunds that documented output shows.
        self._event_ids: dict[str, random.Random] = {}
        self._queue: asyncio.Queue[Delivery] | None = None
        self._workers: list[asyncio.Task] = []
        self._retry_timers: set[asyncio.TimerHandle] = set()
        self._pending = 0
        self._client: Any = None  # an httpx.AsyncClient once deliveries start
        core.services[Webhooks] = self
        core.event_listeners.append(self.record)
        core.startup_hooks.append(self.start)
        core.shutdown_hooks.append(self.stop)

    # --- the event log ------------------------------------------------------------------------

    def record(self, account: Account, event_type: str, data: Any) -> None:
        """An event listener: keep the event and queue one delivery per subscribed endpoint."""
        event = Event(
            id=self._new_event_id(account),
            object="event",
            type=event_type,
            created=account.now(),
            # A snapshot: later changes (a refund to a payment) do not rewrite history.
            data=EventData(object=_snapshot(data)),
        )
        account.events[event["id"]] = event
        body: bytes | None = None
        for endpoint in account.webhook_endpoints.values():
            if event_type not in endpoint["events"]:
                continue
            if body is None:
                body = encode(event)
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
        secret = self.secrets.get(delivery.endpoint_id)
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


def create_endpoint(ctx: Context, body: WebhookEndpointCreate) -> WebhookEndpointWithSecret:
    account = ctx.owner
    endpoint = WebhookEndpoint(
        id=account.new_id("we"),
        object="webhook_endpoint",
        url=body.url,
        events=list(dict.fromkeys(body.events)),
        created=account.now(),
    )
    secret = new_secret()
    account.webhook_endpoints[endpoint["id"]] = endpoint
    ctx.service(Webhooks).secrets[endpoint["id"]] = secret
    return WebhookEndpointWithSecret(**endpoint, secret=secret)


def list_endpoints(ctx: Context, query: ListQuery) -> WebhookEndpointList:
    page: WebhookEndpointList = paginate(ctx.owner.webhook_endpoints, "webhook endpoint", query, {})
    return page


def delete_endpoint(ctx: Context, _: None) -> WebhookEndpointDeleted:
    endpoint_id = ctx.params["id"]
    if ctx.owner.webhook_endpoints.pop(endpoint_id, None) is None:
        raise not_found("webhook endpoint", endpoint_id)
    ctx.service(Webhooks).secrets.pop(endpoint_id, None)  # queued deliveries to it are dropped
    return WebhookEndpointDeleted(id=endpoint_id, object="webhook_endpoint", deleted=True)


def list_events(ctx: Context, query: EventListQuery) -> EventList:
    filters = {} if query.type is None else {"type": query.type}
    page: EventList = paginate(ctx.owner.events, "event", query, filters)
    return page


ROUTES = [
    Route(
        "POST",
        "/v1/webhook_endpoints",
        create_endpoint,
        operation_id="createWebhookEndpoint",
        summary="Create a webhook endpoint",
        description="Events of the listed types are POSTed to `url`, signed per Standard "
        "Webhooks. The response carries the signing `secret`, the only time it is shown.",
        tag="Webhooks",
        request=WebhookEndpointCreate,
        response=WebhookEndpointWithSecret,
        status=201,
    ),
    Route(
        "GET",
        "/v1/webhook_endpoints",
        list_endpoints,
        operation_id="listWebhookEndpoints",
        summary="List webhook endpoints",
        description="Newest first, without secrets.",
        tag="Webhooks",
        query=ListQuery,
        response=WebhookEndpointList,
    ),
    Route(
        "DELETE",
        "/v1/webhook_endpoints/{id}",
        delete_endpoint,
        operation_id="deleteWebhookEndpoint",
        summary="Delete a webhook endpoint",
        description="Stops deliveries to it, including pending retries.",
        tag="Webhooks",
        response=WebhookEndpointDeleted,
        path_description="The webhook endpoint id, `we_...`.",
    ),
    Route(
        "GET",
        "/v1/events",
        list_events,
        operation_id="listEvents",
        summary="List events",
        description="Newest first: every event of the account, delivered or not, to reconcile "
        "what a receiver missed.",
        tag="Webhooks",
        query=EventListQuery,
        response=EventList,
    ),
]
