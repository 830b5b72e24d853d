"""The OpenAPI 3.1 document of the API, built from the route table and the models.

`build_openapi(public_origin)` is a plain function: the mock serves it at `GET /v1/openapi.json`
with `servers` set to its own origin, the docs build renders its endpoint table from it (with
the production URL), and the tests fuzz and lint it. Every schema comes from a model in
`models.py`; every operation from a row of `routes.ROUTES`; every error code from the catalog.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import JsonSchemaMode

from . import __version__, catalog
from .models import ErrorResponse
from .plumbing import Route
from .routes import API_ROUTES

JSON = "application/json"
REF = "#/components/schemas/{model}"
TEST_ONLY = "x-flowlix-test-only"

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
    "capacity_reached",
)

TAGS = {
    "Payments": "Charge cards with the Direct API.",
    "Refunds": "Give money back on succeeded payments.",
    "Checkout sessions": "The Hosted Payment Page: Flowlix collects the card.",
    "Webhooks": "Endpoints that receive signed events, and the event log.",
    "Test helpers": "Test mode only: control the account's clock.",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def _schemas() -> dict[str, Any]:
    """Every type an operation uses, in JSON Schema (request bodies as validated, responses
    as serialized)."""
    types: list[tuple[Any, JsonSchemaMode]] = [(ErrorResponse, "serialization")]
    for route in API_ROUTES:
        if route.request is not None:
            types.append((route.request, "validation"))
        if route.query is not None:  # only for the named types its parameters refer to
            types.append((route.query, "validation"))
        if route.response is not None:
            types.append((route.response, "serialization"))
    unique = list(dict.fromkeys(types))
    _, top = TypeAdapter.json_schemas(
        [(kind, mode, TypeAdapter(kind)) for kind, mode in unique], ref_template=REF
    )
    schemas = top.get("$defs", {})
    for route in API_ROUTES:
        if route.query is not None:
            schemas.pop(route.query.__name__, None)
    for schema in schemas.values():
        _tidy(schema)
    return dict(sorted(schemas.items()))


def _tidy(node: Any) -> None:
    """Drop pydantic's generated `title`s of properties (generators name types from the
    component names instead) and the `default: null` of optional fields."""
    if isinstance(node, dict):
        for schema in node.get("properties", {}).values():
            if isinstance(schema, dict):
                schema.pop("title", None)
                if schema.get("default", 0) is None:
                    del schema["default"]
        for value in node.values():
            _tidy(value)
    elif isinstance(node, list):
        for value in node:
            _tidy(value)


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema without the `null` of an optional model field."""
    options = schema.get("anyOf")
    if options is not None:
        rest = [option for option in options if option.get("type") != "null"]
        if len(rest) == 1:
            extra = {k: v for k, v in schema.items() if k not in ("anyOf", "title", "default")}
            return rest[0] | extra
    return {k: v for k, v in schema.items() if k != "title"}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    parameters = []
    for name, prop in schema["properties"].items():
        prop = _not_null(prop)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": False}
        if "description" in prop:
            parameter["description"] = prop.pop("description")
        parameter["schema"] = prop
        parameters.append(parameter)
    return parameters


def _headers(*, rate_limited: bool = False, replayable: bool = False) -> dict[str, Any]:
    headers: dict[str, Any] = {
        "Flowlix-Request-Id": {
            "required": True,
            "description": "Log it with every response; quote it to support.",
            "schema": {"type": "string", "pattern": catalog.REQUEST_ID_PATTERN},
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
        "content": {JSON: {"schema": _ref("ErrorResponse")}},
    }


def error_codes(route: Route) -> dict[int, list[str]]:
    """Every error code the operation can answer with, by HTTP status."""
    post = route.method == "POST"
    wanted = set(COMMON_CODES) | set(POST_CODES if post else GET_CODES) | set(route.errors)
    by_status: dict[int, list[str]] = {}
    for item in catalog.ERROR_CODES:
        if item.code in wanted or item.status in route.error_statuses:
            by_status.setdefault(item.status, []).append(item.code)
    return dict(sorted(by_status.items()))


def _operation(route: Route) -> dict[str, Any]:
    post = route.method == "POST"
    assert route.response is not None, route
    parameters: list[dict[str, Any]] = []
    if "{id}" in route.path:
        parameters.append(
            {
                "name": "id",
                "in": "path",
                "required": True,
                "description": route.path_description,
                "schema": {"type": "string", "pattern": "^[A-Za-z0-9_]{1,100}$"},
            }
        )
    if route.query is not None:
        parameters += _query_parameters(route.query)
    if post:
        parameters.append({"$ref": "#/components/parameters/IdempotencyKey"})
    parameters.append({"$ref": "#/components/parameters/FlowlixSimulate"})
    responses: dict[str, Any] = {
        str(route.status): {
            "description": "Success.",
            "headers": _headers(replayable=post),
            "content": {JSON: {"schema": _ref(route.response.__name__)}},
        }
    }
    for status, codes in error_codes(route).items():
        responses[str(status)] = _error_response(status, codes, replayable=post)
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "description": route.description,
        "tags": [route.tag],
        "parameters": parameters,
    }
    if route.request is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": _ref(route.request.__name__)}},
        }
    operation["responses"] = responses
    if route.test_only:
        operation[TEST_ONLY] = True
    return operation


