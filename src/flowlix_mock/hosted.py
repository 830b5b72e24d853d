"""The Hosted Payment Page (contract section 8): the HTML a customer sees at a session's `url`.

Plain server-rendered HTML from Jinja2 templates (`templates/`, autoescaped) with one inline
stylesheet: no JavaScript, nothing fetched from any other host, a strict
Content-Security-Policy. The session id in the URL is the capability (the customer has no API
key); every payment attempt is charged to the account that owns the session.

The 3-D Secure challenge of a Direct API payment (contract section 16) is a page of the same
kind, at the payment's `next_action.url`: the challenge id is its capability, every view carries
a one-time token, and the answer sends the browser back to the payment's `return_url`.

Routes (all of kind "page"):
    GET  /pay/{id}          the payment form (or why it cannot be paid)
    POST /pay/{id}          the form's submit: 303 to success_url, or the form again with a message
    POST /pay/{id}/3ds      the answer to the simulated 3-D Secure challenge
    GET  /pay/{id}/cancel   the "Cancel" link: 303 to cancel_url; the session stays open
    GET  /3ds/{id}          a Direct API payment's challenge (409 once it is closed)
    POST /3ds/{id}          its answer: 303 to return_url with `payment_id`; 409 once closed
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from . import catalog
from .checkout import (
    Challenge,
    CheckoutSessions,
    SessionRecord,
    url_origin,
    with_query_param,
    with_session_id,
)
from .errors import FlowlixError
from .models import CardInput
from .payments import charge
from .plumbing import Context, Response, Route
from .storage import journal
from .three_d_secure import Challenge as PaymentChallenge
from .three_d_secure import Challenges

log = logging.getLogger("flowlix_mock")

EXPIRY_PATTERN = re.compile(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*")
CARD_SEPARATORS = re.compile(r"[\s-]")
HTML_TYPE = "text/html; charset=utf-8"

STYLESHEET = files("flowlix_mock").joinpath("templates/checkout.css").read_text("utf-8").strip()
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLESHEET.encode()).digest()).decode()

TEMPLATES = Environment(
    loader=PackageLoader("flowlix_mock", "templates"),
    autoescape=True,  # every value is escaped unless a template says otherwise
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)
TEMPLATES.filters["money"] = catalog.format_amount
TEMPLATES.globals.update(
    stylesheet=STYLESHEET,
    test_cards_url=f"{catalog.DOCS_BASE_URL}/testing/#test-cards",
    cvc_hint=f"{catalog.cvc_length('visa')} digits, {catalog.cvc_length('amex')} on Amex",
)


@dataclass
class FormState:
    """What the form shows again: the values kept, the messages per field, an alert."""

    expiry: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    alert: str | None = None


# --- responses --------------------------------------------------------------------------------


def security_headers(form_targets: Iterable[str] = ()) -> dict[str, str]:
    """The headers of every page a customer's browser sees: a CSP that allows the inline
    stylesheet by its hash and form posts to this origin and to `form_targets` (URLs)."""
    form_action = ["'self'"]
    for url in form_targets:
        origin = url_origin(url)
        if origin not in form_action:
            form_action.append(origin)
    policy = (
        f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; "
        f"form-action {' '.join(form_action)}; frame-ancestors 'none'; base-uri 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    }


def _targets(record: SessionRecord | None) -> tuple[str, ...]:
    if record is None:
        return ()
    return (record.session["success_url"], record.session["cancel_url"])


def page(
    status: int, template: str, record: SessionRecord | None = None, **values: Any
) -> Response:
    """A page from `template`, with the session's values when there is one."""
    if record is not None:
        values |= {"session": record.session, "description": record.description}
    body = TEMPLATES.get_template(template).render(values)
    return Response(status, body.encode(), security_headers(_targets(record)), HTML_TYPE)


def redirect(location: str, record: SessionRecord) -> Response:
    headers = security_headers(_targets(record)) | {"Location": location}
    body = TEMPLATES.get_template("redirect.html").render(location=location)
    return Response(303, body.encode(), headers, HTML_TYPE)


