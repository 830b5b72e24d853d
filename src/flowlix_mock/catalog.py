"""The single source of Flowlix facts: test cards, decline codes, currencies, error codes, limits.

The mock reads this module to decide what a request does; the documentation site renders its
tables from it (through mkdocs-macros); the tests read it to know what to expect. A fact such as
"25 requests per second" or "4000040000010015 is insufficient_funds" is written here and nowhere
else. [`as_json`][flowlix_mock.catalog.as_json] is the same catalog as a JSON-ready dictionary,
published with the site for the Flowlix dashboard.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Literal

DOCS_BASE_URL = "https://docs.flowlix.eu"
"""Where the documentation lives; every `doc_url` starts here."""

PRODUCTION_API_BASE = "https://api.flowlix.eu/v1"
"""The production API base URL. Snippets default to it; the mock prints its own."""

KEY_MIN_RANDOM_LENGTH = 24
"""A secret key's prefix is followed by at least this many letters and digits."""

KEY_PATTERN = rf"^fl_(test|live)_sk_[A-Za-z0-9]{{{KEY_MIN_RANDOM_LENGTH},}}$"
"""What a secret key looks like (contract section 1)."""

REQUEST_ID_PATTERN = "^req_[A-Za-z0-9]{16,}$"
"""Every response's `Flowlix-Request-Id` (and an error's `request_id`)."""


@dataclass(frozen=True)
class ErrorTypeInfo:
    """One of the five error types and what an integration should do about it."""

    type: str
    statuses: tuple[int, ...]
    meaning: str
    retry: str
    action: str


ERROR_TYPES: tuple[ErrorTypeInfo, ...] = (
    ErrorTypeInfo(
        "invalid_request_error",
        (400, 403, 404, 405, 409, 413, 415, 422),
        "The request itself is wrong: a missing or invalid parameter, an unknown object, "
        "a reused idempotency key.",
        "No (except 409 idempotency_key_in_use: retry the same request shortly).",
        "Fix the request. Log the `code` and `param` and the request id; alert on a rise.",
    ),
    ErrorTypeInfo(
        "authentication_error",
        (401,),
        "The API key is missing, malformed, unknown, revoked, or of the wrong mode.",
        "No.",
        "Check that the server reads the right key from its environment; page whoever owns "
        "the deployment. Never log the key itself.",
    ),
    ErrorTypeInfo(
        "card_error",
        (402,),
        "The card was declined by the issuer or is invalid.",
        "Not as a retry. A soft decline can succeed as a new attempt (a new `Idempotency-Key`): "
        "after the customer acts, or once automatically after a short wait for "
        "`processing_error` (see the decline codes).",
        "Show the customer-safe message for the `decline_code` and let the customer try "
        "again or use another card.",
    ),
    ErrorTypeInfo(
        "rate_limit_error",
        (429,),
        "The account sent more requests per second than its limit.",
        "Yes, after the `Retry-After` seconds, with the same `Idempotency-Key`.",
        "Wait `Retry-After` seconds; smooth bursts with a client-side limiter.",
    ),
    ErrorTypeInfo(
        "api_error",
        (500, 503),
        "Flowlix failed. The request may or may not have run.",
        "Yes, with exponential backoff (1 s, 2 s, 4 s) and the same `Idempotency-Key`.",
        "Retry with the same key: a request that did run returns its stored result and "
        "charges nothing twice. Alert on a rising 5xx rate.",
    ),
)


@dataclass(frozen=True)
class ErrorCode:
    """An error `code`: its HTTP status, its error type, what it means and what to do."""

    code: str
    status: int
    type: str
    meaning: str
    action: str


