"""Webhooks (contract section 9, preview): endpoints, the event log, and signed deliveries.

Every event the mock emits is recorded on its account (listed at `GET /v1/events`) and, for each
endpoint subscribed to its type, POSTed to the endpoint's URL, signed as the Standard Webhooks
specification says. Deliveries run in the background: the API request that caused an event only
queues it, so a receiver that is down, slow or failing never slows or breaks the API. A failed
delivery (no connection, timeout, non-2xx, a redirect: never followed) is retried after each
delay of the retry schedule with the same `webhook-id`, then dropped; the event stays listed for
reconciling.

Fairness and bounds (contract section 17): each endpoint has its own lane with at most
`MOCK_LIMITS.webhook_in_flight_per_endpoint` deliveries in flight, and lanes never wait for each
other, so one hanging receiver holds only its own lane. An account has at most
`webhook_pending_per_account` deliveries pending (queued, in flight or waiting to retry); past
that a delivery is dropped and logged, and its event stays listed at `GET /v1/events`.

The host rule: endpoint URLs may name only loopback hosts (`localhost`, 127.0.0.0/8, `::1`) and
the hosts the mock was started with `--allow-webhook-host`, so a mock on a shared machine cannot
be made to send requests into its network.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import ipaddress
import logging
import random
import re
import secrets
import ssl
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from . import __version__, catalog
from .errors import invalid, not_found
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
from .storage import Account, random_token

log = logging.getLogger("flowlix_mock.webhooks")

SECRET_BYTES = 24
IN_FLIGHT_PER_ENDPOINT = catalog.MOCK_LIMITS.webhook_in_flight_per_endpoint
PENDING_PER_ACCOUNT = catalog.MOCK_LIMITS.webhook_pending_per_account
HOST_RULE = (
    "must name a loopback host (localhost, 127.0.0.0/8 or ::1) or a host the mock was started "
    "with --allow-webhook-host."
)
LOOPBACK_URL = re.compile(catalog.WEBHOOK_URL_PATTERN)
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


def webhook_host_allowed(url: str, allowed: frozenset[str]) -> bool:
    """Whether a validated endpoint URL names a loopback host or one of `allowed`."""
    if LOOPBACK_URL.fullmatch(url):
        return True
    host = (urlsplit(url).hostname or "").lower()
    if host in allowed:
        return True
    try:
        return str(ipaddress.ip_address(host)) in allowed
    except ValueError:
        return False


@dataclass
class Delivery:
    """One event on its way to one endpoint; `attempt` counts from 0."""

    account: Account
    endpoint_id: str
    event_id: str
    body: bytes
    attempt: int = 0


@dataclass
class Lane:
    """One endpoint's deliveries: those waiting for a free slot and how many are in flight."""

    waiting: deque[Delivery] = field(default_factory=deque)
    in_flight: int = 0


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
        self.allowed_hosts: frozenset[str] = frozenset(getattr(core, "webhook_hosts", ()))
        self._lanes: dict[str, Lane] = {}  # endpoint id -> its lane
        self._pending: dict[str, int] = {}  # account fingerprint -> deliveries pending
        self._tasks: set[asyncio.Task] = set()
        self._retry_timers: set[asyncio.TimerHandle] = set()
        self._client: Any = None  # an httpx.AsyncClient once deliveries start
        self._running = False
        core.services[Webhooks] = self
        core.event_listeners.append(self.record)
        core.startup_hooks.append(self.start)
        core.shutdown_hooks.append(self.stop)

    # --- the event log ------------------------------------------------------------------------

    def record(self, account: Account, event_type: str, data: Any) -> None:
        """An event listener: keep the event and queue one delivery per subscribed endpoint.

        `data` is the core's snapshot of the object, the event's own copy."""
        event = Event(
            id=self._new_event_id(account),
            object="event",
            type=event_type,
            created=account.now(),
            data=EventData(object=data),
        )
        account.add(account.events, event["id"], event)
        body: bytes | None = None
        for endpoint in account.webhook_endpoints.values():
            if event_type not in endpoint["events"]:
                continue
            if body is None:
                body = encode(event)
            self._enqueue(Delivery(account, endpoint["id"], event["id"], body))

    def _new_event_id(self, account: Account) -> str:
        if account.seed is None:  # the operating system's cryptographic random source
            return "evt_" + random_token(24)
        generator = self._event_ids.get(account.fingerprint)
        if generator is None:
            material = f"events|{account.seed}|{account.fingerprint}"
            generator = self._event_ids[account.fingerprint] = random.Random(material)
        return "evt_" + random_token(24, generator)

    # --- delivery -----------------------------------------------------------------------------

    def pending(self, account: Account) -> int:
        """Deliveries of `account` queued, in flight or waiting to retry."""
        return self._pending.get(account.fingerprint, 0)

    def _enqueue(self, delivery: Delivery) -> None:
        if not self._running:  # no server (the app used without one): keep the event log only
            return
        account = delivery.account.fingerprint
        pending = self._pending.get(account, 0)
        if pending >= PENDING_PER_ACCOUNT:
            log.warning(
                "webhook %s %s dropped: the account has %d deliveries pending; the event stays "
                "listed at GET /v1/events",
                delivery.event_id,
                delivery.endpoint_id,
                pending,
            )
            return
        self._pending[account] = pending + 1
        self._ready(delivery)

    def _done(self, delivery: Delivery) -> None:
        account = delivery.account.fingerprint
        left = self._pending.get(account, 1) - 1
        if left > 0:
            self._pending[account] = left
        else:
            self._pending.pop(account, None)

    def _ready(self, delivery: Delivery) -> None:
        """Start the delivery now if its endpoint has a free slot, else queue it in its lane."""
        lane = self._lanes.setdefault(delivery.endpoint_id, Lane())
        if lane.in_flight < IN_FLIGHT_PER_ENDPOINT:
            self._start(lane, delivery)
        else:
            lane.waiting.append(delivery)

    def _start(self, lane: Lane, delivery: Delivery) -> None:
        lane.in_flight += 1
        task = asyncio.get_running_loop().create_task(self._run(lane, delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, lane: Lane, delivery: Delivery) -> None:
        retry_in: float | None = None
        try:
            retry_in = await self._attempt(delivery)
        except asyncio.CancelledError:
            raise
        except Exception:  # a delivery must never break the lane
            log.exception("webhook %s: unexpected delivery failure", delivery.event_id)
        finally:
            lane.in_flight -= 1
        if retry_in is None:
            self._done(delivery)
        else:
            self._retry_later(delivery, retry_in)
        if lane.waiting:
            self._start(lane, lane.waiting.popleft())
        elif lane.in_flight == 0 and self._lanes.get(delivery.endpoint_id) is lane:
            del self._lanes[delivery.endpoint_id]  # idle lanes cost nothing

    def _retry_later(self, delivery: Delivery, delay: float) -> None:
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle

        def requeue() -> None:
            self._retry_timers.discard(handle)
            self._ready(delivery)

        handle = loop.call_later(delay, requeue)
        self._retry_timers.add(handle)

    def _http_client(self) -> Any:
        if self._client is None:
            # Imported here, not at the top: the docs build imports this module for its
            # OpenAPI paths only, and httpx is most of its import time.
            import httpx

            # The receiver's certificate is checked against the system store (and
            # SSL_CERT_FILE). No pool limit: the lanes bound the connections, and a shared
            # pool limit would let one hanging receiver delay the others again.
            self._client = httpx.AsyncClient(
                verify=ssl.create_default_context(),
                timeout=httpx.Timeout(catalog.LIMITS.webhook_timeout_seconds),
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=20),
                follow_redirects=False,
                trust_env=False,
                headers={"User-Agent": USER_AGENT},
            )
        return self._client

    async def start(self) -> None:
        self._running = True

    async def stop(self) -> None:
        self._running = False
        for handle in self._retry_timers:
            handle.cancel()
        self._retry_timers.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self._lanes.clear()
        self._pending.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _attempt(self, delivery: Delivery) -> float | None:
        """Deliver once; the delay before the next attempt, or None when this one is the last."""
        endpoint = delivery.account.webhook_endpoints.get(delivery.endpoint_id)
        secret = self.secrets.get(delivery.endpoint_id)
        if endpoint is None or secret is None:  # endpoint deleted: drop its deliveries
            return None
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
        client = self._http_client()
        try:
            async with asyncio.timeout(catalog.LIMITS.webhook_timeout_seconds):
                async with client.stream(
                    "POST", endpoint["url"], content=delivery.body, headers=headers
                ) as response:
                    status = response.status_code
            delivered = 200 <= status < 300
            outcome = str(status)  # a 3xx is a failure: redirects are never followed
        except (_http_error(), OSError, TimeoutError, ssl.SSLError) as error:
            delivered = False
            outcome = type(error).__name__
        # The URL is printable ASCII (validated); the log formatter masks any card number in it.
        target = f"{delivery.event_id} {delivery.endpoint_id} -> {endpoint['url']}"
        if delivered:
            log.info("webhook %s %s (attempt %d of %d)", target, outcome, number, attempts)
            return None
        if delivery.attempt < len(self.retry_schedule):
            delay = self.retry_schedule[delivery.attempt]
            delivery.attempt += 1
            log.info(
                "webhook %s failed: %s (attempt %d of %d), retrying in %gs",
                target,
                outcome,
                number,
                attempts,
                delay,
            )
            return delay
        log.info(
            "webhook %s failed: %s (attempt %d of %d), giving up; the event stays listed at "
            "GET /v1/events",
            target,
            outcome,
            number,
            attempts,
        )
        return None


