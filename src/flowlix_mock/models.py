"""Every request and response body of the API as a type: the one source of their shapes.

Requests are pydantic models: the pipeline validates each body and query with them (strict mode:
`4999.0`, `"4999"` and `true` are not amounts). Responses are TypedDicts: plain dicts at run time
(as cheap to build, store and serialize as before), typed shapes for pydantic and for readers.
The OpenAPI document is generated from both, and the docs' endpoint table from that document.
Business rules that belong to a body (three-decimal amounts, the CVC length of a brand, the Luhn
check) are validators here that raise the contract's error code as the error's type;
`errors.from_validation` turns a validation failure into the contract's 400 (or 402) with the
dotted `param`.

Only the catalog is imported: the models know nothing of HTTP.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError
from typing_extensions import TypeAliasType, TypedDict

from . import catalog

LIMITS = catalog.LIMITS

# --- shared field types -------------------------------------------------------------------------

Amount = Annotated[
    int,
    Field(
        ge=LIMITS.amount_min,
        le=LIMITS.amount_max,
        description="Minor units: 4999 is 49.99 EUR. Three-decimal currencies: a multiple of 10.",
    ),
]

# Named types: each is one schema in the document (`#/components/schemas/Currency`), so that
# generated clients get one `Currency` enum rather than one per field.
Currency = TypeAliasType("Currency", Literal[catalog.CURRENCY_CODES])  # type: ignore[valid-type]
"""A currency as responses carry it: upper case."""


def _currency(value: str) -> str:
    found = catalog.CURRENCIES_BY_CODE.get(value.upper())
    if found is None:
        raise PydanticCustomError(
            "parameter_invalid",
            "must be a supported ISO 4217 currency code: {codes}.",
            {"codes": ", ".join(catalog.CURRENCY_CODES)},
        )
    return found.code


CurrencyInput = Annotated[
    str,
    AfterValidator(_currency),
    # The contract's "either case" is a case-insensitive pattern in the document (an enum of
    # both cases lists every code twice, which generators reject): the document and the
    # validator above accept exactly the same strings.
    WithJsonSchema(
        {
            "type": "string",
            "pattern": catalog.CURRENCY_PATTERN,
            "description": "ISO 4217, any letter case (`eur` is `EUR`); responses use upper "
            "case. One of " + ", ".join(catalog.CURRENCY_CODES) + ".",
        }
    ),
]


def _url(value: str) -> str:
    if catalog.URL_REGEX.fullmatch(value) is None:
        raise PydanticCustomError("parameter_invalid", catalog.URL_RULE)
    return value


def _url_schema(pattern: str, description: str) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "type": "string",
            "maxLength": LIMITS.url_max_length,
            "pattern": pattern,
            "description": description,
        }
    )


_CheckedUrl = Annotated[str, Field(max_length=LIMITS.url_max_length), AfterValidator(_url)]

MerchantUrl = Annotated[
    _CheckedUrl,
    _url_schema(
        catalog.URL_PATTERN,
        "An absolute https URL; in test mode http://localhost and "
        "http://127.0.0.1 (any port and path) too.",
    ),
]


def _ascii_integer(value: Any) -> Any:
    """A query value such as `"10"` as an int; anything else is left for the strict check."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return value