def _message(status: int, title: str, message: str) -> Response:
    return page(status, "message.html", title=title, message=message)


def _not_found() -> Response:
    return _message(
        404,
        "Payment page not found",
        "This link does not lead to a payment. Return to the shop and start the payment again.",
    )


def _form(status: int, record: SessionRecord, state: FormState) -> Response:
    amount = catalog.format_amount(record.session["amount"], record.session["currency"])
    return page(status, "pay.html", record, title=f"Pay {amount}", state=state)


def _closed(status: int, record: SessionRecord) -> Response:
    session = record.session
    if session["status"] == "complete":
        title = "Payment complete"
        back = with_session_id(session["success_url"], session["id"])
    else:
        title = "Payment page expired"
        back = session["cancel_url"]
    locked = record.declines >= catalog.MOCK_LIMITS.session_decline_limit
    return page(status, "closed.html", record, title=title, back=back, locked=locked)


# --- the pages --------------------------------------------------------------------------------


def _safe(handler: Callable[[Context], Awaitable[Response]]) -> Callable[..., Awaitable[Response]]:
    """A page never takes the server down: an unexpected error is logged and shown as a 500,
    and whatever the page had changed is taken back (its journal; see storage.py)."""

    async def run(ctx: Context) -> Response:
        try:
            with journal() as changes:
                response = await handler(ctx)  # page handlers do not suspend
        except Exception:
            log.exception("hosted page failed: %s %s", ctx.method, ctx.path.split("/")[1])
            return _message(
                500,
                "Something went wrong",
                "The payment page failed. Nothing was charged. Please try again.",
            )
        ctx.core.commit(changes)
        return response

    return run


def _session(ctx: Context) -> SessionRecord | None:
    return ctx.service(CheckoutSessions).find(ctx.params["id"])


def _open_session(ctx: Context, *, closed_status: int) -> SessionRecord | Response:
    """The open session behind a page, or the page to answer instead: not found, or closed
    (a second submit of a paid session, from the back button or a double click, charges
    nothing)."""
    record = _session(ctx)
    if record is None:
        return _not_found()
    if record.session["status"] != "open":
        return _closed(closed_status, record)
    return record


async def show(ctx: Context) -> Response:
    record = _open_session(ctx, closed_status=200)
    if isinstance(record, Response):
        return record
    return _form(200, record, FormState())


async def cancel(ctx: Context) -> Response:
    record = _session(ctx)
    if record is None:
        return _not_found()
    return redirect(record.session["cancel_url"], record)


async def pay(ctx: Context) -> Response:
    record = _open_session(ctx, closed_status=409)
    if isinstance(record, Response):
        return record
    form = ctx.form or {}
    state = FormState(expiry=form.get("expiry", "").strip()[:7])
    card = read_card(form, state, record.account.now())
    if card is None:
        return _form(422, record, state)
    test_card = catalog.TEST_CARDS_BY_NUMBER.get(card.number)
    if test_card is not None and test_card.three_d_secure == "challenge":
        token = secrets.token_urlsafe(24)
        record.challenge = Challenge(token, card)
        amount = catalog.format_amount(record.session["amount"], record.session["currency"])
        return page(200, "challenge.html", record, title=f"Confirm {amount}", token=token)
    return _charge(ctx, record, card, state, authenticated=None)


async def answer_challenge(ctx: Context) -> Response:
    record = _open_session(ctx, closed_status=409)
    if isinstance(record, Response):
        return record
    form = ctx.form or {}
    challenge = record.challenge
    given = form.get("challenge", "")
    if challenge is None or not hmac.compare_digest(challenge.token.encode(), given.encode()):
        state = FormState(
            alert="This verification is no longer valid. Please enter your card again."
        )
        return _form(400, record, state)
    record.challenge = None  # one use: a replayed answer finds nothing
    expiry = f"{challenge.card.exp_month:02d}/{challenge.card.exp_year % 100:02d}"
    state = FormState(expiry=expiry)
    authenticated = form.get("result") == "complete"
    return _charge(ctx, record, challenge.card, state, authenticated=authenticated)