ERROR_CODES: tuple[ErrorCode, ...] = (
    ErrorCode(
        "api_key_missing",
        401,
        "authentication_error",
        "No `Authorization: Bearer <key>` header was sent.",
        "Send the secret key from your server's environment in the `Authorization` header.",
    ),
    ErrorCode(
        "api_key_invalid",
        401,
        "authentication_error",
        "The key is malformed or unknown.",
        "Check the key is a complete `fl_test_sk_...` or `fl_live_sk_...` secret key, "
        "copied without spaces or quotes.",
    ),
    ErrorCode(
        "api_key_live_mode",
        401,
        "authentication_error",
        "A live key was sent to a test environment (such as the mock).",
        "Use a `fl_test_sk_` key outside production; keep live keys in production only.",
    ),
    ErrorCode(
        "https_required",
        403,
        "invalid_request_error",
        "The request was sent over plain HTTP.",
        "Call the API over HTTPS only. Never fall back to HTTP.",
    ),
    ErrorCode(
        "invalid_json",
        400,
        "invalid_request_error",
        "The body is not valid JSON, or not a JSON object.",
        "Serialise the body with a JSON library, never by string concatenation.",
    ),
    ErrorCode(
        "unsupported_media_type",
        415,
        "invalid_request_error",
        "The body was sent with a `Content-Type` other than `application/json`.",
        "Send `Content-Type: application/json` (httpx does this with `json=`).",
    ),
    ErrorCode(
        "request_too_large",
        413,
        "invalid_request_error",
        "The body is larger than the size limit.",
        "Shorten `description` and `metadata`; the API never needs large bodies.",
    ),
    ErrorCode(
        "parameter_missing",
        400,
        "invalid_request_error",
        "A required parameter is missing; `param` names it.",
        "Send the parameter named in `param`.",
    ),
    ErrorCode(
        "parameter_unknown",
        400,
        "invalid_request_error",
        "The request has a parameter the endpoint does not know; `param` names it.",
        "Remove the parameter, or check its spelling against the API reference.",
    ),
    ErrorCode(
        "parameter_invalid",
        400,
        "invalid_request_error",
        "A parameter has the wrong type or value; `param` names it (dotted, such as "
        "`card.number`).",
        "Fix the value named in `param`. Amounts are integers in minor units, never floats "
        "or strings.",
    ),
    ErrorCode(
        "amount_invalid_for_currency",
        400,
        "invalid_request_error",
        "A three-decimal currency's amount does not end in 0.",
        "Round three-decimal amounts to a multiple of 10 minor units (1.234 KWD cannot be "
        "charged; 1.230 KWD, amount 1230, can).",
    ),
    ErrorCode(
        "idempotency_key_invalid",
        400,
        "invalid_request_error",
        "The `Idempotency-Key` header is empty, longer than 255 characters, or not printable "
        "ASCII.",
        "Derive the key from the payment attempt, such as `payment-order-1234-1`.",
    ),
    ErrorCode(
        "idempotency_key_reused",
        422,
        "invalid_request_error",
        "The `Idempotency-Key` was already used for a different request (another path or "
        "body) in the last 24 hours.",
        "Use one key per operation. Derive it from what makes the operation unique, such as "
        "the order and the refund number.",
    ),
    ErrorCode(
        "idempotency_key_in_use",
        409,
        "invalid_request_error",
        "A request with the same `Idempotency-Key` is still running.",
        "Wait a moment and retry the same request with the same key; you will get its result.",
    ),
    ErrorCode(
        "resource_missing",
        404,
        "invalid_request_error",
        "No object with that id exists for this account, or the URL is unknown.",
        "Check the id and that it was created with the same key (objects are per account).",
    ),
    ErrorCode(
        "method_not_allowed",
        405,
        "invalid_request_error",
        "The URL exists but not with this HTTP method; the `Allow` header lists those it takes.",
        "Use one of the methods in the `Allow` header.",
    ),
    ErrorCode(
        "payment_not_refundable",
        400,
        "invalid_request_error",
        "The payment has not succeeded: it failed, or it is still waiting for 3-D Secure "
        "(`requires_action`), so there is nothing to refund.",
        "Refund only payments whose `status` is `succeeded`.",
    ),
    ErrorCode(
        "amount_too_large",
        400,
        "invalid_request_error",
        "The refund is larger than what is left to refund on the payment.",
        "Refund at most `amount - amount_refunded`; omit `amount` to refund the rest.",
    ),
    ErrorCode(
        "payment_already_refunded",
        400,
        "invalid_request_error",
        "The payment is already fully refunded.",
        "Nothing to do: check `refunded` before refunding.",
    ),
    ErrorCode(
        "card_declined",
        402,
        "card_error",
        "The issuer declined the card; `decline_code` says why.",
        "Show the customer-safe message for the `decline_code`.",
    ),
    ErrorCode(
        "expired_card",
        402,
        "card_error",
        "The card has expired.",
        "Ask the customer for another card or the current expiry date.",
    ),
    ErrorCode(
        "incorrect_cvc",
        402,
        "card_error",
        "The CVC is wrong.",
        "Ask the customer to check the security code and try again.",
    ),
    ErrorCode(
        "invalid_number",
        402,
        "card_error",
        "The card number is not a valid card number (it fails the Luhn check). No payment is "
        "created.",
        "Ask the customer to check the card number.",
    ),
    ErrorCode(
        "processing_error",
        402,
        "card_error",
        "A temporary error at the issuer or network while processing the card.",
        "Retry once with a new `Idempotency-Key` (the failed payment is stored), or ask the "
        "customer to try again.",
    ),
    ErrorCode(
        "rate_limited",
        429,
        "rate_limit_error",
        "The account sent more requests per second than its limit.",
        "Wait the `Retry-After` seconds, then retry with the same `Idempotency-Key`.",
    ),
    ErrorCode(
        "internal_error",
        500,
        "api_error",
        "Flowlix failed while handling the request.",
        "Retry with backoff (1 s, 2 s, 4 s) and the same `Idempotency-Key`.",
    ),
    ErrorCode(
        "service_unavailable",
        503,
        "api_error",
        "Flowlix is briefly unavailable.",
        "Retry after `Retry-After` seconds with the same `Idempotency-Key`.",
    ),
    ErrorCode(
        "capacity_reached",
        503,
        "api_error",
        "The mock only: the account holds as many objects as `--max-objects` allows, so "
        "nothing new was created.",
        "Use a new test key (a new, empty account), or restart the mock with a larger "
        "`--max-objects`. Reads keep working.",
    ),
)