ListLimit = Annotated[
    int,
    Field(ge=1, le=LIMITS.list_limit_max, description="How many objects per page."),
    BeforeValidator(_ascii_integer),  # last, so it runs first: "10" in a query is 10
]
Reference = Annotated[
    str, Field(max_length=LIMITS.reference_max_length, description="The merchant's order id.")
]
Description = Annotated[str, Field(max_length=LIMITS.description_max_length)]
Metadata = Annotated[
    dict[
        Annotated[str, Field(max_length=LIMITS.metadata_key_max_length)],
        Annotated[str, Field(max_length=LIMITS.metadata_value_max_length)],
    ],
    Field(max_length=LIMITS.metadata_max_keys),
]
PaymentStatus = TypeAliasType(
    "PaymentStatus",
    Literal[catalog.PAYMENT_STATUSES],  # type: ignore[valid-type]
)
RefundReason = TypeAliasType(
    "RefundReason",
    Literal[catalog.REFUND_REASONS],  # type: ignore[valid-type]
)
EventType = TypeAliasType("EventType", Literal[catalog.EVENT_TYPE_NAMES])  # type: ignore[valid-type]
CardBrand = TypeAliasType("CardBrand", Literal[catalog.CARD_BRANDS])  # type: ignore[valid-type]
DeclineCode = TypeAliasType(
    "DeclineCode",
    Literal[catalog.DECLINE_CODE_NAMES],  # type: ignore[valid-type]
)
ErrorType = TypeAliasType(
    "ErrorType",
    Literal[catalog.ERROR_TYPE_NAMES],  # type: ignore[valid-type]
)
ErrorCode = TypeAliasType(
    "ErrorCode",
    Literal[catalog.ERROR_CODE_NAMES],  # type: ignore[valid-type]
)
Timestamp = Annotated[int, Field(description="Unix seconds of the account's clock.")]


def _id(prefix: str) -> Any:
    return Field(pattern=f"^{prefix}_[A-Za-z0-9]+$")


# --- requests -----------------------------------------------------------------------------------


class RequestModel(BaseModel):
    """A request body or query: strict types and no unknown names. `null` for a required name
    is the same as leaving it out (`errors.from_validation` reports it as missing)."""

    model_config = ConfigDict(strict=True, extra="forbid")


_AMEX_CVC = catalog.cvc_length("amex")
_OTHER_CVC = catalog.cvc_length("visa")


class CardInput(RequestModel):
    # The CVC length per brand, in the document as well as in the validator below.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {
                "properties": {"number": {"pattern": f"^({'|'.join(catalog.AMEX_PREFIXES)})"}},
            },
            "then": {"properties": {"cvc": {"pattern": f"^[0-9]{{{_AMEX_CVC}}}$"}}},
            "else": {"properties": {"cvc": {"pattern": f"^[0-9]{{{_OTHER_CVC}}}$"}}},
        }
    )

    number: Annotated[
        str,
        Field(
            pattern=f"^[0-9]{{{catalog.CARD_NUMBER_LENGTHS[0]},{catalog.CARD_NUMBER_LENGTHS[1]}}}$",
            description="The card number, digits only.",
        ),
    ]
    exp_month: Annotated[int, Field(ge=1, le=12)]
    exp_year: Annotated[int, Field(ge=1000, le=9999, description="Four digits.")]
    cvc: Annotated[
        str,
        Field(
            pattern="^[0-9]{3,4}$",
            description=f"{_AMEX_CVC} digits for American Express, {_OTHER_CVC} for other brands.",
        ),
    ]

    @property
    def brand(self) -> str:
        return catalog.card_brand(self.number)

    @model_validator(mode="after")
    def _cvc_length_of_brand(self) -> CardInput:
        expected = catalog.cvc_length(self.brand)
        if len(self.cvc) != expected:
            raise PydanticCustomError(
                "parameter_invalid",
                "must be {expected} digits for this card.",
                {"expected": expected, "field": "cvc"},
            )
        return self

    def check_number(self, field: str = "number") -> None:
        """The Luhn check: 402 `invalid_number`. Run once every parameter is valid (a
        parameter error is a 400 and comes first), so the models call it from their own
        last validator."""
        if not catalog.luhn_valid(self.number):
            raise PydanticCustomError(
                "invalid_number", "The card number is not a valid card number.", {"field": field}
            )


def _fits_currency(amount: int, currency: str) -> None:
    step = catalog.CURRENCIES_BY_CODE[currency].minor_unit_step
    if amount % step:
        raise PydanticCustomError(
            "amount_invalid_for_currency",
            "{currency} has three decimals and settles in steps of {step} minor units: the "
            "amount must end in 0.",
            {"currency": currency, "step": step, "field": "amount"},
        )


