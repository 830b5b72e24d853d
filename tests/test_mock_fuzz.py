"""Hostile input against every operation of the mock, over real HTTPS (contract section 17).

Hypothesis generates bodies (valid requests with fields replaced, removed or added: strings
with lone surrogates, control characters and card-like digit runs, huge and deep values, wrong
types; sent as JSON, as JSON with raw surrogate bytes, as random bytes), header values and paths
and queries, for every operation in the mock's OpenAPI document. Every answer must be:

- no 5xx (no request here asks for one with Flowlix-Simulate);
- JSON in the contract's error shape when it is an error, with `Flowlix-Request-Id`;
- free of every card number sent, in any form (merchant-supplied free text that a created object
  stores and returns, such as `reference`, is the one thing echoed);
- nothing created by a failed request: after each test, every payment, event and webhook
  endpoint the account lists was announced by a successful answer (or a decline's
  `payment_id`), and every event is about such an object.

And the log, after the module, holds no card number in any form. The budget is bounded by
example counts (derandomized, so a run is repeatable); the totals print with `-s`, and
`FUZZ_SCALE=N` multiplies the budget (with fresh random examples) for a deeper run by hand.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowlix_mock import catalog
from flowlix_mock.openapi import openapi_document
from flowlix_mock.testing import MockServer, new_test_key, start_mock
from mock_helpers import ERROR_FIELDS, REQUEST_ID

# Card numbers the fuzzer hides in its inputs: test cards and a Luhn-valid number of no card.
CARDS = ("4111111111111111", "378282246310005", "4000040000010015", "6011000990139424")
# What a created object stores as the merchant sent it and returns: the one allowed echo.
ECHOED_FIELDS = {"reference", "description", "metadata", "url", "success_url", "cancel_url"}
SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


# `make test` runs the small budget; FUZZ_SCALE=20 (say) runs a deeper search by hand.
SCALE = max(1, int(os.environ.get("FUZZ_SCALE", "1")))


def budget(examples: int) -> settings:
    return settings(SETTINGS, max_examples=examples * SCALE, derandomize=SCALE == 1)


VALID = {
    "/payments": {
        "amount": 4999,
        "currency": "EUR",
        "reference": "order-1",
        "card": {"number": "4111111111111111", "exp_month": 12, "exp_year": 2039, "cvc": "123"},
    },
    "/refunds": {"payment": "PAYMENT_ID", "amount": 1},
    "/checkout/sessions": {
        "amount": 1000,
        "currency": "EUR",
        "success_url": "https://shop.example/ok",
        "cancel_url": "https://shop.example/cancel",
        "description": "Order 1",
    },
    "/webhook_endpoints": {"url": "http://127.0.0.1:9/hooks", "events": ["refund.succeeded"]},
    "/test_helpers/clock/advance": {"seconds": 1},
}


def card_pattern(number: str) -> re.Pattern[str]:
    return re.compile(r"[\W_]*".join(number))


CARD_PATTERNS = [card_pattern(number) for number in CARDS]


def leaked(text: str) -> bool:
    """Whether `text` holds a card number, read as a person would: separators, percent-escapes,
    other scripts' digits and fullwidth forms included."""
    forms = {text, unquote(text), unicodedata.normalize("NFKC", unquote(text))}
    return any(pattern.search(form) for pattern in CARD_PATTERNS for form in forms)


# --- strategies ---------------------------------------------------------------------------------

SEPARATORS = ("", " ", "-", ".", " - ", "\t", "/", "_", "\u00a0", "\n")


@st.composite
def card_like(draw) -> str:
    number = draw(st.sampled_from(CARDS))
    separator = draw(st.sampled_from(SEPARATORS))
    groups = [number[index : index + 4] for index in range(0, len(number), 4)]
    text = separator.join(groups)
    if draw(st.booleans()):
        text = text.translate({ord(d): chr(0xFF10 + int(d)) for d in "0123456789"})  # fullwidth
    return draw(st.sampled_from(("", "id ", "pay_"))) + text


evil_text = st.one_of(
    st.text(max_size=20),
    st.text(st.characters(categories=["Cs"]), min_size=1, max_size=2).map(lambda s: "x" + s),
    st.text(st.characters(codec="ascii", categories=["Cc"]), min_size=1, max_size=4),
    card_like(),
    st.sampled_from(["9" * 5000, "²", "١٢٣", "𝟙𝟚", "x" * 600, "", " ", "\u202e", "%0a", "\x00"]),
    st.from_regex(r"[0-9]{19,30}", fullmatch=True),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**18, max_value=10**40),
    st.floats(),
    evil_text,
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(evil_text, children, max_size=3),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    return found