# --- payment ----------------------------------------------------------------------------------


def _charge(
    ctx: Context,
    record: SessionRecord,
    card: CardInput,
    state: FormState,
    *,
    authenticated: bool | None,
) -> Response:
    session = record.session
    if ctx.core.at_capacity(record.account, 1):
        state.alert = "This payment page cannot take payments right now. Nothing was charged."
        return _form(503, record, state)
    try:
        payment = charge(
            ctx.core,
            record.account,
            amount=session["amount"],
            currency=session["currency"],
            card=card,
            reference=session["reference"],
            description=record.description,
            metadata={"checkout_session": session["id"]},
            authenticated=authenticated,
        )
    except FlowlixError as error:
        if error.code == "expired_card" and error.decline_code is None:
            state.errors["expiry"] = "This card has expired. Check the date or use another card."
            return _form(422, record, state)
        record.declines += 1
        record.account.on_rollback(lambda: setattr(record, "declines", record.declines - 1))
        if record.declines >= catalog.MOCK_LIMITS.session_decline_limit:
            # Card testing: a page that takes unlimited declines lets anyone check stolen card
            # numbers against it. The session ends unpaid (checkout.session.expired).
            ctx.service(CheckoutSessions).expire(record)
            return _closed(402, record)
        state.alert = catalog.customer_message(error.decline_code)
        return _form(402, record, state)
    ctx.service(CheckoutSessions).complete(record, payment)
    return redirect(with_session_id(session["success_url"], session["id"]), record)


def read_card(form: dict[str, str], state: FormState, now: int) -> CardInput | None:
    """The card from the form, or None with a message next to each field that is wrong.

    The form's own checks speak to a customer (digits only, MM/YY); the payment's model then
    applies the API's rules, the Luhn check last.
    """
    number = CARD_SEPARATORS.sub("", form.get("card_number", ""))
    expiry = form.get("expiry", "")
    cvc = form.get("cvc", "").strip()
    errors = state.errors
    shortest, longest = catalog.CARD_NUMBER_LENGTHS
    if not number:
        errors["card_number"] = "Enter your card number."
    elif not (number.isascii() and number.isdigit()):
        errors["card_number"] = "Enter the card number using digits only."
    elif not shortest <= len(number) <= longest:
        errors["card_number"] = (
            f"Card numbers have {shortest} to {longest} digits. Check the number."
        )
    exp_month = exp_year = 0
    matched = EXPIRY_PATTERN.fullmatch(expiry) if expiry.isascii() else None
    if not expiry.strip():
        errors["expiry"] = "Enter the expiry date as MM/YY."
    elif matched is None:
        errors["expiry"] = "Enter the expiry date as MM/YY, for example 04/29."
    else:
        exp_month = int(matched.group(1))
        exp_year = int(matched.group(2))
        exp_year += 2000 if exp_year < 100 else 0
        today = time.gmtime(now)
        if not 1 <= exp_month <= 12:
            errors["expiry"] = "The month must be from 01 to 12."
        elif (exp_year, exp_month) < (today.tm_year, today.tm_mon):
            errors["expiry"] = "This card has expired. Check the date or use another card."
        elif exp_year > today.tm_year + 50:
            errors["expiry"] = "Check the year of the expiry date."
    brand = catalog.card_brand(number) if "card_number" not in errors else "unknown"
    expected_cvc = catalog.cvc_length(brand)
    lengths = {catalog.cvc_length(name) for name in catalog.CARD_BRANDS}
    if not cvc:
        errors["cvc"] = "Enter the security code (CVC)."
    elif (
        not (cvc.isascii() and cvc.isdigit())
        or ("card_number" not in errors and len(cvc) != expected_cvc)
        or len(cvc) not in lengths
    ):
        where = "front" if brand == "amex" else "back"
        errors["cvc"] = f"Enter the {expected_cvc}-digit code on the {where} of your card."
    if errors:
        return None
    try:
        card = CardInput.model_validate(
            {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc}
        )
        card.check_number()
        return card
    except PydanticCustomError:  # the Luhn check
        errors["card_number"] = "This card number is not valid. Check it and try again."
        return None
    except ValidationError as error:  # the API's own rules, in case they are stricter
        problem = error.errors(include_url=False, include_input=False)[0]
        field_for_param = {"number": "card_number", "exp_month": "expiry", "cvc": "cvc"}
        place = (problem.get("ctx") or {}).get("field") or problem["loc"][-1:][0]
        errors[field_for_param.get(str(place), "expiry")] = "Check this value and try again."
        return None