class PaymentCreate(RequestModel):
    amount: Amount
    currency: CurrencyInput
    card: CardInput
    reference: Reference | None = None
    description: Description | None = None
    metadata: Metadata | None = None
    return_url: Annotated[
        MerchantUrl | None,
        Field(
            description="Where the customer's browser comes back after a 3-D Secure challenge, "
            "with `payment_id=pay_...` added. Without it, a card whose issuer asks for a "
            "challenge is declined with `authentication_required`."
        ),
    ] = None

    @model_validator(mode="after")
    def _business_rules(self) -> PaymentCreate:
        _fits_currency(self.amount, self.currency)
        self.card.check_number("card.number")
        return self


class RefundCreate(RequestModel):
    payment: Annotated[str, Field(min_length=1, max_length=255, description="The payment id.")]
    amount: Annotated[Amount | None, Field(description="Defaults to what is left.")] = None
    reason: RefundReason | None = None


class CheckoutSessionCreate(RequestModel):
    amount: Amount
    currency: CurrencyInput
    success_url: Annotated[
        MerchantUrl,
        Field(description="Where the customer lands after paying, `session_id=cs_...` added."),
    ]
    cancel_url: Annotated[MerchantUrl, Field(description="Where the page's Cancel link leads.")]
    reference: Reference | None = None
    description: Annotated[
        Description | None, Field(description="Shown to the customer on the page (HTML-escaped).")
    ] = None

    @model_validator(mode="after")
    def _amount_fits_currency(self) -> CheckoutSessionCreate:
        _fits_currency(self.amount, self.currency)
        return self


# The host rule depends on the mock's options (`--allow-webhook-host`), so the handler checks it;
# the document shows the default: loopback hosts only.
WebhookUrl = Annotated[
    _CheckedUrl,
    _url_schema(
        catalog.WEBHOOK_URL_PATTERN,
        "Where events are POSTed. The mock delivers to loopback hosts only "
        "(localhost, 127.0.0.0/8, ::1) unless started with --allow-webhook-host HOST.",
    ),
]


class WebhookEndpointCreate(RequestModel):
    url: WebhookUrl
    events: Annotated[list[EventType], Field(min_length=1)]


class ClockAdvance(RequestModel):
    seconds: Annotated[int, Field(ge=1, le=LIMITS.clock_advance_max_seconds)]


class ListQuery(RequestModel):
    limit: ListLimit = LIMITS.list_limit_default
    starting_after: Annotated[str | None, Field(description="An object id: the page after it.")] = (
        None
    )


class PaymentListQuery(ListQuery):
    reference: Annotated[str | None, Field(description="Only payments of this order.")] = None
    status: PaymentStatus | None = None


class EventListQuery(ListQuery):
    type: EventType | None = None


# --- responses ----------------------------------------------------------------------------------
#
# The API's objects are TypedDicts: at run time plain dicts (cheap to build, store and serialize
# on every request), for mypy and for the document typed shapes. Every key is always present.


class PaymentCard(TypedDict):
    brand: CardBrand
    last4: Annotated[str, Field(pattern="^[0-9]{4}$")]
    exp_month: Annotated[int, Field(ge=1, le=12)]
    exp_year: Annotated[int, Field(ge=1000, le=9999)]


class ThreeDSecure(TypedDict):
    """How the card's issuer authenticated the customer (contract section 16)."""

    version: Literal[catalog.THREE_D_SECURE_VERSION]  # type: ignore[valid-type]
    flow: Literal[catalog.THREE_D_SECURE_FLOWS]  # type: ignore[valid-type]
    result: Annotated[
        Literal[catalog.THREE_D_SECURE_RESULTS] | None,  # type: ignore[valid-type]
        Field(description="Null while a challenge waits for the customer, or if none answered."),
    ]
    liability_shift: Annotated[
        bool, Field(description="True when the issuer authenticated the customer.")
    ]