@dataclass(frozen=True)
class DeclineCode:
    """A `decline_code`, with what a merchant needs to act on it.

    `retry` is `"soft"` when trying again (usually after the customer acts) can succeed, and
    `"hard"` when the same card will keep failing.
    """

    decline_code: str
    code: str
    meaning: str
    retry: Literal["soft", "hard"]
    who_acts: str
    customer_message: str
    next_step: str


GENERIC_DECLINE_MESSAGE = (
    "Your card was declined. Please use a different card or contact your bank."
)
"""The customer-safe message for declines whose reason must never be shown (fraud codes)."""

DECLINE_CODES: tuple[DeclineCode, ...] = (
    DeclineCode(
        "insufficient_funds",
        "card_declined",
        "The account behind the card does not have enough funds.",
        "soft",
        "customer",
        "Your card has insufficient funds. Please use a different card.",
        "Ask for another card; the customer may retry this one later once funds are available.",
    ),
    DeclineCode(
        "expired_card",
        "expired_card",
        "The card has expired.",
        "hard",
        "customer",
        "Your card has expired. Please use a different card.",
        "Ask for another card. Do not retry the same card details.",
    ),
    DeclineCode(
        "generic_decline",
        "card_declined",
        "The issuer declined without giving a reason.",
        "soft",
        "customer",
        GENERIC_DECLINE_MESSAGE,
        "Ask for another card, or for the customer to contact their bank; one later retry is "
        "reasonable.",
    ),
    DeclineCode(
        "incorrect_cvc",
        "incorrect_cvc",
        "The CVC does not match the card.",
        "soft",
        "customer",
        "Your card's security code is incorrect. Please check it and try again.",
        "Let the customer re-enter the CVC; after three failures, ask for another card.",
    ),
    DeclineCode(
        "lost_card",
        "card_declined",
        "The card was reported lost.",
        "hard",
        "merchant",
        GENERIC_DECLINE_MESSAGE,
        "Show the generic message only, never the reason. Do not retry; review the order for "
        "fraud.",
    ),
    DeclineCode(
        "stolen_card",
        "card_declined",
        "The card was reported stolen.",
        "hard",
        "merchant",
        GENERIC_DECLINE_MESSAGE,
        "Show the generic message only, never the reason. Do not retry; review the order for "
        "fraud.",
    ),
    DeclineCode(
        "do_not_honor",
        "card_declined",
        "The issuer declined the payment and gives no further reason.",
        "soft",
        "customer",
        GENERIC_DECLINE_MESSAGE,
        "Ask the customer to contact their bank or use another card.",
    ),
    DeclineCode(
        "card_velocity_exceeded",
        "card_declined",
        "The customer exceeded the card's spending or transaction-count limit.",
        "soft",
        "customer",
        "Your card has reached its spending limit. Please use a different card or contact your "
        "bank.",
        "Ask for another card; the same card may work after the issuer's limit resets.",
    ),
    DeclineCode(
        "fraudulent",
        "card_declined",
        "The issuer suspects fraud.",
        "hard",
        "merchant",
        GENERIC_DECLINE_MESSAGE,
        "Show the generic message only, never the reason. Do not retry; review the order and "
        "consider blocking it.",
    ),
    DeclineCode(
        "processing_error",
        "processing_error",
        "A temporary error at the issuer or card network.",
        "soft",
        "merchant",
        "We could not process your card. Please try again in a moment.",
        "Retry once after a short wait with a new `Idempotency-Key`; if it fails again, ask "
        "for another card.",
    ),
    DeclineCode(
        "authentication_required",
        "card_declined",
        "The issuer requires Strong Customer Authentication (a 3-D Secure challenge), but the "
        "payment was sent without a `return_url`, so the customer could not be asked; or the "
        "customer never answered the challenge within its hour.",
        "soft",
        "merchant",
        "Your bank needs you to confirm this payment. Please try again and complete the "
        "verification.",
        "Create the payment again with a `return_url` and a new `Idempotency-Key`, and send the "
        "customer's browser to `next_action.url`; or use the Hosted Payment Page, which runs the "
        "challenge itself.",
    ),
    DeclineCode(
        "authentication_failed",
        "card_declined",
        "The customer did not pass the 3-D Secure challenge: they failed or cancelled it at "
        "their bank.",
        "soft",
        "customer",
        "We could not confirm this payment with your bank. Please try again or use a different "
        "card.",
        "Let the customer try again (a new payment with a new `Idempotency-Key`, which starts a "
        "new challenge) or pay with another card.",
    ),
    DeclineCode(
        "test_mode_live_card",
        "card_declined",
        "A real card number was used in test mode. Test mode accepts only the test cards.",
        "hard",
        "merchant",
        GENERIC_DECLINE_MESSAGE,
        "Use a test card from the test-card table; real cards work only with a live key.",
    ),
)