def create_endpoint(ctx: Context, body: WebhookEndpointCreate) -> WebhookEndpointWithSecret:
    account = ctx.owner
    endpoint = WebhookEndpoint(
        id=account.new_id("we"),
        object="webhook_endpoint",
        url=body.url,
        events=list(dict.fromkeys(body.events)),
        created=account.now(),
    )
    webhooks = ctx.service(Webhooks)
    if not webhook_host_allowed(endpoint["url"], webhooks.allowed_hosts):
        raise invalid("url", HOST_RULE)
    secret = new_secret()
    account.add(account.webhook_endpoints, endpoint["id"], endpoint)
    account.add(webhooks.secrets, endpoint["id"], secret)
    return WebhookEndpointWithSecret(**endpoint, secret=secret)


def list_endpoints(ctx: Context, query: ListQuery) -> WebhookEndpointList:
    page: WebhookEndpointList = paginate(ctx.owner.webhook_endpoints, "webhook endpoint", query, {})
    return page


def delete_endpoint(ctx: Context, _: None) -> WebhookEndpointDeleted:
    endpoint_id = ctx.params["id"]
    if ctx.owner.remove(ctx.owner.webhook_endpoints, endpoint_id) is None:
        raise not_found("webhook endpoint", endpoint_id)
    ctx.owner.remove(ctx.service(Webhooks).secrets, endpoint_id)  # its deliveries are dropped
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