@st.composite
def mutated(draw, template: dict) -> Any:
    """`template` with one to three fields replaced, removed or added, or something else."""
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return draw(json_values)  # not an object at all, or a random one
    body = json.loads(json.dumps(template))
    for _ in range(0 if choice == 1 else draw(st.integers(1, 3))):  # sometimes valid
        path = draw(st.sampled_from(_paths(body)))
        parent = body
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(("replace", "replace", "remove", "add")))
        if not path or not isinstance(parent, dict) or path[-1] not in parent:
            action = "add"
            target = parent if isinstance(parent, dict) else body
        if action == "replace":
            parent[path[-1]] = draw(json_values)
        elif action == "remove":
            del parent[path[-1]]
        elif isinstance(body, dict):
            target = parent if isinstance(parent, dict) else body
            target[draw(evil_text)] = draw(json_values)
    return body


@st.composite
def encoded(draw, body: Any) -> bytes:
    how = draw(st.sampled_from(("json", "json", "escaped", "bytes", "deep", "huge")))
    if how == "json":  # lone surrogates become raw bytes: not valid UTF-8
        return json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
    if how == "escaped":  # lone surrogates as \\ud800 escapes
        return json.dumps(body).encode()
    if how == "bytes":
        return draw(st.binary(max_size=64))
    if how == "deep":
        depth = draw(st.sampled_from((50, 5_000, 30_000)))
        return b"[" * depth + b"]" * depth
    return b'{"reference": "' + b"x" * (catalog.LIMITS.body_max_bytes) + b'"}'


CONTENT_TYPES = st.sampled_from(
    ["application/json"] * 5 + ["text/plain", "application/json; charset=latin-1"]
)
QUERY_NAMES = st.sampled_from(["limit", "starting_after", "status", "type", "reference"])
header_value = st.one_of(
    st.binary(max_size=30).map(  # what HTTP allows in a value: no CR, LF, NUL or edge spaces
        lambda raw: bytes(byte for byte in raw if byte == 9 or 32 <= byte != 127).strip(b" \t")
    ),
    card_like().map(lambda text: text.replace("\n", " ").encode("utf-8")),
    st.sampled_from(
        [
            b"delay=\xb2",
            b"server_error;count=\xb9",
            b"rate_limit;count=" + b"9" * 40,
            b"delay=" + b"9" * 5000,
            b"unavailable;count=0",
            b"server_error;count=4111111111111111\xb9",
            b"explode",
        ]
    ),
)


# --- the mock, the accounts, the checks ----------------------------------------------------------


@dataclass
class Account:
    client: httpx.Client
    payment_id: str
    announced: set[str] = field(default_factory=set)

    def audit(self) -> None:
        """Every object the account lists was announced by a successful answer."""
        for path in ("/payments", "/events", "/webhook_endpoints"):
            for item in _all(self.client, path):
                subject = item["data"]["object"]["id"] if path == "/events" else item["id"]
                assert subject in self.announced, (path, item)


@dataclass
class Tally:
    requests: int = 0
    by_status: dict[int, int] = field(default_factory=dict)


TALLY = Tally()


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with start_mock(rate_limit=1_000_000, extra_args=("--webhook-retry-schedule", "0")) as server:
        yield server
        log = server.log_text()
        assert log, "the mock logged nothing"
        problems = [line for line in log.splitlines() if leaked(line)]
        assert not problems, problems[:5]
        print(f"\nfuzz: {TALLY.requests} requests, statuses {sorted(TALLY.by_status.items())}")


def _all(client: httpx.Client, path: str) -> list[dict]:
    items: list[dict] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = client.get(path, params=params).json()
        items += page["data"]
        if not page["has_more"]:
            return items
        params["starting_after"] = page["data"][-1]["id"]


@pytest.fixture(scope="module")
def account(mock: MockServer) -> Iterator[Account]:
    with mock.client(new_test_key(), timeout=30) as client:
        payment = client.post("/payments", json=VALID["/payments"] | {"amount": 99_999_999})
        assert payment.status_code == 201
        state = Account(client, payment.json()["id"], {payment.json()["id"]})
        yield state


def _scrub(value: Any) -> Any:
    """A success body without the fields that store merchant text as sent."""
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items() if key not in ECHOED_FIELDS}
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    return value


