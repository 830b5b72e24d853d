"""The OpenAPI 3.1 document of the mock: every endpoint, parameter, header and error.

Built from the catalog (error codes per status, currencies, limits, refund reasons), served at
`GET /v1/openapi.json`, fuzzed by the tests with schemathesis, and rendered into the docs' API
reference.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from . import __version__, catalog

JSON = "application/json"
LIMITS = catalog.LIMITS
CURRENCY_CODES = [currency.code for currency in catalog.CURRENCIES]
ID_PATTERN = {"type": "string", "minLength": 1, "maxLength": 255}


# Schema pieces every module of the mock documents the same way (checkout and webhooks too).
AMOUNT: dict[str, Any] = {
    "type": "integer",
    "minimum": LIMITS.amount_min,
    "maximum": LIMITS.amount_max,
    "description": "Minor units: 4999 is 49.99 EUR. Three-decimal currencies: a multiple of 10.",
}
CURRENCY_INPUT: dict[str, Any] = {
    "type": "string",
    "enum": CURRENCY_CODES + [code.lower() for code in CURRENCY_CODES],
    "description": "ISO 4217, either case; responses use upper case.",
}
CURRENCY_OUTPUT: dict[str, Any] = {"type": "string", "enum": CURRENCY_CODES}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _list_of(item: str) -> dict[str, Any]:
    """The schema of a page of a list endpoint: newest first, `has_more` for the next page."""
    return {
        "type": "object",
        "required": ["object", "data", "has_more"],
        "properties": {
            "object": {"const": "list"},
            "data": {"type": "array", "items": _ref(item)},
            "has_more": {"type": "boolean"},
        },
    }


def _schemas() -> dict[str, Any]:
    card_out = {
        "type": "object",
        "required": ["brand", "last4", "exp_month", "exp_year"],
        "properties": {
            "brand": {"type": "string", "enum": ["visa", "mastercard", "amex", "unknown"]},
            "last4": {"type": "string", "pattern": "^[0-9]{4}$"},
            "exp_month": {"type": "integer", "minimum": 1, "maximum": 12},
            "exp_year": {"type": "integer", "minimum": 1000, "maximum": 9999},
        },
    }
    metadata = {
        "type": "object",
        "maxProperties": LIMITS.metadata_max_keys,
        "propertyNames": {"maxLength": LIMITS.metadata_key_max_length},
        "additionalProperties": {"type": "string", "maxLength": LIMITS.metadata_value_max_length},
    }
    amount = AMOUNT
    currency_in = CURRENCY_INPUT
    decline_codes = [item.decline_code for item in catalog.DECLINE_CODES]
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": [
                        "type",
                        "code",
                        "decline_code",
                        "message",
                        "param",
                        "payment_id",
                        "doc_url",
                        "request_id",
                    ],
                    "properties": {
                        "type": {"type": "string", "enum": [t.type for t in catalog.ERROR_TYPES]},
                        "code": {"type": "string", "enum": [c.code for c in catalog.ERROR_CODES]},
                        "decline_code": _nullable({"type": "string", "enum": decline_codes}),
                        "message": {"type": "string"},
                        "param": _nullable({"type": "string"}),
                        "payment_id": _nullable({"type": "string", "pattern": "^pay_"}),
                        "doc_url": {"type": "string", "format": "uri"},
                        "request_id": {"type": "string", "pattern": "^req_[A-Za-z0-9]{16,}$"},
                    },
                }
            },
        },
        "CardInput": {
            "type": "object",
            "additionalProperties": False,
            "required": ["number", "exp_month", "exp_year", "cvc"],
            "properties": {
                "number": {"type": "string", "pattern": "^[0-9]{12,19}$"},
                "exp_month": {"type": "integer", "minimum": 1, "maximum": 12},
                "exp_year": {"type": "integer", "minimum": 1000, "maximum": 9999},
                "cvc": {
                    "type": "string",
                    "pattern": "^[0-9]{3,4}$",
                    "description": "4 digits for American Express, 3 for other brands.",
                },
            },
        },
        "PaymentCreate": {
            "type": "object",
            "additionalProperties": False,
            "required": ["amount", "currency", "card"],
            "properties": {
                "amount": amount,
                "currency": currency_in,
                "card": _ref("CardInput"),
                "reference": _nullable(
                    {"type": "string", "maxLength": LIMITS.reference_max_length}
                ),
                "description": _nullable(
                    {"type": "string", "maxLength": LIMITS.description_max_length}
                ),
                "metadata": _nullable(metadata),
            },
        },
        "Payment": {
            "type": "object",
            "required": [
                "id",
                "object",
                "amount",
                "currency",
                "status",
                "amount_refunded",
                "refunded",
                "card",
                "reference",
                "description",
                "metadata",
                "failure_code",
                "decline_code",
                "created",
                "livemode",
            ],
            "properties": {
                "id": {"type": "string", "pattern": "^pay_[A-Za-z0-9]+$"},
                "object": {"const": "payment"},
                "amount": amount,
                "currency": CURRENCY_OUTPUT,
                "status": {"type": "string", "enum": ["succeeded", "failed"]},
                "amount_refunded": {"type": "integer", "minimum": 0},
                "refunded": {"type": "boolean"},
                "card": card_out,
                "reference": _nullable({"type": "string"}),
                "description": _nullable({"type": "string"}),
                "metadata": metadata,
                "failure_code": _nullable({"type": "string"}),
                "decline_code": _nullable({"type": "string", "enum": decline_codes}),
                "created": {"type": "integer"},
                "livemode": {"const": False},
            },
        },
        "PaymentList": _list_of("Payment"),
        "RefundCreate": {
            "type": "object",
            "additionalProperties": False,
            "required": ["payment"],
            "properties": {
                "payment": {"type": "string", "minLength": 1, "maxLength": 255},
                "amount": _nullable(amount | {"description": "Defaults to what is left."}),
                "reason": _nullable({"type": "string", "enum": list(catalog.REFUND_REASONS)}),
            },
        },
        "Refund": {
            "type": "object",
            "required": [
                "id",
                "object",
                "payment",
                "amount",
                "currency",
                "status",
                "reason",
                "created",
            ],
            "properties": {
                "id": {"type": "string", "pattern": "^re_[A-Za-z0-9]+$"},
                "object": {"const": "refund"},
                "payment": {"type": "string", "pattern": "^pay_"},
                "amount": amount,
                "currency": CURRENCY_OUTPUT,
                "status": {"const": "succeeded"},
                "reason": _nullable({"type": "string", "enum": list(catalog.REFUND_REASONS)}),
                "created": {"type": "integer"},
            },
        },
        "ClockAdvance": {
            "type": "object",
            "additionalProperties": False,
            "required": ["seconds"],
            "properties": {"seconds": {"type": "integer", "minimum": 1, "maximum": 315360000}},
        },
        "TestClock": {
            "type": "object",
            "required": ["object", "now", "advanced_by"],
            "properties": {
                "object": {"const": "test_clock"},
                "now": {"type": "integer"},
                "advanced_by": {"type": "integer"},
            },
        },
    }


def _headers(*, rate_limited: bool = False, replayable: bool = False) -> dict[str, Any]:
    headers: dict[str, Any] = {
        "Flowlix-Request-Id": {
            "required": True,
            "description": "Log it with every response; quote it to support.",
            "schema": {"type": "string", "pattern": "^req_[A-Za-z0-9]{16,}$"},
        },
        "RateLimit-Limit": {
            "required": True,
            "description": "Requests per second allowed for the account.",
            "schema": {"type": "integer", "minimum": 1},
        },
        "RateLimit-Remaining": {
            "required": True,
            "description": "Requests left in the current one-second window.",
            "schema": {"type": "integer", "minimum": 0},
        },
        "RateLimit-Reset": {
            "required": True,
            "description": "Seconds until the window resets.",
            "schema": {"type": "integer", "minimum": 1},
        },
    }
    if rate_limited:
        headers["Retry-After"] = {
            "required": True,
            "description": "Whole seconds to wait before retrying.",
            "schema": {"type": "integer", "minimum": 1},
        }
    if replayable:
        headers["Idempotent-Replayed"] = {
            "required": False,
            "description": "`true` when this is the stored response of an earlier request "
            "with the same Idempotency-Key.",
            "schema": {"type": "string", "enum": ["true"]},
        }
    return headers


# Codes any /v1 operation can answer with (the Flowlix-Simulate header is checked everywhere).
COMMON_CODES = (
    "api_key_missing",
    "api_key_invalid",
    "api_key_live_mode",
    "https_required",
    "resource_missing",
    "method_not_allowed",
    "parameter_invalid",
    "rate_limited",
    "internal_error",
    "service_unavailable",
)
GET_CODES = ("parameter_unknown",)
POST_CODES = (
    "invalid_json",
    "unsupported_media_type",
    "request_too_large",
    "parameter_missing",
    "parameter_unknown",
    "idempotency_key_invalid",
    "idempotency_key_reused",
    "idempotency_key_in_use",
)


def _error_response(status: int, codes: list[str], replayable: bool) -> dict[str, Any]:
    headers = _headers(rate_limited=status == 429, replayable=replayable)
    if status == 503:
        headers["Retry-After"] = {
            "required": False,
            "description": "Seconds to wait before retrying.",
            "schema": {"type": "integer", "minimum": 1},
        }
    if status == 405:
        headers["Allow"] = {
            "required": True,
            "description": "The methods this URL takes.",
            "schema": {"type": "string"},
        }
    return {
        "description": "Error codes: " + ", ".join(f"`{code}`" for code in codes),
        "headers": headers,
        "content": {JSON: {"schema": _ref("Error")}},
    }


def _responses(
    success: int, schema: str, *statuses: int, post: bool = False, codes: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The success response and one error response per status this operation can answer with.

    `codes` are the operation's own error codes on top of the ones every GET or POST can get;
    `statuses` adds every catalog code of those statuses.
    """
    responses = {
        str(success): {
            "description": "Success.",
            "headers": _headers(replayable=post),
            "content": {JSON: {"schema": _ref(schema)}},
        }
    }
    wanted = set(COMMON_CODES) | set(POST_CODES if post else GET_CODES) | set(codes)
    by_status: dict[int, list[str]] = {}
    for item in catalog.ERROR_CODES:
        if item.code in wanted or item.status in statuses:
            by_status.setdefault(item.status, []).append(item.code)
    for status in sorted(by_status):
        responses[str(status)] = _error_response(status, by_status[status], replayable=post)
    return responses