FRAUD_DECLINE_CODES = frozenset({"lost_card", "stolen_card", "fraudulent"})
"""Decline codes whose reason is never told to the customer."""

AUTHENTICATION_REQUIRED = "authentication_required"
"""The decline for a challenge nobody could answer: no `return_url`, or no answer in time."""

AUTHENTICATION_FAILED = "authentication_failed"
"""The decline for a 3-D Secure challenge the customer failed."""


ThreeDSecureFlow = Literal["frictionless", "challenge", "exemption"]

THREE_D_SECURE_VERSION = "2.2.0"
"""The EMV 3-D Secure version Flowlix runs (`three_d_secure.version` on a payment)."""

THREE_D_SECURE_FLOWS: tuple[str, ...] = ("frictionless", "challenge", "exemption")
THREE_D_SECURE_RESULTS: tuple[str, ...] = ("authenticated", "failed", "exempted")
"""`three_d_secure.result` once known (it is null while a challenge waits for the customer)."""


@dataclass(frozen=True)
class TestCard:
    """A card number with a fixed outcome in test mode.

    `outcome`, `code` and `decline_code` are what a payment without a `return_url` gets (the
    revision-1 behaviour). `three_d_secure` is the 3-D Secure flow the issuer picks for the card:
    `"frictionless"` and `"exemption"` succeed at once; `"challenge"` needs the customer, so the
    payment is declined with `authentication_required` unless it has a `return_url`, in which case
    it waits in `requires_action`. After a completed challenge the issuer approves, or declines
    with `after_challenge_decline_code`.
    """

    __test__ = False  # not a pytest test class

    number: str
    brand: str
    scenario: str
    outcome: Literal["success", "decline"]
    code: str | None = None
    decline_code: str | None = None
    hosted_page: str | None = None
    """What the Hosted Payment Page does with this card, where it differs from the Direct API."""
    three_d_secure: ThreeDSecureFlow | None = None
    """The 3-D Secure flow for this card; None: no 3-D Secure (`three_d_secure` is null)."""
    after_challenge_decline_code: str | None = None
    """The issuer's decline after a completed challenge; None: the issuer approves."""
    three_d_secure_note: str | None = None
    """What the card shows about 3-D Secure, in a sentence (for the docs' tables)."""

    @property
    def last4(self) -> str:
        """The last four digits, the only part of a number that may be shown or stored."""
        return self.number[-4:]

    @property
    def cvc_length(self) -> int:
        """American Express cards take a 4-digit CVC, all others 3."""
        return cvc_length(self.brand)


