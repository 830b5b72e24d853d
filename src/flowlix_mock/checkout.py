"""Checkout sessions (contract section 8): the API half of the Hosted Payment Page.

A session is created with the API key and then paid by a customer in a browser, on pages that
carry no key (see `hosted.py`): the session id is the capability. So this module keeps an index
from session id to the owning account, which the pages use to charge the right account.

Expiry runs on the account's clock: a session whose `expires_at` has passed reads as `expired`
on the next look (API or page), after a test clock advance, or at the next background sweep,
whichever comes first, and `checkout.session.expired` is emitted exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from . import catalog
from .models import CardInput, CheckoutSession, CheckoutSessionCreate, Payment
from .plumbing import Context, Core, OpenObjects, Route, stored
from .storage import Account


def url_origin(url: str) -> str:
    """`scheme://host[:port]` of a validated URL, as a Content-Security-Policy source."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def with_query_param(url: str, name: str, value: str) -> str:
    """`url` with `name=value` added to its query (replacing any `name`); the rest as it was."""
    parts = urlsplit(url)
    query = parts.query
    if any(key == name for key, _ in parse_qsl(query, keep_blank_values=True)):
        pairs = [
            (key, item) for key, item in parse_qsl(query, keep_blank_values=True) if key != name
        ]
        query = urlencode(pairs)
    added = urlencode({name: value})
    query = f"{query}&{added}" if query else added
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def with_session_id(url: str, session_id: str) -> str:
    """The success URL with `session_id=cs_...` added to its query; the rest is kept as it was."""
    return with_query_param(url, "session_id", session_id)


@dataclass
class Challenge:
    """A 3-D Secure challenge waiting for the customer's answer (one use only)."""

    token: str
    card: CardInput


@dataclass
class SessionRecord:
    """What the hosted page needs beyond the public session object."""

    account: Account
    session: CheckoutSession  # the public object, the same as in account.checkout_sessions
    description: str | None
    challenge: Challenge | None = None
    declines: int = 0  # declined attempts on the page; at the limit the session expires


class CheckoutSessions:
    """The checkout session index and session expiry (a service of the core)."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._records: dict[str, SessionRecord] = {}
        self._open = OpenObjects(core, self._refresh, "checkout session sweep")
        core.services[CheckoutSessions] = self

    def add(self, account: Account, session: CheckoutSession, description: str | None) -> None:
        account.add(account.checkout_sessions, session["id"], session)
        record = SessionRecord(account, session, description)
        account.add(self._records, session["id"], record)
        account.add(self._open.of(account), session["id"], record)

    # --- for the hosted pages ---------------------------------------------------------------

    def find(self, session_id: str) -> SessionRecord | None:
        """The session behind a hosted page, with its status brought up to date."""
        record = self._records.get(session_id)
        if record is not None:
            self._refresh(record)
        return record

    def complete(self, record: SessionRecord, payment: Payment) -> None:
        """Mark an open session paid by `payment` and announce it."""
        session = record.session
        account = record.account
        account.update(session, status="complete", payment_status="paid", payment=payment["id"])
        challenge = record.challenge
        record.challenge = None
        account.on_rollback(lambda: setattr(record, "challenge", challenge))
        account.remove(self._open.of(account), session["id"])
        self.core.emit(record.account, "checkout.session.completed", session)

    # --- expiry -----------------------------------------------------------------------------

    def _refresh(self, record: SessionRecord) -> None:
        session = record.session
        if session["status"] != "open" or record.account.now() < session["expires_at"]:
            return
        self.expire(record)

    def expire(self, record: SessionRecord) -> None:
        """End an open session unpaid (its time ran out, or too many attempts were declined)."""
        session = record.session
        account = record.account
        account.update(session, status="expired")
        challenge = record.challenge
        record.challenge = None
        account.on_rollback(lambda: setattr(record, "challenge", challenge))
        account.remove(self._open.of(account), session["id"])
        self.core.emit(record.account, "checkout.session.expired", session)


def create_session(ctx: Context, body: CheckoutSessionCreate) -> CheckoutSession:
    account = ctx.owner
    session_id = account.new_id("cs")
    created = account.now()
    session = CheckoutSession(
        id=session_id,
        object="checkout_session",
        url=f"{ctx.origin}/pay/{session_id}",
        status="open",
        payment_status="unpaid",
        payment=None,
        amount=body.amount,
        currency=body.currency,
        reference=body.reference,
        success_url=body.success_url,
        cancel_url=body.cancel_url,
        expires_at=created + catalog.LIMITS.checkout_session_lifetime_seconds,
        created=created,
    )
    ctx.service(CheckoutSessions).add(account, session, body.description)
    return session


def retrieve_session(ctx: Context, _: None) -> CheckoutSession:
    session = stored(ctx.owner.checkout_sessions, "checkout session", ctx.params["id"])
    record = ctx.service(CheckoutSessions).find(session["id"])
    assert record is not None
    return record.session


ROUTES = [
    Route(
        "POST",
        "/v1/checkout/sessions",
        create_session,
        operation_id="createCheckoutSession",
        summary="Create a checkout session",
        description="Starts a Hosted Payment Page: send the customer's browser to `url`. After "
        "the redirect back, confirm with `GET /checkout/sessions/{id}`.",
        tag="Checkout sessions",
        request=CheckoutSessionCreate,
        response=CheckoutSession,
        status=201,
        errors=("amount_invalid_for_currency",),
    ),
    Route(
        "GET",
        "/v1/checkout/sessions/{id}",
        retrieve_session,
        operation_id="retrieveCheckoutSession",
        summary="Retrieve a checkout session",
        description="The session's current `status` (`open`, `complete`, `expired`) and, once "
        "paid, its `payment`. A redirect proves nothing: check here.",
        tag="Checkout sessions",
        response=CheckoutSession,
        path_description="The checkout session id, `cs_...`.",
    ),
]