def _post(
    summary: str,
    description: str,
    request: str,
    success: int,
    schema: str,
    *statuses: int,
    codes: tuple[str, ...] = (),
) -> dict[str, Any]:
    return {
        "summary": summary,
        "description": description,
        "parameters": [
            {"$ref": "#/components/parameters/IdempotencyKey"},
            {"$ref": "#/components/parameters/FlowlixSimulate"},
        ],
        "requestBody": {"required": True, "content": {JSON: {"schema": _ref(request)}}},
        "responses": _responses(success, schema, *statuses, post=True, codes=codes),
    }


def _get(
    summary: str,
    description: str,
    schema: str,
    parameters: list[dict[str, Any]],
    *,
    codes: tuple[str, ...] = (),
) -> dict[str, Any]:
    return {
        "summary": summary,
        "description": description,
        "parameters": parameters + [{"$ref": "#/components/parameters/FlowlixSimulate"}],
        "responses": _responses(200, schema, codes=codes),
    }


def _id_parameter(description: str) -> dict[str, Any]:
    return {
        "name": "id",
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9_]{1,100}$"},
    }


@cache
def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI document as a dictionary (built once)."""
    paths: dict[str, Any] = {
        "/payments": {
            "post": _post(
                "Create a payment",
                "Charges a card (Direct API). Declines are 402 `card_error` with `decline_code` "
                "and `payment_id`; the failed payment is stored.",
                "PaymentCreate",
                201,
                "Payment",
                402,
                codes=("amount_invalid_for_currency",),
            ),
            "get": _get(
                "List payments",
                "Newest first. Filter by `reference` to find the payment of an order.",
                "PaymentList",
                [
                    {"name": "reference", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["succeeded", "failed"]},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": LIMITS.list_limit_max,
                            "default": LIMITS.list_limit_default,
                        },
                    },
                    {"name": "starting_after", "in": "query", "schema": {"type": "string"}},
                ],
            ),
        },
        "/payments/{id}": {
            "get": _get(
                "Retrieve a payment",
                "One payment of this account.",
                "Payment",
                [_id_parameter("The payment id, `pay_...`.")],
            )
        },
        "/refunds": {
            "post": _post(
                "Create a refund",
                "Refunds a succeeded payment in full (no `amount`) or in part.",
                "RefundCreate",
                201,
                "Refund",
                codes=(
                    "amount_invalid_for_currency",
                    "payment_not_refundable",
                    "amount_too_large",
                    "payment_already_refunded",
                ),
            )
        },
        "/refunds/{id}": {
            "get": _get(
                "Retrieve a refund",
                "One refund of this account.",
                "Refund",
                [_id_parameter("The refund id, `re_...`.")],
            )
        },
        "/test_helpers/clock/advance": {
            "post": _post(
                "Advance the test clock",
                "Moves this account's clock forward: idempotency retention, checkout session "
                "expiry and `created` follow it.",
                "ClockAdvance",
                200,
                "TestClock",
            )
        },
    }
    from .webhooks import hosted_and_webhook_paths

    extra_paths, extra_schemas = hosted_and_webhook_paths()
    paths.update(extra_paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Flowlix API (mock)",
            "version": __version__,
            "description": "The Flowlix payments API as served by `flowlix-mock`. Every "
            "response carries `Flowlix-Request-Id`; errors follow one shape.",
        },
        "servers": [
            {"url": catalog.PRODUCTION_API_BASE, "description": "Production"},
            {"url": "https://127.0.0.1:12111/v1", "description": "flowlix-mock"},
        ],
        "security": [{"secretKey": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "secretKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A secret key, `fl_test_sk_...` (the mock takes any "
                    "well-formed test key; each key is its own account).",
                }
            },
            "parameters": {
                "IdempotencyKey": {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "1 to 255 printable ASCII characters, derived from your "
                    "order. Replays return the stored response for 24 hours.",
                    "schema": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": LIMITS.idempotency_key_max_length,
                        "pattern": "^[\\x20-\\x7e]+$",
                    },
                },
                "FlowlixSimulate": {
                    "name": "Flowlix-Simulate",
                    "in": "header",
                    "required": False,
                    "description": "Test mode only: simulate a failure. "
                    + " ".join(f"`{name}`: {effect}" for name, effect in catalog.SIMULATIONS)
                    + " Append `;count=N` to fail only the first N attempts with one "
                    "Idempotency-Key. `delay=MS` (at most 1000) holds the request.",
                    "schema": {
                        "type": "string",
                        "pattern": "^((rate_limit|server_error|unavailable|commit_then_error)"
                        "(;count=[1-9][0-9]{0,2})?|delay=([0-9]{1,3}|1000))$",
                    },
                },
            },
            "schemas": _schemas() | extra_schemas,
        },
    }