# --- the challenge of a Direct API payment ---------------------------------------------------


def _authentication(
    status: int, template: str, challenge: PaymentChallenge, **values: Any
) -> Response:
    """A page of a Direct API payment's challenge; its forms may lead back to `return_url`."""
    payment = challenge.payment
    values |= {
        "title": f"Confirm {catalog.format_amount(payment['amount'], payment['currency'])}",
        "challenge": challenge,
        "payment": payment,
    }
    body = TEMPLATES.get_template(template).render(values)
    headers = security_headers((challenge.return_url,))
    return Response(status, body.encode(), headers, HTML_TYPE)


def _authentication_form(status: int, challenge: PaymentChallenge, alert: str = "") -> Response:
    token = Challenges.new_token(challenge)
    return _authentication(status, "authenticate.html", challenge, token=token, alert=alert)


def _authentication_closed(challenge: PaymentChallenge) -> Response:
    back = with_query_param(challenge.return_url, "payment_id", challenge.payment["id"])
    return _authentication(409, "authentication_closed.html", challenge, back=back)


def _authentication_not_found() -> Response:
    return _message(
        404,
        "Authentication page not found",
        "This link does not lead to a payment to confirm. Return to the shop and start the "
        "payment again.",
    )


async def show_authentication(ctx: Context) -> Response:
    challenge = ctx.service(Challenges).find(ctx.params["id"])
    if challenge is None:
        return _authentication_not_found()
    if not challenge.open:
        return _authentication_closed(challenge)
    return _authentication_form(200, challenge)


async def answer_authentication(ctx: Context) -> Response:
    challenges = ctx.service(Challenges)
    challenge = challenges.find(ctx.params["id"])
    if challenge is None:
        return _authentication_not_found()
    if not challenge.open:
        return _authentication_closed(challenge)
    form = ctx.form or {}
    result = form.get("result")
    if result not in ("complete", "fail"):
        return _authentication_form(400, challenge, "Choose how the check ends.")
    outcome = challenges.answer(
        challenge, form.get("challenge", ""), authenticated=result == "complete"
    )
    if outcome == "closed":
        return _authentication_closed(challenge)
    if outcome == "invalid":
        return _authentication_form(
            400, challenge, "This confirmation is no longer valid. Please choose again."
        )
    location = with_query_param(challenge.return_url, "payment_id", challenge.payment["id"])
    headers = security_headers((challenge.return_url,)) | {"Location": location}
    body = TEMPLATES.get_template("redirect.html").render(location=location)
    return Response(303, body.encode(), headers, HTML_TYPE)


ROUTES = [
    Route("GET", "/pay/{id}", _safe(show), kind="page", summary="The payment form"),
    Route("POST", "/pay/{id}", _safe(pay), kind="page", summary="The form's submit"),
    Route(
        "POST",
        "/pay/{id}/3ds",
        _safe(answer_challenge),
        kind="page",
        summary="The answer to the 3-D Secure challenge",
    ),
    Route("GET", "/pay/{id}/cancel", _safe(cancel), kind="page", summary="The Cancel link"),
    Route(
        "GET",
        "/3ds/{id}",
        _safe(show_authentication),
        kind="page",
        summary="A Direct API payment's 3-D Secure challenge",
    ),
    Route(
        "POST",
        "/3ds/{id}",
        _safe(answer_authentication),
        kind="page",
        summary="The answer to a Direct API payment's challenge",
    ),
]