TEST_CARDS: tuple[TestCard, ...] = (
    TestCard("4111111111111111", "visa", "Successful payment (Visa)", "success"),
    TestCard("5555555555554444", "mastercard", "Successful payment (Mastercard)", "success"),
    TestCard(
        "378282246310005", "amex", "Successful payment (American Express, 4-digit CVC)", "success"
    ),
    TestCard(
        "4000040000010015",
        "visa",
        "Insufficient funds",
        "decline",
        "card_declined",
        "insufficient_funds",
    ),
    TestCard("4000040000010023", "visa", "Expired card", "decline", "expired_card", "expired_card"),
    TestCard(
        "4000040000010031", "visa", "Generic decline", "decline", "card_declined", "generic_decline"
    ),
    TestCard(
        "4000040000010049", "visa", "Incorrect CVC", "decline", "incorrect_cvc", "incorrect_cvc"
    ),
    TestCard("4000040000010056", "visa", "Lost card", "decline", "card_declined", "lost_card"),
    TestCard("4000040000010064", "visa", "Stolen card", "decline", "card_declined", "stolen_card"),
    TestCard(
        "4000040000010072", "visa", "Do not honor", "decline", "card_declined", "do_not_honor"
    ),
    TestCard(
        "4000040000010080",
        "visa",
        "Velocity limit exceeded",
        "decline",
        "card_declined",
        "card_velocity_exceeded",
    ),
    TestCard(
        "4000040000010098", "visa", "Suspected fraud", "decline", "card_declined", "fraudulent"
    ),
    TestCard(
        "4000040000010106",
        "visa",
        "Processing error (transient)",
        "decline",
        "processing_error",
        "processing_error",
    ),
    TestCard(
        "4000040000010114",
        "visa",
        "3-D Secure challenge",
        "decline",
        "card_declined",
        "authentication_required",
        hosted_page="3-D Secure challenge: complete it to pay, fail it to decline",
        three_d_secure="challenge",
        three_d_secure_note="The issuer asks for a challenge. Completed: the payment succeeds, "
        "with the liability shift. Failed: declined with `authentication_failed`.",
    ),
    TestCard(
        "4000040000010122",
        "visa",
        "3-D Secure, frictionless",
        "success",
        three_d_secure="frictionless",
        three_d_secure_note="The issuer authenticates the customer from the data 3-D Secure "
        "sends, without a challenge: the payment succeeds at once, with the liability shift.",
    ),
    TestCard(
        "4000040000010130",
        "visa",
        "3-D Secure challenge, then declined by the issuer",
        "decline",
        "card_declined",
        "authentication_required",
        hosted_page="3-D Secure challenge; once it is completed, the decline message for "
        "insufficient funds",
        three_d_secure="challenge",
        after_challenge_decline_code="insufficient_funds",
        three_d_secure_note="The issuer asks for a challenge and, once it is completed, declines "
        "the payment with `insufficient_funds`: authentication is not authorisation.",
    ),
    TestCard(
        "4000040000010148",
        "visa",
        "SCA exemption granted",
        "success",
        three_d_secure="exemption",
        three_d_secure_note="The issuer grants the exemption Flowlix asked for: the payment "
        "succeeds at once, without the liability shift.",
    ),
)

TEST_MODE_LIVE_CARD = "test_mode_live_card"
"""The decline code for any other Luhn-valid number in test mode."""


@dataclass(frozen=True)
class Currency:
    """A supported currency and its exponent (digits after the decimal point)."""

    code: str
    name: str
    exponent: int

    @property
    def minor_unit_step(self) -> int:
        """Amounts must be a multiple of this: three-decimal currencies settle in steps of 10."""
        return 10 if self.exponent == 3 else 1