def check(response: httpx.Response, account: Account | None = None) -> None:
    TALLY.requests += 1
    TALLY.by_status[response.status_code] = TALLY.by_status.get(response.status_code, 0) + 1
    assert response.status_code < 500, response.text[:500]
    assert REQUEST_ID.match(response.headers.get("flowlix-request-id", "")), response.headers
    body = response.json()
    if response.status_code >= 400:
        assert set(body) == {"error"}, body
        assert set(body["error"]) == ERROR_FIELDS, body
        assert body["error"]["request_id"] == response.headers["flowlix-request-id"]
        assert body["error"]["code"] in catalog.ERROR_CODES_BY_CODE
        assert not leaked(response.text), response.text
        if account is not None and response.status_code == 402:
            account.announced.add(body["error"]["payment_id"])
    else:
        assert not leaked(json.dumps(_scrub(body), ensure_ascii=False)), body
        if account is not None and isinstance(body.get("id"), str):
            account.announced.add(body["id"])


OPERATIONS = [
    (method.upper(), path)
    for path, item in openapi_document()["paths"].items()
    for method in item
    if method in ("get", "post", "delete")
]
POSTS = [path for method, path in OPERATIONS if method == "POST"]


@pytest.mark.parametrize("path", POSTS)
def test_hostile_bodies(account: Account, path: str):
    template = json.loads(json.dumps(VALID.get(path, {})).replace("PAYMENT_ID", account.payment_id))

    @budget(24)
    @given(data=st.data())
    def run(data) -> None:
        body = data.draw(mutated(template))
        content = data.draw(encoded(body))
        headers = {
            "Content-Type": data.draw(
                st.sampled_from(
                    ["application/json"] * 5 + ["text/plain", "application/json; charset=latin-1"]
                )
            )
        }
        if data.draw(st.booleans()):
            headers["Idempotency-Key"] = data.draw(st.sampled_from(["k1", "k2", "k3"]))
        response = account.client.post(path, content=content, headers=headers)
        check(response, account)

    run()
    account.audit()


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_hostile_headers(account: Account, method: str, path: str):
    path = path.replace("{id}", account.payment_id)
    template = json.loads(json.dumps(VALID.get(path, {})).replace("PAYMENT_ID", account.payment_id))

    @budget(6)
    @given(
        simulate=st.one_of(st.none(), header_value),
        key=header_value,
        authorization=st.one_of(
            st.just(None), header_value.map(lambda value: (b"Bearer " + value).strip())
        ),
    )
    def run(simulate: bytes | None, key: bytes, authorization: bytes | None) -> None:
        headers = {"Idempotency-Key": key}
        if simulate is not None:
            headers["Flowlix-Simulate"] = simulate
        if authorization is not None:
            headers["Authorization"] = authorization
        kwargs: dict[str, Any] = {"headers": headers}
        if method == "POST":
            kwargs["json"] = template
        response = account.client.request(method, path, **kwargs)
        check(response, account)

    run()
    account.audit()


@budget(40)
@given(
    operation=st.sampled_from(OPERATIONS),
    segment=evil_text,
    query=st.lists(
        st.tuples(
            st.sampled_from(["limit", "starting_after", "status", "type", "reference"]) | evil_text,
            evil_text,
        ),
        max_size=3,
    ),
)
def test_hostile_paths_and_queries(account: Account, operation, segment: str, query) -> None:
    method, template = operation
    encoded_segment = quote(segment.encode("utf-8", "surrogatepass"), safe="")
    path = template.replace("{id}", encoded_segment) if "{id}" in template else template
    if "{id}" not in template and segment and len(segment) < 100:
        path = f"{template}/{encoded_segment}"  # an unknown URL below a real one
    url = f"{path}?" + "&".join(
        f"{quote(name.encode('utf-8', 'surrogatepass'), safe='')}="
        f"{quote(value.encode('utf-8', 'surrogatepass'), safe='')}"
        for name, value in query
    )
    response = account.client.request(method, url, **({"json": {}} if method == "POST" else {}))
    check(response, account)


def test_nothing_unannounced_after_the_hostile_paths(account: Account) -> None:
    account.audit()


@budget(10)
@given(segment=evil_text)
def test_hostile_hosted_page_paths(mock: MockServer, account: Account, segment: str) -> None:
    encoded_segment = quote(segment.encode("utf-8", "surrogatepass"), safe="")
    with httpx.Client(verify=mock.ssl_context()) as browser:
        for suffix in ("", "/cancel"):
            response = browser.get(f"{mock.origin}/pay/{encoded_segment}{suffix}")
            assert response.status_code < 500
            assert not leaked(response.text)
            TALLY.requests += 1
