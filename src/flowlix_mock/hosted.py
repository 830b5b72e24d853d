"""The Hosted Payment Page (contract section 8): the HTML a customer sees at a session's `url`.

Plain server-rendered HTML with one inline stylesheet: no JavaScript, nothing fetched from any
other host, a strict Content-Security-Policy. The session id in the URL is the capability (the
customer has no API key); every payment attempt is charged to the account that owns the session.

Routes (all of kind "page"):
    GET  /pay/{id}          the payment form (or why it cannot be paid)
    POST /pay/{id}          the form's submit: 303 to success_url, or the form again with a message
    POST /pay/{id}/3ds      the answer to the simulated 3-D Secure challenge
    GET  /pay/{id}/cancel   the "Cancel" link: 303 to cancel_url; the session stays open
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from html import escape

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from . import catalog
from .checkout import Challenge, CheckoutSessions, SessionRecord, url_origin, with_session_id
from .errors import FlowlixError
from .models import CardInput
from .payments import charge
from .plumbing import Context, Response, Route

log = logging.getLogger("flowlix_mock")

EXPIRY_PATTERN = re.compile(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*")
CARD_SEPARATORS = re.compile(r"[\s-]")
TEST_CARDS_URL = f"{catalog.DOCS_BASE_URL}/testing/#test-cards"

STYLESHEET = """
:root{color-scheme:light;--ink:#1a1f36;--muted:#4f566b;--line:#c9ced8;--accent:#3730a3;
--accent-dark:#312e81;--danger:#b42318;--paper:#fff;--page:#f3f4f7}
*{box-sizing:border-box}
html{font-size:100%}
body{margin:0;background:var(--page);color:var(--ink);line-height:1.5;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.test-banner{background:#fff4d6;color:#5c3c00;border-bottom:1px solid #f0c36d;
padding:.6rem 1rem;text-align:center;font-size:.95rem}
.test-banner strong{text-transform:uppercase;letter-spacing:.06em;margin-right:.4rem}
.test-banner a{color:#5c3c00}
main{max-width:30rem;margin:2rem auto;padding:0 1rem}
.card{background:var(--paper);border:1px solid #e3e6ec;border-radius:12px;
box-shadow:0 1px 2px rgba(16,24,40,.05),0 8px 24px rgba(16,24,40,.06);padding:1.75rem}
.brand{display:flex;align-items:center;gap:.5rem;color:var(--muted);font-weight:600;
font-size:.95rem;margin:0 0 1.25rem}
.logo{display:inline-grid;place-items:center;width:1.75rem;height:1.75rem;border-radius:6px;
background:var(--accent);color:#fff;font-weight:700}
h1{font-size:1.35rem;line-height:1.3;margin:0 0 1rem}
h2{font-size:1.05rem;margin:1.5rem 0 .75rem}
.summary{margin:0 0 1rem;padding:1rem 1.1rem;background:#f7f8fb;border-radius:10px}
.summary div{display:flex;justify-content:space-between;gap:1rem;padding:.2rem 0}
.summary dt{color:var(--muted)}
.summary dd{margin:0;text-align:right;overflow-wrap:anywhere}
.summary .total dd{font-size:1.35rem;font-weight:700}
.field{margin:0 0 1rem}
.row{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
label{display:block;font-weight:600;margin-bottom:.25rem}
.hint{margin:0 0 .35rem;color:var(--muted);font-size:.875rem}
input{display:block;width:100%;font:inherit;font-size:1.05rem;padding:.65rem .75rem;
border:1px solid var(--line);border-radius:8px;background:#fff;color:var(--ink)}
input:focus{outline:3px solid #a5b4fc;outline-offset:1px;border-color:var(--accent)}
input[aria-invalid=true]{border-color:var(--danger);border-width:2px}
.field-error{margin:.35rem 0 0;color:var(--danger);font-size:.9rem;font-weight:600}
.alert{margin:0 0 1.25rem;padding:.8rem 1rem;border-radius:8px;background:#fef3f2;
border:1px solid #f5b5ae;color:#7a1b12}
.alert p{margin:0}
.notice{margin:0 0 1rem;color:var(--muted)}
button,.button{display:block;width:100%;font:inherit;font-size:1.05rem;font-weight:600;
padding:.8rem 1rem;border-radius:8px;border:1px solid transparent;cursor:pointer;
text-align:center;text-decoration:none}
.primary{background:var(--accent);color:#fff}
.primary:hover{background:var(--accent-dark)}
.secondary{background:#fff;color:var(--ink);border-color:var(--line);margin-top:.75rem}
button:focus-visible,a:focus-visible{outline:3px solid #a5b4fc;outline-offset:2px}
.cancel{margin:1.25rem 0 0;text-align:center}
.cancel a,.card a{color:var(--accent)}
footer{text-align:center;color:var(--muted);font-size:.85rem;margin:1.25rem 0 2rem}
@media (max-width:28rem){main{margin:1rem auto}.card{padding:1.25rem}}
""".strip()

STYLE_HASH = base64.b64encode(hashlib.sha256(STYLESHEET.encode()).digest()).decode()


@dataclass
class FormState:
    """What the form shows again: the values kept, the messages per field, an alert."""

    expiry: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    alert: str | None = None


# --- HTML -------------------------------------------------------------------------------------


def _document(title: str, content: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} · Flowlix Checkout</title>\n"
        f"<style>{STYLESHEET}</style>\n</head>\n<body>\n"
        '<header class="test-banner"><strong>Test mode</strong>No real money moves. Pay with a '
        f'<a href="{TEST_CARDS_URL}">Flowlix test card</a>.</header>\n'
        f'<main>\n<div class="card">\n<p class="brand"><span class="logo" aria-hidden="true">F'
        f"</span>Flowlix Checkout</p>\n{content}\n</div>\n</main>\n"
        "<footer>Payments by Flowlix · test environment</footer>\n</body>\n</html>\n"
    )


def _summary(record: SessionRecord) -> str:
    session = record.session
    rows = [
        '<div class="total"><dt>Amount</dt>'
        f"<dd>{escape(catalog.format_amount(session.amount, session.currency))}</dd></div>"
    ]
    if record.description:
        rows.append(f"<div><dt>For</dt><dd>{escape(record.description)}</dd></div>")
    if session.reference:
        rows.append(f"<div><dt>Order</dt><dd>{escape(session.reference)}</dd></div>")
    return '<dl class="summary">' + "".join(rows) + "</dl>"


def _input(
    name: str,
    element_id: str,
    label: str,
    state: FormState,
    *,
    value: str = "",
    hint: str | None = None,
    autocomplete: str,
    autofocus: bool,
) -> str:
    described = []
    parts = [f'<div class="field">\n<label for="{element_id}">{label}</label>']
    if hint:
        parts.append(f'<p class="hint" id="{element_id}-hint">{hint}</p>')
        described.append(f"{element_id}-hint")
    error = state.errors.get(name)
    if error:
        described.append(f"{element_id}-error")
    attributes = [
        f'id="{element_id}"',
        f'name="{name}"',
        'type="text"',
        'inputmode="numeric"',
        f'autocomplete="{autocomplete}"',
        'spellcheck="false"',
        'autocapitalize="off"',
        f'value="{escape(value, quote=True)}"',
    ]
    if described:
        attributes.append(f'aria-describedby="{" ".join(described)}"')
    if error:
        attributes.append('aria-invalid="true"')
    if autofocus:
        attributes.append("autofocus")
    parts.append(f"<input {' '.join(attributes)}>")
    if error:
        parts.append(f'<p class="field-error" id="{element_id}-error">{escape(error)}</p>')
    return "\n".join(parts) + "\n</div>"


def _pay_content(record: SessionRecord, state: FormState) -> str:
    session = record.session
    amount = escape(catalog.format_amount(session.amount, session.currency))
    first_invalid = next(
        (name for name in ("card_number", "expiry", "cvc") if name in state.errors), None
    )
    alert = ""
    if state.alert:
        alert = f'<div class="alert" role="alert"><p>{escape(state.alert)}</p></div>\n'
    focus_card = first_invalid == "card_number" or (first_invalid is None and bool(state.alert))
    fields = "\n".join(
        [
            _input(
                "card_number",
                "card-number",
                "Card number",
                state,
                autocomplete="cc-number",
                autofocus=focus_card,
            ),
            '<div class="row">',
            _input(
                "expiry",
                "expiry",
                "Expiry date",
                state,
                value=state.expiry,
                hint="MM/YY",
                autocomplete="cc-exp",
                autofocus=first_invalid == "expiry",
            ),
            _input(
                "cvc",
                "cvc",
                "CVC",
                state,
                hint="3 digits, 4 on Amex",
                autocomplete="cc-csc",
                autofocus=first_invalid == "cvc",
            ),
            "</div>",
        ]
    )
    return (
        f"<h1>Pay {amount}</h1>\n{_summary(record)}\n"
        '<h2 id="card-details">Card details</h2>\n'
        f"{alert}"
        f'<form method="post" action="/pay/{session.id}" aria-labelledby="card-details" '
        f"novalidate>\n{fields}\n"
        f'<button type="submit" class="primary">Pay {amount}</button>\n</form>\n'
        f'<p class="cancel"><a href="/pay/{session.id}/cancel">Cancel</a> and return to '
        "the shop</p>"
    )


def _challenge_content(record: SessionRecord, token: str) -> str:
    session = record.session
    return (
        "<h1>Confirm this payment with your bank</h1>\n"
        f"{_summary(record)}\n"
        '<p class="notice">Your bank asks you to confirm this payment (3-D Secure). In test mode '
        "this page stands in for the bank: choose how the check ends.</p>\n"
        f'<form method="post" action="/pay/{session.id}/3ds">\n'
        f'<input type="hidden" name="challenge" value="{escape(token, quote=True)}">\n'
        '<button type="submit" name="result" value="complete" class="primary">'
        "Complete authentication</button>\n"
        '<button type="submit" name="result" value="fail" class="secondary">'
        "Fail authentication</button>\n</form>"
    )


def _closed_content(record: SessionRecord) -> str:
    session = record.session
    if session.status == "complete":
        amount = escape(catalog.format_amount(session.amount, session.currency))
        back = escape(with_session_id(session.success_url, session.id), quote=True)
        return (
            "<h1>Payment complete</h1>\n"
            f"{_summary(record)}\n"
            f'<p class="notice">{amount} has been paid. Nothing more to do here.</p>\n'
            f'<a class="button primary" href="{back}">Return to the shop</a>'
        )
    back = escape(session.cancel_url, quote=True)
    return (
        "<h1>This payment page has expired</h1>\n"
        f"{_summary(record)}\n"
        '<p class="notice">The time to pay has run out and nothing was charged. Return to the '
        "shop to start again.</p>\n"
        f'<a class="button primary" href="{back}">Return to the shop</a>'
    )


# --- the pages --------------------------------------------------------------------------------


def _safe(handler: Callable[..., Awaitable[Response]]) -> Callable[..., Awaitable[Response]]:
    """A page never takes the server down: an unexpected error is logged and shown as a 500."""

    async def run(ctx: Context) -> Response:
        try:
            return await handler(ctx)
        except Exception:
            log.exception("hosted page failed: %s %s", ctx.method, ctx.path.split("/")[1])
            return HostedPages.html(
                500,
                _document(
                    "Something went wrong",
                    '<h1>Something went wrong</h1>\n<p class="notice">The payment page failed. '
                    "Nothing was charged. Please try again.</p>",
                ),
            )

    return run


class HostedPages:
    """The customer-facing pages of checkout sessions."""

    def __init__(self, sessions: CheckoutSessions) -> None:
        self.sessions = sessions

    # --- responses ----------------------------------------------------------------------------

    @staticmethod
    def _headers(record: SessionRecord | None) -> dict[str, str]:
        form_action = ["'self'"]
        if record is not None:
            for url in (record.session.success_url, record.session.cancel_url):
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

    @classmethod
    def html(cls, status: int, document: str, record: SessionRecord | None = None) -> Response:
        return Response(status, document.encode(), cls._headers(record), "text/html; charset=utf-8")

    @classmethod
    def redirect(cls, location: str, record: SessionRecord) -> Response:
        headers = cls._headers(record) | {"Location": location}
        body = (
            f'<!doctype html>\n<html lang="en"><title>Redirecting</title>'
            f'<a href="{escape(location, quote=True)}">Continue</a></html>\n'
        )
        return Response(303, body.encode(), headers, "text/html; charset=utf-8")

    def _not_found(self) -> Response:
        return self.html(
            404,
            _document(
                "Payment page not found",
                '<h1>Payment page not found</h1>\n<p class="notice">This link does not lead to '
                "a payment. Return to the shop and start the payment again.</p>",
            ),
        )

    def _form(self, status: int, record: SessionRecord, state: FormState) -> Response:
        amount = catalog.format_amount(record.session.amount, record.session.currency)
        return self.html(status, _document(f"Pay {amount}", _pay_content(record, state)), record)

    def _closed(self, status: int, record: SessionRecord) -> Response:
        title = (
            "Payment complete" if record.session.status == "complete" else "Payment page expired"
        )
        return self.html(status, _document(title, _closed_content(record)), record)

    # --- handlers -----------------------------------------------------------------------------

    async def show(self, ctx: Context) -> Response:
        record = self.sessions.find(ctx.params["id"])
        if record is None:
            return self._not_found()
        if record.session.status != "open":
            return self._closed(200, record)
        return self._form(200, record, FormState())

    async def cancel(self, ctx: Context) -> Response:
        record = self.sessions.find(ctx.params["id"])
        if record is None:
            return self._not_found()
        return self.redirect(record.session.cancel_url, record)

    async def pay(self, ctx: Context) -> Response:
        record = self.sessions.find(ctx.params["id"])
        if record is None:
            return self._not_found()
        if record.session.status != "open":
            # A second submit of a paid session (back button, double click) charges nothing.
            return self._closed(409, record)
        form = ctx.form or {}
        state = FormState(expiry=form.get("expiry", "").strip()[:7])
        card = self._read_card(form, state, record.account.now())
        if card is None:
            return self._form(422, record, state)
        test_card = catalog.TEST_CARDS_BY_NUMBER.get(card.number)
        if test_card is not None and test_card.hosted_page is not None:
            token = secrets.token_urlsafe(24)
            record.challenge = Challenge(token, card)
            amount = catalog.format_amount(record.session.amount, record.session.currency)
            return self.html(
                200,
                _document(f"Confirm {amount}", _challenge_content(record, token)),
                record,
            )
        return self._charge(ctx, record, card, state, authenticated=False)

    async def answer_challenge(self, ctx: Context) -> Response:
        record = self.sessions.find(ctx.params["id"])
        if record is None:
            return self._not_found()
        if record.session.status != "open":
            return self._closed(409, record)
        form = ctx.form or {}
        challenge = record.challenge
        given = form.get("challenge", "")
        if challenge is None or not hmac.compare_digest(challenge.token.encode(), given.encode()):
            state = FormState(
                alert="This verification is no longer valid. Please enter your card again."
            )
            return self._form(400, record, state)
        record.challenge = None  # one use: a replayed answer finds nothing
        expiry = f"{challenge.card.exp_month:02d}/{challenge.card.exp_year % 100:02d}"
        state = FormState(expiry=expiry)
        authenticated = form.get("result") == "complete"
        return self._charge(ctx, record, challenge.card, state, authenticated=authenticated)

    # --- payment ------------------------------------------------------------------------------

    def _charge(
        self,
        ctx: Context,
        record: SessionRecord,
        card: CardInput,
        state: FormState,
        *,
        authenticated: bool,
    ) -> Response:
        session = record.session
        try:
            payment = charge(
                ctx.core,
                record.account,
                amount=session.amount,
                currency=session.currency,
                card=card,
                reference=session.reference,
                description=record.description,
                metadata={"checkout_session": session.id},
                authenticated=authenticated,
            )
        except FlowlixError as error:
            if error.code == "expired_card" and error.decline_code is None:
                state.errors["expiry"] = (
                    "This card has expired. Check the date or use another card."
                )
                return self._form(422, record, state)
            state.alert = catalog.customer_message(error.decline_code)
            return self._form(402, record, state)
        self.sessions.complete(record, payment)
        return self.redirect(with_session_id(session.success_url, session.id), record)

    @staticmethod
    def _read_card(form: dict[str, str], state: FormState, now: int) -> CardInput | None:
        """The card from the form, or None with a message next to each field that is wrong."""
        number = CARD_SEPARATORS.sub("", form.get("card_number", ""))
        expiry = form.get("expiry", "")
        cvc = form.get("cvc", "").strip()
        errors = state.errors
        if not number:
            errors["card_number"] = "Enter your card number."
        elif not (number.isascii() and number.isdigit()):
            errors["card_number"] = "Enter the card number using digits only."
        elif not 12 <= len(number) <= 19:
            errors["card_number"] = "Card numbers have 12 to 19 digits. Check the number."
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
        expected_cvc = (
            4 if "card_number" not in errors and (catalog.card_brand(number) == "amex") else 3
        )
        if not cvc:
            errors["cvc"] = "Enter the security code (CVC)."
        elif (
            not (cvc.isascii() and cvc.isdigit())
            or ("card_number" not in errors and len(cvc) != expected_cvc)
            or len(cvc) not in (3, 4)
        ):
            errors["cvc"] = (
                "Enter the 4-digit code on the front of your card."
                if expected_cvc == 4
                else "Enter the 3-digit code on the back of your card."
            )
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


async def _show(ctx: Context) -> Response:
    return await HostedPages(ctx.service(CheckoutSessions)).show(ctx)


async def _pay(ctx: Context) -> Response:
    return await HostedPages(ctx.service(CheckoutSessions)).pay(ctx)


async def _answer_challenge(ctx: Context) -> Response:
    return await HostedPages(ctx.service(CheckoutSessions)).answer_challenge(ctx)


async def _cancel(ctx: Context) -> Response:
    return await HostedPages(ctx.service(CheckoutSessions)).cancel(ctx)


ROUTES = [
    Route("GET", "/pay/{id}", _safe(_show), kind="page", summary="The payment form"),
    Route("POST", "/pay/{id}", _safe(_pay), kind="page", summary="The form's submit"),
    Route("POST", "/pay/{id}/3ds", _safe(_answer_challenge), kind="page", summary="3-D Secure"),
    Route("GET", "/pay/{id}/cancel", _safe(_cancel), kind="page", summary="Cancel"),
]
