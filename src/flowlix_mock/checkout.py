"""Checkout sessions (contract section 8): the API half of the Hosted Payment Page.

A session is created with the API key and then paid by a customer in a browser, on pages that
carry no key (see `hosted.py`): the session id is the capability. So this module keeps an index
from session id to the owning account, which the pages use to charge the right account.

Expiry runs on the account's clock: a session whose `expires_at` has passed reads as `expired`
on the next look (API or page), after a test clock advance, or at the next background sweep,
whichever comes first, and `checkout.session.expired` is emitted exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from . import catalog, validation
from .errors import invalid, missing, not_found

if TYPE_CHECKING:
    from .app import Context, MockApp
    from .storage import Account

SESSION_PARAMS = ("amount", "currency", "success_url", "cancel_url", "reference", "description")
# An absolute https URL, or plain http on localhost/127.0.0.1 (the mock is a test environment).
# Printable ASCII only and no credentials: the URL ends up in a Location header, in the hosted
# page's Content-Security-Policy and in webhook deliveries. The OpenAPI document uses it too.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
URL_PATTERN = (
    rf"^(?:https://(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])"
    r"|http://(?:localhost|127\.0\.0\.1))"
    rf"(?::{_PORT})?(?:[/?#][!-~]*)?$"
)
URL_RULE = (
    "must be an absolute https:// URL (in test mode http://localhost and http://127.0.0.1 are "
    "allowed too), in printable ASCII without spaces or credentials."
)
_URL = re.compile(URL_PATTERN)
SWEEP_INTERVAL_SECONDS = 30

log = logging.getLogger("flowlix_mock")


def validate_url(values: dict[str, Any], name: str) -> str:
    """The URL parameter `name`, checked against URL_PATTERN; the 400 names it otherwise."""
    value = values.get(name)
    if value is None:
        raise missing(name)
    if not isinstance(value, str) or _URL.fullmatch(value) is None:
        raise invalid(name, URL_RULE)
    if len(value) > catalog.LIMITS.url_max_length:
        raise invalid(name, f"must be at most {catalog.LIMITS.url_max_length} characters.")
    return value


def url_origin(url: str) -> str:
    """`scheme://host[:port]` of a validated URL, as a Content-Security-Policy source."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def with_session_id(url: str, session_id: str) -> str:
    """The success URL with `session_id=cs_...` added to its query; the rest is kept as it was."""
    parts = urlsplit(url)
    query = parts.query
    if any(name == "session_id" for name, _ in parse_qsl(query, keep_blank_values=True)):
        pairs = [
            (name, value)
            for name, value in parse_qsl(query, keep_blank_values=True)
            if name != "session_id"
        ]
        query = urlencode(pairs)
    added = urlencode({"session_id": session_id})
    query = f"{query}&{added}" if query else added
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


@dataclass
class Challenge:
    """A 3-D Secure challenge waiting for the customer's answer (one use only)."""

    token: str
    card: dict[str, Any]


@dataclass
class SessionRecord:
    """What the hosted page needs beyond the public session object."""

    account: Account
    session: dict[str, Any]  # the public object, the same dict as in account.checkout_sessions
    description: str | None
    challenge: Challenge | None = None