class NextAction(TypedDict):
    """Where to send the customer's browser while a payment is `requires_action`."""

    type: Literal["redirect_to_url"]
    url: Annotated[str, Field(description="The challenge page, on the API's origin.")]
    return_url: Annotated[str, Field(description="The `return_url` of the payment.")]
    expires_at: Annotated[
        int,
        Field(
            description=f"`created` + {LIMITS.three_d_secure_challenge_lifetime_seconds} seconds "
            "of the account's clock: unanswered by then, the payment fails."
        ),
    ]


class Payment(TypedDict):
    id: Annotated[str, _id("pay")]
    object: Literal["payment"]
    amount: Amount
    currency: Currency
    status: PaymentStatus
    amount_refunded: Annotated[int, Field(ge=0)]
    refunded: bool
    card: PaymentCard
    reference: str | None
    description: str | None
    metadata: dict[str, str]
    failure_code: str | None
    decline_code: DeclineCode | None
    three_d_secure: ThreeDSecure | None
    next_action: Annotated[
        NextAction | None, Field(description="Set only while `status` is `requires_action`.")
    ]
    created: Timestamp
    livemode: Literal[False]


class Refund(TypedDict):
    id: Annotated[str, _id("re")]
    object: Literal["refund"]
    payment: Annotated[str, Field(pattern="^pay_")]
    amount: Amount
    currency: Currency
    status: Literal["succeeded"]
    reason: RefundReason | None
    created: Timestamp


class CheckoutSession(TypedDict):
    id: Annotated[str, _id("cs")]
    object: Literal["checkout_session"]
    url: Annotated[str, Field(description="The hosted payment page to send the browser to.")]
    status: Literal["open", "complete", "expired"]
    payment_status: Literal["unpaid", "paid"]
    payment: Annotated[
        str | None, Field(description="The succeeded payment once `status` is `complete`.")
    ]
    amount: Amount
    currency: Currency
    reference: str | None
    success_url: str
    cancel_url: str
    expires_at: Annotated[
        int,
        Field(
            description=f"`created` + {LIMITS.checkout_session_lifetime_seconds} seconds of the "
            "account's clock."
        ),
    ]
    created: Timestamp


class WebhookEndpoint(TypedDict):
    id: Annotated[str, _id("we")]
    object: Literal["webhook_endpoint"]
    url: str
    events: Annotated[list[EventType], Field(min_length=1)]
    created: Timestamp


class WebhookEndpointWithSecret(WebhookEndpoint):
    secret: Annotated[
        str,
        Field(
            pattern="^whsec_[A-Za-z0-9+/]+={0,2}$",
            description="The signing secret, shown only in this response.",
        ),
    ]


class WebhookEndpointDeleted(TypedDict):
    id: Annotated[str, Field(pattern="^we_")]
    object: Literal["webhook_endpoint"]
    deleted: Literal[True]


class EventData(TypedDict):
    object: Annotated[
        Payment | Refund | CheckoutSession,
        Field(description="The object as it was when the event happened."),
    ]


class Event(TypedDict):
    id: Annotated[str, _id("evt")]
    object: Literal["event"]
    type: EventType
    created: Timestamp
    data: EventData


class PaymentList(TypedDict):
    object: Literal["list"]
    data: list[Payment]
    has_more: bool


class WebhookEndpointList(TypedDict):
    object: Literal["list"]
    data: list[WebhookEndpoint]
    has_more: bool


class EventList(TypedDict):
    object: Literal["list"]
    data: list[Event]
    has_more: bool


class TestClock(TypedDict):
    object: Literal["test_clock"]
    now: Timestamp
    advanced_by: int


class Error(TypedDict):
    """What went wrong: the error's type and code, the parameter at fault, the docs' page."""

    type: ErrorType
    code: ErrorCode
    decline_code: DeclineCode | None
    message: str
    param: Annotated[str | None, Field(description="The parameter at fault, dotted.")]
    payment_id: Annotated[str | None, Field(pattern="^pay_")]
    doc_url: str
    request_id: Annotated[str, Field(pattern=catalog.REQUEST_ID_PATTERN)]


class ErrorResponse(TypedDict):
    """Every error response of the API has this shape."""

    error: Error
