"""The Postman collection (v2.1) generated from the OpenAPI document, for the site.

One request per operation, in one folder per tag; `{{baseUrl}}` and `{{apiKey}}` are collection
variables (bearer auth on the collection), and every POST sends `Idempotency-Key: {{$guid}}`,
Postman's dynamic variable that is a fresh UUID each time the request is sent. Request bodies
are examples built from the operation's schema: a schema's own `example`/`examples`/`default`
when it has one, a working value for the fields every payment needs (from the catalog: a
succeeding test card), the first enum value, or a placeholder of the right type.

Written here rather than with openapi-to-postman (a Node.js converter): a few dozen lines of
Python against our own document give exactly the variables and headers section 18 asks for.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import date
from typing import Any

from flowlix_mock import catalog

SCHEMA_URL = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
METHODS = ("get", "post", "put", "patch", "delete")
TEST_ONLY = "x-flowlix-test-only"  # contract section 18: operations that only test mode has

_SUCCESS_CARD = next(card for card in catalog.TEST_CARDS if card.outcome == "success")
# Working values for the fields whose placeholders would be refused (a card number must be a
# test card, a URL must be absolute https): the request runs as it is against the mock.
EXAMPLE_VALUES: dict[str, Any] = {
    "amount": 4999,
    "currency": "EUR",
    "number": _SUCCESS_CARD.number,
    "exp_month": 12,
    "exp_year": date.today().year + 3,
    "cvc": "1234"[: _SUCCESS_CARD.cvc_length],
    "reference": "order-1234",
    "payment": "pay_...",
    "success_url": "https://shop.example/checkout/success",
    "cancel_url": "https://shop.example/checkout/cancel",
    "url": "https://shop.example/webhooks/flowlix",
    "seconds": 3600,
}


def _resolve(document: dict, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def example(document: dict, schema: Any, name: str = "", depth: int = 0) -> Any:
    """An example value for a JSON schema: its own example, a known one, or a placeholder."""
    schema = _resolve(document, schema) or {}
    if "example" in schema:
        return schema["example"]
    if schema.get("examples"):
        return schema["examples"][0]
    if name in EXAMPLE_VALUES:
        return EXAMPLE_VALUES[name]
    if "default" in schema:
        return schema["default"]
    for combinator in ("anyOf", "oneOf"):
        options = [
            o for o in schema.get(combinator, []) if _resolve(document, o) != {"type": "null"}
        ]
        if options:
            return example(document, options[0], name, depth)
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 4:
            return {}
        required = schema.get("required", [])
        return {
            key: example(document, value, key, depth + 1)
            for key, value in schema.get("properties", {}).items()
            if key in required
        }
    if kind == "array":
        return [example(document, schema.get("items", {}), name, depth + 1)]
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "number":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    return name or "string"


def _request(document: dict, path: str, method: str, operation: dict, path_item: dict) -> dict:
    parameters = [
        _resolve(document, raw)
        for raw in path_item.get("parameters", []) + operation.get("parameters", [])
    ]
    headers: list[dict[str, Any]] = []
    query: list[dict[str, Any]] = []
    path_variables: list[dict[str, Any]] = []
    for parameter in parameters:
        name, where = parameter["name"], parameter.get("in")
        description = parameter.get("description", "")
        if where == "header" and name.lower() == "idempotency-key":
            continue  # added below for every POST
        if where == "header" and name.lower() == "authorization":
            continue  # the collection's bearer auth
        if where == "header":
            headers.append(
                {
                    "key": name,
                    "value": str(parameter.get("example", "")),
                    "description": description,
                    "disabled": not parameter.get("required", False),
                }
            )
        elif where == "query":
            query.append(
                {
                    "key": name,
                    "value": str(example(document, parameter.get("schema", {}), name)),
                    "description": description,
                    "disabled": not parameter.get("required", False),
                }
            )
        elif where == "path":
            path_variables.append({"key": name, "value": f"<{name}>", "description": description})
    if method == "post":
        headers.insert(
            0,
            {
                "key": "Idempotency-Key",
                "value": "{{$guid}}",
                "description": "A fresh UUID each time the request is sent. In your integration, "
                "derive the key from your order (payment-order-1234) and reuse it on retries.",
            },
        )
    body = None
    content = _resolve(document, operation.get("requestBody", {})).get("content", {})
    if "application/json" in content:
        headers.append({"key": "Content-Type", "value": "application/json"})
        payload = example(document, content["application/json"].get("schema", {}))
        body = {
            "mode": "raw",
            "raw": json.dumps(payload, indent=2),
            "options": {"raw": {"language": "json"}},
        }
    segments = [re.sub(r"^\{(.+)\}$", r":\1", segment) for segment in path.strip("/").split("/")]
    url: dict[str, Any] = {
        "raw": "{{baseUrl}}/" + "/".join(segments),
        "host": ["{{baseUrl}}"],
        "path": segments,
    }
    if query:
        url["query"] = query
    if path_variables:
        url["variable"] = path_variables
    description = (operation.get("description") or "").strip()
    if operation.get(TEST_ONLY):
        description = f"Test mode only (the mock, `fl_test_sk_` keys). {description}".strip()
    request: dict[str, Any] = {
        "method": method.upper(),
        "header": headers,
        "url": url,
        "description": description,
    }
    if body is not None:
        request["body"] = body
    return {
        "name": operation.get("summary") or f"{method.upper()} {path}",
        "request": request,
    }


def collection(document: dict, base_url: str) -> dict:
    """A Postman v2.1 collection with one request per operation of the OpenAPI document."""
    folders: dict[str, list[dict]] = {}
    for path, path_item in document.get("paths", {}).items():
        for method in METHODS:
            operation = path_item.get(method)
            if not operation:
                continue
            tag = (operation.get("tags") or [path.strip("/").split("/")[0].replace("_", " ")])[0]
            folders.setdefault(tag, []).append(
                _request(document, path, method, operation, path_item)
            )
    tag_descriptions = {tag["name"]: tag.get("description", "") for tag in document.get("tags", [])}
    info = document.get("info", {})
    return {
        "info": {
            # Stable across builds, so a re-import updates the collection instead of adding one.
            "_postman_id": str(uuid.uuid5(uuid.NAMESPACE_URL, catalog.DOCS_BASE_URL + "postman")),
            "name": "Flowlix API",
            "description": (
                f"{info.get('description', '').strip()}\n\nGenerated from the OpenAPI document "
                f"{info.get('title', '')} {info.get('version', '')}. Set the collection variable "
                "apiKey to a secret key (fl_test_sk_... in test mode); baseUrl is the production "
                "API, or the mock's https://127.0.0.1:12111/v1."
            ).strip(),
            "schema": SCHEMA_URL,
        },
        "auth": {
            "type": "bearer",
            "bearer": [{"key": "token", "value": "{{apiKey}}", "type": "string"}],
        },
        "variable": [
            {"key": "baseUrl", "value": base_url, "type": "string"},
            {"key": "apiKey", "value": "", "type": "string"},
        ],
        "item": [
            {"name": tag, "description": tag_descriptions.get(tag, ""), "item": requests}
            for tag, requests in folders.items()
        ],
    }