class CheckoutSessions:
    """The checkout session endpoints, the session index and session expiry."""

    def __init__(self, mock: MockApp) -> None:
        self.mock = mock
        self._records: dict[str, SessionRecord] = {}
        # account fingerprint -> open sessions, so expiry checks touch only open ones
        self._open: dict[str, dict[str, SessionRecord]] = {}
        self._sweeper: asyncio.Task | None = None
        mock.router.add("POST", "/v1/checkout/sessions", self.create)
        mock.router.add("GET", "/v1/checkout/sessions/{id}", self.retrieve)
        mock.clock_listeners.append(self.expire_due)
        mock.startup_hooks.append(self._start_sweeper)
        mock.shutdown_hooks.append(self._stop_sweeper)

    # --- API handlers -----------------------------------------------------------------------

    def create(self, ctx: Context) -> tuple[int, dict[str, Any]]:
        body = validation.object_body(ctx.body)
        validation.no_unknown(body, SESSION_PARAMS)
        amount = validation.amount(body)
        currency = validation.currency(body)
        success_url = validate_url(body, "success_url")
        cancel_url = validate_url(body, "cancel_url")
        limits = catalog.LIMITS
        reference = validation.string(body, "reference", limits.reference_max_length)
        description = validation.string(body, "description", limits.description_max_length)
        validation.amount_fits_currency(amount, currency)
        account = ctx.account
        session_id = account.new_id("cs")
        created = account.now()
        session = {
            "id": session_id,
            "object": "checkout_session",
            "url": f"{ctx.origin}/pay/{session_id}",
            "status": "open",
            "payment_status": "unpaid",
            "payment": None,
            "amount": amount,
            "currency": currency.code,
            "reference": reference,
            "success_url": success_url,
            "cancel_url": cancel_url,
            "expires_at": created + limits.checkout_session_lifetime_seconds,
            "created": created,
        }
        account.checkout_sessions[session_id] = session
        record = SessionRecord(account, session, description)
        self._records[session_id] = record
        self._open.setdefault(account.fingerprint, {})[session_id] = record
        return 201, session

    def retrieve(self, ctx: Context) -> tuple[int, dict[str, Any]]:
        session_id = ctx.params["id"]
        if session_id not in ctx.account.checkout_sessions:
            raise not_found("checkout session", session_id)
        record = self._records[session_id]
        self._refresh(record)
        return 200, record.session

    # --- for the hosted pages ---------------------------------------------------------------

    def find(self, session_id: str) -> SessionRecord | None:
        """The session behind a hosted page, with its status brought up to date."""
        record = self._records.get(session_id)
        if record is not None:
            self._refresh(record)
        return record

    @staticmethod
    def account_context(ctx: Context, record: SessionRecord) -> Context:
        """The page's request context acting for the account that owns the session."""
        return dataclasses.replace(ctx, account=record.account)

    def complete(self, record: SessionRecord, payment: dict[str, Any]) -> None:
        """Mark an open session paid by `payment` and announce it."""
        session = record.session
        session["status"] = "complete"
        session["payment_status"] = "paid"
        session["payment"] = payment["id"]
        record.challenge = None
        self._open.get(record.account.fingerprint, {}).pop(session["id"], None)
        self.mock.emit(record.account, "checkout.session.completed", session)

    # --- expiry -----------------------------------------------------------------------------

    def _refresh(self, record: SessionRecord) -> None:
        session = record.session
        if session["status"] != "open" or record.account.now() < session["expires_at"]:
            return
        session["status"] = "expired"
        record.challenge = None
        self._open.get(record.account.fingerprint, {}).pop(session["id"], None)
        self.mock.emit(record.account, "checkout.session.expired", session)

    def expire_due(self, account: Account) -> None:
        """Expire every open session of `account` whose time has passed (a clock listener)."""
        for record in list(self._open.get(account.fingerprint, {}).values()):
            self._refresh(record)

    def expire_all_due(self) -> None:
        for fingerprint in list(self._open):
            for record in list(self._open.get(fingerprint, {}).values()):
                self._refresh(record)
            if not self._open.get(fingerprint):
                self._open.pop(fingerprint, None)

    async def _sweep(self) -> None:
        # Unseeded accounts follow the wall clock: sessions expire without any request.
        while True:
            await asyncio.sleep(SWEEP_INTERVAL_SECONDS)
            try:
                self.expire_all_due()
            except Exception:  # a listener failing must never stop the sweeper
                log.exception("checkout session sweep failed")

    async def _start_sweeper(self) -> None:
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep())

    async def _stop_sweeper(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None


def openapi_paths() -> tuple[dict[str, Any], dict[str, Any]]:
    """This module's endpoints and schemas for the OpenAPI document (paths relative to /v1)."""
    # The OpenAPI module's own helpers: the same headers and error responses as its paths.
    from .openapi import (
        AMOUNT,
        CURRENCY_INPUT,
        CURRENCY_OUTPUT,
        _get,
        _id_parameter,
        _nullable,
        _post,
    )

    limits = catalog.LIMITS
    url = {
        "type": "string",
        "maxLength": limits.url_max_length,
        "pattern": URL_PATTERN,
        "description": "An absolute https URL; in test mode http://localhost and "
        "http://127.0.0.1 (any port and path) too.",
    }
    schemas = {
        "CheckoutSessionCreate": {
            "type": "object",
            "additionalProperties": False,
            "required": ["amount", "currency", "success_url", "cancel_url"],
            "properties": {
                "amount": AMOUNT,
                "currency": CURRENCY_INPUT,
                "success_url": url
                | {
                    "description": "Where the customer lands after paying, with "
                    "`session_id=cs_...` added to the query. " + url["description"],
                },
                "cancel_url": url
                | {
                    "description": "Where the page's Cancel link leads. " + url["description"],
                },
                "reference": _nullable(
                    {"type": "string", "maxLength": limits.reference_max_length}
                ),
                "description": _nullable(
                    {"type": "string", "maxLength": limits.description_max_length}
                )
                | {"description": "Shown to the customer on the page (HTML-escaped)."},
            },
        },
        "CheckoutSession": {
            "type": "object",
            "required": [
                "id",
                "object",
                "url",
                "status",
                "payment_status",
                "payment",
                "amount",
                "currency",
                "reference",
                "success_url",
                "cancel_url",
                "expires_at",
                "created",
            ],
            "properties": {
                "id": {"type": "string", "pattern": "^cs_[A-Za-z0-9]+$"},
                "object": {"const": "checkout_session"},
                "url": {
                    "type": "string",
                    "description": "The hosted payment page to send the customer's browser to.",
                },
                "status": {"type": "string", "enum": ["open", "complete", "expired"]},
                "payment_status": {"type": "string", "enum": ["unpaid", "paid"]},
                "payment": _nullable({"type": "string", "pattern": "^pay_"})
                | {"description": "The succeeded payment once `status` is `complete`."},
                "amount": AMOUNT,
                "currency": CURRENCY_OUTPUT,
                "reference": _nullable({"type": "string"}),
                "success_url": {"type": "string"},
                "cancel_url": {"type": "string"},
                "expires_at": {
                    "type": "integer",
                    "description": f"`created` + {limits.checkout_session_lifetime_seconds} "
                    "seconds of the account's clock.",
                },
                "created": {"type": "integer"},
            },
        },
    }
    paths = {
        "/checkout/sessions": {
            "post": _post(
                "Create a checkout session",
                "Starts a Hosted Payment Page: send the customer's browser to `url`. After "
                "the redirect back, confirm with `GET /checkout/sessions/{id}`.",
                "CheckoutSessionCreate",
                201,
                "CheckoutSession",
                codes=("amount_invalid_for_currency",),
            ),
        },
        "/checkout/sessions/{id}": {
            "get": _get(
                "Retrieve a checkout session",
                "The session's current `status` (`open`, `complete`, `expired`) and, once "
                "paid, its `payment`. A redirect proves nothing: check here.",
                "CheckoutSession",
                [_id_parameter("The checkout session id, `cs_...`.")],
            )
        },
    }
    return paths, schemas
