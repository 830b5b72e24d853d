"""Payments and refunds, the Direct API (contract sections 4 to 7): handlers and their routes.

Each handler takes the request context and the validated request model and returns the
response model, or raises FlowlixError. `ROUTES` is this module's part of the route table.
"""

from __future__ import annotations

import time

from . import catalog
from .errors import FlowlixError
from .models import (
    CardInput,
    Payment,
    PaymentCard,
    PaymentCreate,
    PaymentList,
    PaymentListQuery,
    Refund,
    RefundCreate,
)
from .plumbing import Context, Core, Route, paginate, stored
from .storage import Account
from .three_d_secure import Challenges, details, issuer_decline


def _expired(card: CardInput, now: int) -> bool:
    today = time.gmtime(now)
    return (card.exp_year, card.exp_month) < (today.tm_year, today.tm_mon)


def charge(
    core: Core,
    account: Account,
    *,
    amount: int,
    currency: str,
    card: CardInput,
    reference: str | None = None,
    description: str | None = None,
    metadata: dict[str, str] | None = None,
    return_url: str | None = None,
    origin: str = "",
    authenticated: bool | None = None,
) -> Payment:
    """Charge a validated card: store the payment, emit its event, raise the 402 on a decline.

    3-D Secure (contract section 16): a frictionless or exempted card succeeds at once. A card
    whose issuer asks for a challenge is, with a `return_url`, stored as `requires_action` with
    a challenge at `next_action.url` (no event yet); without one it is declined with
    `authentication_required`. The Hosted Payment Page runs its own challenge and passes the
    customer's answer as `authenticated`.
    """
    if _expired(card, account.now()):
        raise FlowlixError("expired_card", "The card has expired.", param="card.exp_year")
    number = card.number
    test_card = catalog.TEST_CARDS_BY_NUMBER.get(number)
    flow = test_card.three_d_secure if test_card is not None else None
    secure = None
    decline_code: str | None = None
    waits_for_challenge = False
    if test_card is None:
        decline_code = catalog.TEST_MODE_LIVE_CARD
    elif flow == "challenge":
        if authenticated is not None:
            result = "authenticated" if authenticated else "failed"
            secure = details("challenge", result)
            decline_code = issuer_decline(test_card, authenticated)
        else:
            secure = details("challenge", None)
            waits_for_challenge = return_url is not None
            decline_code = None if waits_for_challenge else test_card.decline_code
    else:
        if flow is not None:
            secure = details(flow, catalog.three_d_secure_result(flow))
        if test_card.outcome == "decline":
            decline_code = test_card.decline_code
    failure_code = (
        catalog.DECLINE_CODES_BY_CODE[decline_code].code if decline_code is not None else None
    )
    if waits_for_challenge:
        status = "requires_action"
    else:
        status = "failed" if decline_code else "succeeded"

    payment = Payment(
        id=account.new_id("pay"),
        object="payment",
        amount=amount,
        currency=currency,
        status=status,
        amount_refunded=0,
        refunded=False,
        card=PaymentCard(
            brand=card.brand, last4=number[-4:], exp_month=card.exp_month, exp_year=card.exp_year
        ),
        reference=reference,
        description=description,
        metadata=metadata or {},
        failure_code=failure_code,
        decline_code=decline_code,
        three_d_secure=secure,
        next_action=None,
        created=account.now(),
        livemode=False,
    )
    account.add(account.payments, payment["id"], payment)
    if waits_for_challenge:
        assert test_card is not None and return_url is not None
        payment["next_action"] = core.service(Challenges).start(
            account, payment, test_card, return_url=return_url, origin=origin
        )
        return payment  # nothing charged yet, no event until the final status
    if failure_code is not None and decline_code is not None:
        core.emit(account, "payment.failed", payment)
        raise FlowlixError(
            failure_code,
            catalog.DECLINE_CODES_BY_CODE[decline_code].meaning,
            decline_code=decline_code,
            payment_id=payment["id"],
        )
    core.emit(account, "payment.succeeded", payment)
    return payment


