"""The Direct API: payments, refunds and the test clock (contract sections 4-7 and 13).

Each handler takes a request context and returns `(status, object)`, or raises FlowlixError.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from . import catalog, validation
from .errors import FlowlixError, invalid, not_found

if TYPE_CHECKING:
    from .app import Context

PAYMENT_PARAMS = ("amount", "currency", "card", "reference", "description", "metadata")
CARD_PARAMS = ("number", "exp_month", "exp_year", "cvc")
REFUND_PARAMS = ("payment", "amount", "reason")
LIST_PARAMS = ("reference", "status", "limit", "starting_after")
PAYMENT_STATUSES = ("succeeded", "failed")
MAX_CLOCK_ADVANCE = 10 * 365 * 24 * 60 * 60


def _card(body: dict[str, Any]) -> dict[str, Any]:
    card = body.get("card")
    if card is None:
        raise FlowlixError("parameter_missing", "Missing required parameter: card.", param="card")
    if not isinstance(card, dict):
        raise invalid("card", "must be an object with number, exp_month, exp_year and cvc.")
    validation.no_unknown(card, CARD_PARAMS, prefix="card.")
    number = validation.digits(card, "number", range(12, 20), param="card.number")
    exp_month = validation.integer(card, "exp_month", 1, 12, param="card.exp_month")
    exp_year = validation.integer(card, "exp_year", 1000, 9999, param="card.exp_year")
    cvc = validation.digits(card, "cvc", range(3, 5), param="card.cvc")
    brand = catalog.card_brand(number)
    expected_cvc = 4 if brand == "amex" else 3
    if len(cvc) != expected_cvc:
        raise invalid("card.cvc", f"must be {expected_cvc} digits for this card.")
    return {"number": number, "exp_month": exp_month, "exp_year": exp_year, "brand": brand}


def _expired(card: dict[str, Any], now: int) -> bool:
    today = time.gmtime(now)
    return (card["exp_year"], card["exp_month"]) < (today.tm_year, today.tm_mon)


def create_payment(ctx: Context) -> tuple[int, dict[str, Any]]:
    body = validation.object_body(ctx.body)
    validation.no_unknown(body, PAYMENT_PARAMS)
    amount = validation.amount(body)
    currency = validation.currency(body)
    card = _card(body)
    validation.amount_fits_currency(amount, currency)
    limits = catalog.LIMITS
    payment = charge(
        ctx,
        amount=amount,
        currency=currency.code,
        card=card,
        reference=validation.string(body, "reference", limits.reference_max_length),
        description=validation.string(body, "description", limits.description_max_length),
        metadata=validation.metadata(body),
    )
    return 201, payment


def parse_card(card: dict[str, Any]) -> dict[str, Any]:
    """Validate a card object as `card` of a payment (the Hosted Payment Page's form uses it)."""
    return _card({"card": card})


def charge(
    ctx: Context,
    *,
    amount: int,
    currency: str,
    card: dict[str, Any],
    reference: str | None = None,
    description: str | None = None,
    metadata: dict[str, str] | None = None,
    authenticated: bool = False,
) -> dict[str, Any]:
    """Charge a validated card: store the payment, emit its event, raise the 402 on a decline.

    `authenticated` is True when the customer completed a 3-D Secure challenge (only the Hosted
    Payment Page can run one), which turns `authentication_required` into a success.
    """
    number = card["number"]
    if not catalog.luhn_valid(number):
        raise FlowlixError(
            "invalid_number", "The card number is not a valid card number.", param="card.number"
        )
    account = ctx.account
    if _expired(card, account.now()):
        raise FlowlixError("expired_card", "The card has expired.", param="card.exp_year")

    test_card = catalog.TEST_CARDS_BY_NUMBER.get(number)
    if test_card is None:
        failure_code, decline_code = "card_declined", catalog.TEST_MODE_LIVE_CARD
    elif test_card.outcome == "decline" and not (
        authenticated and test_card.decline_code == "authentication_required"
    ):
        failure_code, decline_code = test_card.code, test_card.decline_code
    else:
        failure_code, decline_code = None, None

    payment = {
        "id": account.new_id("pay"),
        "object": "payment",
        "amount": amount,
        "currency": currency,
        "status": "failed" if decline_code else "succeeded",
        "amount_refunded": 0,
        "refunded": False,
        "card": {
            "brand": card["brand"],
            "last4": number[-4:],
            "exp_month": card["exp_month"],
            "exp_year": card["exp_year"],
        },
        "reference": reference,
        "description": description,
        "metadata": metadata or {},
        "failure_code": failure_code,
        "decline_code": decline_code,
        "created": account.now(),
        "livemode": False,
    }
    account.payments[payment["id"]] = payment
    if decline_code:
        ctx.emit("payment.failed", payment)
        raise FlowlixError(
            failure_code,
            catalog.DECLINE_CODES_BY_CODE[decline_code].meaning,
            decline_code=decline_code,
            payment_id=payment["id"],
        )
    ctx.emit("payment.succeeded", payment)
    return payment


def retrieve_payment(ctx: Context) -> tuple[int, dict[str, Any]]:
    payment = ctx.account.payments.get(ctx.params["id"])
    if payment is None:
        raise not_found("payment", ctx.params["id"])
    return 200, payment


def _list_limit(query: dict[str, str]) -> int:
    limits = catalog.LIMITS
    raw = query.get("limit")
    if raw is None:
        return limits.list_limit_default
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= limits.list_limit_max:
        raise invalid("limit", f"must be an integer from 1 to {limits.list_limit_max}.")
    return int(raw)


def paginate(
    ctx: Context, objects: dict[str, dict[str, Any]], kind: str, filters: dict[str, Any]
) -> dict[str, Any]:
    """Newest first, `limit` at a time, continuing after the `starting_after` id."""
    limit = _list_limit(ctx.query)
    starting_after = ctx.query.get("starting_after")
    if starting_after is not None and starting_after not in objects:
        raise not_found(kind, starting_after, param="starting_after")
    data: list[dict[str, Any]] = []
    has_more = False
    skipping = starting_after is not None
    for object_id in reversed(objects):
        if skipping:
            skipping = object_id != starting_after
            continue
        item = objects[object_id]
        if any(item.get(name) != value for name, value in filters.items()):
            continue
        if len(data) == limit:
            has_more = True
            break
        data.append(item)
    return {"object": "list", "data": data, "has_more": has_more}


def list_payments(ctx: Context) -> tuple[int, dict[str, Any]]:
    validation.no_unknown(ctx.query, LIST_PARAMS)
    filters: dict[str, Any] = {}
    if "reference" in ctx.query:
        filters["reference"] = ctx.query["reference"]
    if "status" in ctx.query:
        filters["status"] = validation.choice(ctx.query, "status", PAYMENT_STATUSES)
    return 200, paginate(ctx, ctx.account.payments, "payment", filters)


def create_refund(ctx: Context) -> tuple[int, dict[str, Any]]:
    body = validation.object_body(ctx.body)
    validation.no_unknown(body, REFUND_PARAMS)
    payment_id = validation.string(body, "payment", 255, required=True)
    amount = validation.amount(body, required=False)
    reason = validation.choice(body, "reason", catalog.REFUND_REASONS)
    account = ctx.account
    payment = account.payments.get(payment_id)
    if payment is None:
        raise not_found("payment", payment_id, param="payment")
    if amount is not None:
        validation.amount_fits_currency(amount, catalog.CURRENCIES_BY_CODE[payment["currency"]])
    if payment["status"] != "succeeded":
        raise FlowlixError(
            "payment_not_refundable",
            "This payment failed, so there is nothing to refund.",
            param="payment",
            payment_id=payment_id,
        )
    remaining = payment["amount"] - payment["amount_refunded"]
    if remaining == 0:
        raise FlowlixError(
            "payment_already_refunded",
            "This payment is already fully refunded.",
            param="payment",
            payment_id=payment_id,
        )
    if amount is None:
        amount = remaining
    elif amount > remaining:
        raise FlowlixError(
            "amount_too_large",
            f"The refund amount ({amount}) is more than what is left to refund ({remaining}).",
            param="amount",
            payment_id=payment_id,
        )
    refund = {
        "id": account.new_id("re"),
        "object": "refund",
        "payment": payment_id,
        "amount": amount,
        "currency": payment["currency"],
        "status": "succeeded",
        "reason": reason,
        "created": account.now(),
    }
    account.refunds[refund["id"]] = refund
    payment["amount_refunded"] += amount
    payment["refunded"] = payment["amount_refunded"] == payment["amount"]
    ctx.emit("refund.succeeded", refund)
    return 201, refund


def retrieve_refund(ctx: Context) -> tuple[int, dict[str, Any]]:
    refund = ctx.account.refunds.get(ctx.params["id"])
    if refund is None:
        raise not_found("refund", ctx.params["id"])
    return 200, refund


def advance_clock(ctx: Context) -> tuple[int, dict[str, Any]]:
    body = validation.object_body(ctx.body)
    validation.no_unknown(body, ("seconds",))
    seconds = validation.integer(body, "seconds", 1, MAX_CLOCK_ADVANCE)
    now = ctx.account.advance(seconds)
    ctx.on_clock_advanced()
    return 200, {"object": "test_clock", "now": now, "advanced_by": seconds}