def _simulate_pattern() -> str:
    limits = catalog.LIMITS
    count_digits = len(str(limits.simulation_count_max))
    delay_digits = len(str(limits.simulation_delay_max_ms)) - 1
    # The patterns below state the limits exactly only for these shapes of number.
    assert limits.simulation_count_max == 10**count_digits - 1
    assert limits.simulation_delay_max_ms == 10**delay_digits
    names = "|".join(catalog.SIMULATION_NAMES)
    return (
        f"^(({names})(;count=[1-9][0-9]{{0,{count_digits - 1}}})?"
        f"|delay=([0-9]{{1,{delay_digits}}}|{limits.simulation_delay_max_ms}))$"
    )


def build_openapi(public_origin: str | None = None) -> dict[str, Any]:
    """The whole document. `servers` is `public_origin` + `/v1` (the mock serving it), or the
    production API when None (the published copy)."""
    paths: dict[str, Any] = {}
    for route in API_ROUTES:
        path = route.path.removeprefix("/v1")
        paths.setdefault(path, {})[route.method.lower()] = _operation(route)
    if public_origin is None:
        servers = [{"url": catalog.PRODUCTION_API_BASE, "description": "Production"}]
    else:
        servers = [{"url": f"{public_origin}/v1", "description": "This flowlix-mock"}]
    limits = catalog.LIMITS
    used_tags = dict.fromkeys(route.tag for route in API_ROUTES)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Flowlix API",
            "version": __version__,
            "description": "The Flowlix payments API, v1, as served by `flowlix-mock`. Every "
            "response carries `Flowlix-Request-Id`; errors follow one shape. Operations, "
            f"headers and parameters marked `{TEST_ONLY}: true` exist in test mode only.",
            "contact": {"name": "Flowlix developer docs", "url": catalog.DOCS_BASE_URL + "/"},
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": servers,
        "security": [{"secretKey": []}],
        "tags": [
            {"name": tag, "description": TAGS[tag]}
            | ({TEST_ONLY: True} if tag == "Test helpers" else {})
            for tag in used_tags
        ],
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
                    "description": f"1 to {limits.idempotency_key_max_length} printable ASCII "
                    "characters, derived from your order. Replays return the stored response "
                    f"for {limits.idempotency_retention_seconds // 3600} hours.",
                    "schema": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": limits.idempotency_key_max_length,
                        "pattern": "^[\\x20-\\x7e]+$",
                    },
                },
                "FlowlixSimulate": {
                    "name": "Flowlix-Simulate",
                    "in": "header",
                    "required": False,
                    "description": "Test mode only: simulate a failure. "
                    + " ".join(f"`{name}`: {effect}" for name, effect in catalog.SIMULATIONS)
                    + f" Append `;count=N` (N at most {limits.simulation_count_max}) to fail "
                    "only the first N attempts with one Idempotency-Key. `delay=MS` (at most "
                    f"{limits.simulation_delay_max_ms}) holds the request.",
                    "schema": {"type": "string", "pattern": _simulate_pattern()},
                    TEST_ONLY: True,
                },
            },
            "schemas": _schemas(),
        },
    }


@cache
def openapi_document() -> dict[str, Any]:
    """The published document (`servers`: the production API), built once."""
    return build_openapi(None)