CURRENCIES: tuple[Currency, ...] = (
    Currency("EUR", "Euro", 2),
    Currency("USD", "US dollar", 2),
    Currency("GBP", "Pound sterling", 2),
    Currency("CHF", "Swiss franc", 2),
    Currency("SEK", "Swedish krona", 2),
    Currency("NOK", "Norwegian krone", 2),
    Currency("DKK", "Danish krone", 2),
    Currency("PLN", "Polish złoty", 2),
    Currency("CZK", "Czech koruna", 2),
    Currency("HUF", "Hungarian forint", 2),
    Currency("JPY", "Japanese yen", 0),
    Currency("ISK", "Icelandic króna", 0),
    Currency("KRW", "South Korean won", 0),
    Currency("BHD", "Bahraini dinar", 3),
    Currency("JOD", "Jordanian dinar", 3),
    Currency("KWD", "Kuwaiti dinar", 3),
    Currency("OMR", "Omani rial", 3),
    Currency("TND", "Tunisian dinar", 3),
)


@dataclass(frozen=True)
class Limits:
    """Every number the API enforces."""

    amount_min: int = 1
    amount_max: int = 99_999_999
    reference_max_length: int = 100
    description_max_length: int = 500
    metadata_max_keys: int = 20
    metadata_key_max_length: int = 40
    metadata_value_max_length: int = 500
    body_max_bytes: int = 64 * 1024
    idempotency_key_max_length: int = 255
    idempotency_retention_seconds: int = 24 * 60 * 60
    rate_limit_test_per_second: int = 25
    rate_limit_live_per_second: int = 100
    list_limit_default: int = 10
    list_limit_max: int = 100
    checkout_session_lifetime_seconds: int = 60 * 60
    three_d_secure_challenge_lifetime_seconds: int = 60 * 60
    url_max_length: int = 2048
    webhook_tolerance_seconds: int = 5 * 60
    webhook_timeout_seconds: int = 5
    webhook_retry_schedule_seconds: tuple[int, ...] = (5, 30, 120, 600, 1800)
    retry_backoff_seconds: tuple[int, ...] = (1, 2, 4)
    retry_max_attempts: int = 4
    retry_total_seconds: int = 15
    simulation_delay_max_ms: int = 1_000
    simulation_count_max: int = 999
    clock_advance_max_seconds: int = 10 * 365 * 24 * 60 * 60


LIMITS = Limits()


@dataclass(frozen=True)
class MockLimits:
    """The mock's own limits: what keeps one mock safe under attack and overload (section 17).

    Not part of the Flowlix API; the mock page and the security page render them from here.
    """

    max_objects_default: int = 100_000  # per account: payments, refunds, sessions, stored replies
    capacity_retry_after_seconds: int = 60
    webhook_in_flight_per_endpoint: int = 4
    webhook_pending_per_account: int = 1_000
    header_max_bytes: int = 16 * 1024  # request line and headers together
    header_read_timeout_seconds: int = 10  # from a request's first byte to its last header
    keep_alive_seconds: int = 5
    max_connections: int = 1_000  # open connections and requests in flight, all accounts together
    ca_validity_days: int = 365
    ca_renew_days_before_expiry: int = 30
    server_cert_validity_days: int = 30
    session_decline_limit: int = 20  # declined attempts on one hosted session before it ends


MOCK_LIMITS = MockLimits()

REFUND_REASONS: tuple[str, ...] = ("requested_by_customer", "duplicate", "fraudulent")

PAYMENT_STATUS_MEANINGS: tuple[tuple[str, str], ...] = (
    ("succeeded", "The card was charged. Final: fulfil the order; it can be refunded."),
    (
        "failed",
        "The card was declined; `failure_code` and `decline_code` say why. Final: nothing was "
        "charged.",
    ),
    (
        "requires_action",
        "The issuer asked for a 3-D Secure challenge: nothing is charged yet, and `next_action` "
        "says where to send the customer's browser. Not final: it becomes `succeeded` or "
        "`failed`.",
    ),
)
"""Every `status` a payment can have, with what it means for the order."""

PAYMENT_STATUSES: tuple[str, ...] = tuple(status for status, _ in PAYMENT_STATUS_MEANINGS)
"""The payment statuses, by name."""