def create_payment(ctx: Context, body: PaymentCreate) -> Payment:
    return charge(
        ctx.core,
        ctx.owner,
        amount=body.amount,
        currency=body.currency,
        card=body.card,
        reference=body.reference,
        description=body.description,
        metadata=body.metadata,
        return_url=body.return_url,
        origin=ctx.origin,
    )


def retrieve_payment(ctx: Context, _: None) -> Payment:
    ctx.service(Challenges).expire_due(ctx.owner)
    return stored(ctx.owner.payments, "payment", ctx.params["id"])


def list_payments(ctx: Context, query: PaymentListQuery) -> PaymentList:
    ctx.service(Challenges).expire_due(ctx.owner)
    filters: dict[str, str] = {}
    if query.reference is not None:
        filters["reference"] = query.reference
    if query.status is not None:
        filters["status"] = query.status
    page: PaymentList = paginate(ctx.owner.payments, "payment", query, filters)
    return page


def create_refund(ctx: Context, body: RefundCreate) -> Refund:
    account = ctx.owner
    payment_id = body.payment
    payment = stored(account.payments, "payment", payment_id, param="payment")
    amount = body.amount
    if amount is not None:
        step = catalog.CURRENCIES_BY_CODE[payment["currency"]].minor_unit_step
        if amount % step:
            raise FlowlixError(
                "amount_invalid_for_currency",
                f"{payment['currency']} has three decimals and settles in steps of {step} minor "
                "units: the amount must end in 0.",
                param="amount",
            )
    if payment["status"] != "succeeded":
        raise FlowlixError(
            "payment_not_refundable",
            f"This payment is {payment['status']}, not succeeded, so there is nothing to refund.",
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
    refund = Refund(
        id=account.new_id("re"),
        object="refund",
        payment=payment_id,
        amount=amount,
        currency=payment["currency"],
        status="succeeded",
        reason=body.reason,
        created=account.now(),
    )
    account.add(account.refunds, refund["id"], refund)
    refunded = payment["amount_refunded"] + amount
    account.update(payment, amount_refunded=refunded, refunded=refunded == payment["amount"])
    ctx.emit("refund.succeeded", refund)
    return refund


def retrieve_refund(ctx: Context, _: None) -> Refund:
    return stored(ctx.owner.refunds, "refund", ctx.params["id"])


ROUTES = [
    Route(
        "POST",
        "/v1/payments",
        create_payment,
        operation_id="createPayment",
        summary="Create a payment",
        description="Charges a card (Direct API). Declines are 402 `card_error` with "
        "`decline_code` and `payment_id`; the failed payment is stored. With `return_url`, a "
        "card whose issuer asks for 3-D Secure is 201 `requires_action`: send the customer's "
        "browser to `next_action.url`, then retrieve the payment when it comes back.",
        tag="Payments",
        request=PaymentCreate,
        response=Payment,
        status=201,
        errors=("amount_invalid_for_currency",),
        error_statuses=(402,),
    ),
    Route(
        "GET",
        "/v1/payments",
        list_payments,
        operation_id="listPayments",
        summary="List payments",
        description="Newest first. Filter by `reference` to find the payment of an order, by "
        "`status=requires_action` for those waiting for 3-D Secure.",
        tag="Payments",
        query=PaymentListQuery,
        response=PaymentList,
    ),
    Route(
        "GET",
        "/v1/payments/{id}",
        retrieve_payment,
        operation_id="retrievePayment",
        summary="Retrieve a payment",
        description="One payment of this account.",
        tag="Payments",
        response=Payment,
        path_description="The payment id, `pay_...`.",
    ),
    Route(
        "POST",
        "/v1/refunds",
        create_refund,
        operation_id="createRefund",
        summary="Create a refund",
        description="Refunds a succeeded payment in full (no `amount`) or in part.",
        tag="Refunds",
        request=RefundCreate,
        response=Refund,
        status=201,
        errors=(
            "amount_invalid_for_currency",
            "payment_not_refundable",
            "amount_too_large",
            "payment_already_refunded",
        ),
    ),
    Route(
        "GET",
        "/v1/refunds/{id}",
        retrieve_refund,
        operation_id="retrieveRefund",
        summary="Retrieve a refund",
        description="One refund of this account.",
        tag="Refunds",
        response=Refund,
        path_description="The refund id, `re_...`.",
    ),
]