EVENT_TYPES: tuple[tuple[str, str], ...] = (
    (
        "payment.succeeded",
        "A payment succeeded (Direct API or Hosted Payment Page). A payment that waits for "
        "3-D Secure (`requires_action`) sends its event only when it reaches its final status.",
    ),
    (
        "payment.failed",
        "A payment was declined, including a failed or unanswered 3-D Secure challenge; "
        "`data.object` is the failed payment.",
    ),
    ("refund.succeeded", "A refund succeeded; `data.object` is the refund."),
    ("checkout.session.completed", "A checkout session was paid; fulfil the order."),
    ("checkout.session.expired", "A checkout session expired unpaid."),
)

SIMULATIONS: tuple[tuple[str, str], ...] = (
    ("rate_limit", "429 `rate_limited` with `Retry-After: 1`; nothing runs."),
    ("server_error", "500 `internal_error`; nothing runs."),
    ("unavailable", "503 `service_unavailable` with `Retry-After: 1`; nothing runs."),
    (
        "commit_then_error",
        "The request runs and its result is stored under the `Idempotency-Key`, but the client "
        "gets a 500: a retry with the same key returns the stored result.",
    ),
)

CARD_BRANDS: tuple[str, ...] = ("visa", "mastercard", "amex", "unknown")
CARD_NUMBER_LENGTHS = (12, 19)
"""The shortest and longest card number, in digits."""

NOT_STORED_CODES = frozenset(
    {
        "invalid_json",
        "unsupported_media_type",
        "request_too_large",
        "parameter_missing",
        "parameter_unknown",
        "parameter_invalid",
        "amount_invalid_for_currency",
        "idempotency_key_invalid",
        "idempotency_key_reused",
        "idempotency_key_in_use",
        "method_not_allowed",
    }
)
"""Error codes of requests rejected before they ran: never stored under an idempotency key, so a
corrected retry with the same key runs normally (as are every 401, 429 and 5xx)."""

# An absolute https URL, or plain http on localhost/127.0.0.1 (test mode). Printable ASCII only
# and no credentials: the URL ends up in a Location header, in the hosted page's
# Content-Security-Policy and in webhook deliveries.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
URL_PATTERN = (
    rf"^(?:https://(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])"
    r"|http://(?:localhost|127\.0\.0\.1))"
    rf"(?::{_PORT})?(?:[/?#][!-~]*)?$"
)
URL_REGEX = re.compile(URL_PATTERN)
# Webhook endpoint URLs a mock delivers to without `--allow-webhook-host` (contract section 17):
# loopback only (localhost, 127.0.0.0/8, ::1), within URL_PATTERN.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
WEBHOOK_URL_PATTERN = (
    rf"^(?:https://(?:localhost|127(?:\.{_OCTET}){{3}}|\[::1\])|http://(?:localhost|127\.0\.0\.1))"
    rf"(?::{_PORT})?(?:[/?#][!-~]*)?$"
)
URL_RULE = (
    "must be an absolute https:// URL (in test mode http://localhost and http://127.0.0.1 are "
    "allowed too), in printable ASCII without spaces or credentials."
)

# --- look-ups -------------------------------------------------------------------------------

ERROR_CODES_BY_CODE = {item.code: item for item in ERROR_CODES}
DECLINE_CODES_BY_CODE = {item.decline_code: item for item in DECLINE_CODES}
TEST_CARDS_BY_NUMBER = {card.number: card for card in TEST_CARDS}
CURRENCIES_BY_CODE = {currency.code: currency for currency in CURRENCIES}
CURRENCY_CODES = tuple(currency.code for currency in CURRENCIES)
CURRENCY_PATTERN = (
    "^(?:" + "|".join("".join(f"[{c}{c.lower()}]" for c in code) for code in CURRENCY_CODES) + ")$"
)
"""The currency codes in any letter case, as a JSON Schema pattern (`eur`, `Eur`, `EUR`)."""
EVENT_TYPE_NAMES = tuple(name for name, _ in EVENT_TYPES)
SIMULATION_NAMES = tuple(name for name, _ in SIMULATIONS)
ERROR_TYPE_NAMES = tuple(item.type for item in ERROR_TYPES)
ERROR_CODE_NAMES = tuple(item.code for item in ERROR_CODES)
DECLINE_CODE_NAMES = tuple(item.decline_code for item in DECLINE_CODES)


def three_d_secure_details(flow: ThreeDSecureFlow, result: str | None) -> dict:
    """A payment's `three_d_secure` object: the liability shift comes with authentication only.

    `result` is None while the challenge is unanswered, then `"authenticated"` or `"failed"`;
    frictionless payments are `"authenticated"`, exempted ones `"exempted"`.
    """
    return {
        "version": THREE_D_SECURE_VERSION,
        "flow": flow,
        "result": result,
        "liability_shift": result == "authenticated",
    }


def three_d_secure_result(flow: ThreeDSecureFlow) -> str | None:
    """The result a flow has as soon as the payment is created (a challenge's comes later)."""
    return {"frictionless": "authenticated", "exemption": "exempted"}.get(flow)


def doc_url(code: str, decline_code: str | None = None) -> str:
    """The documentation URL for an error: decline codes have their own page, the rest share one."""
    if decline_code:
        return f"{DOCS_BASE_URL}/decline-codes/#{decline_code}"
    return f"{DOCS_BASE_URL}/errors/#{code}"


def all_doc_urls() -> list[str]:
    """Every `doc_url` the mock can emit, for link checks."""
    urls = {doc_url(item.code) for item in ERROR_CODES}
    urls |= {doc_url(item.code, item.decline_code) for item in DECLINE_CODES}
    return sorted(urls)


def customer_message(decline_code: str | None) -> str:
    """The message safe to show a customer for a decline; the generic one for unknown codes."""
    item = DECLINE_CODES_BY_CODE.get(decline_code or "")
    return item.customer_message if item else GENERIC_DECLINE_MESSAGE


def format_amount(amount: int, currency: str) -> str:
    """Format minor units for display: `format_amount(4999, "EUR") == "49.99 EUR"`."""
    exponent = CURRENCIES_BY_CODE[currency.upper()].exponent
    if exponent == 0:
        return f"{amount} {currency.upper()}"
    major, minor = divmod(amount, 10**exponent)
    return f"{major}.{minor:0{exponent}d} {currency.upper()}"


_DOUBLED_DIGIT = str.maketrans("0123456789", "0246813579")


def luhn_valid(number: str) -> bool:
    """Whether a string of ASCII digits passes the Luhn checksum."""
    reverse = number[::-1]
    # Every second digit from the right doubled (its digits summed): 7 -> 14 -> 5.
    digits = reverse[0::2] + reverse[1::2].translate(_DOUBLED_DIGIT)
    return (sum(digits.encode()) - 48 * len(digits)) % 10 == 0


def cvc_length(brand: str) -> int:
    """The digits of a brand's CVC: American Express 4, every other brand 3."""
    return 4 if brand == "amex" else 3


AMEX_PREFIXES = ("34", "37")
"""American Express numbers start with these (and take a 4-digit CVC)."""


def card_brand(number: str) -> str:
    """The card brand guessed from the number's prefix, as the API reports it."""
    if number.startswith(AMEX_PREFIXES):
        return "amex"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number.startswith("4"):
        return "visa"
    return "unknown"


def as_json() -> dict:
    """The whole catalog as plain JSON-ready data (published with the site as `catalog.json`)."""
    return {
        "docs_base_url": DOCS_BASE_URL,
        "error_types": [asdict(item) for item in ERROR_TYPES],
        "error_codes": [asdict(item) | {"doc_url": doc_url(item.code)} for item in ERROR_CODES],
        "decline_codes": [
            asdict(item) | {"doc_url": doc_url(item.code, item.decline_code)}
            for item in DECLINE_CODES
        ],
        "test_cards": [
            asdict(card) | {"last4": card.last4, "cvc_length": card.cvc_length}
            for card in TEST_CARDS
        ],
        "currencies": [asdict(currency) for currency in CURRENCIES],
        "limits": asdict(LIMITS),
        "refund_reasons": list(REFUND_REASONS),
        "payment_statuses": [
            {"status": status, "meaning": meaning} for status, meaning in PAYMENT_STATUS_MEANINGS
        ],
        "three_d_secure_version": THREE_D_SECURE_VERSION,
        "event_types": [{"type": name, "meaning": meaning} for name, meaning in EVENT_TYPES],
        "simulations": [{"value": name, "effect": effect} for name, effect in SIMULATIONS],
    }
