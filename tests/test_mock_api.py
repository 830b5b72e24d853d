"""The mock API over real HTTPS, started as a merchant starts it, contract section by section."""

from __future__ import annotations

import json
import re
import threading
import time

import httpx
import pytest

from flowlix_mock import catalog
from flowlix_mock.testing import MockServer, new_test_key, start_mock
from mock_helpers import ERROR_FIELDS, REQUEST_ID

VISA = "4111111111111111"


def card(number: str = VISA, cvc: str | None = None, **overrides) -> dict:
    cvc = cvc or ("1234" if catalog.card_brand(number) == "amex" else "123")
    return {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": cvc} | overrides


def payment_body(**overrides) -> dict:
    return {"amount": 4999, "currency": "EUR", "card": card(), "reference": "order-1"} | overrides


def assert_error(response: httpx.Response, status: int, code: str, param: str | None = None):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == ERROR_FIELDS
    assert error["code"] == code
    info = catalog.ERROR_CODES_BY_CODE[code]
    assert error["type"] == info.type
    assert error["param"] == param
    assert error["request_id"] == response.headers["flowlix-request-id"]
    assert REQUEST_ID.match(error["request_id"])
    assert error["doc_url"] == catalog.doc_url(code, error["decline_code"])
    return error


@pytest.fixture
def client(flowlix_mock: MockServer):
    with flowlix_mock.client(new_test_key()) as client:
        yield client


def payment_count(client: httpx.Client) -> int:
    return len(client.get("/payments", params={"limit": 100}).json()["data"])


# --- 1. keys and accounts ----------------------------------------------------------------------


def test_missing_key_is_401_api_key_missing(flowlix_mock: MockServer):
    with httpx.Client(verify=flowlix_mock.ssl_context(), timeout=10) as anonymous:
        response = anonymous.get(f"{flowlix_mock.base_url}/payments")
    assert_error(response, 401, "api_key_missing")


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer fl_test_sk_short",
        "Bearer sk_test_abcdefghijklmnopqrstuvwxyz",
        "Bearer fl_test_pk_abcdefghijklmnopqrstuvwxyz",
        "Basic fl_test_sk_abcdefghijklmnopqrstuvwxyz",
        "Bearer fl_test_sk_abcdefghijklmnopqrstuvwx!z",
    ],
)
def test_malformed_key_is_401_api_key_invalid(flowlix_mock: MockServer, authorization: str):
    with httpx.Client(verify=flowlix_mock.ssl_context(), timeout=10) as anonymous:
        response = anonymous.get(
            f"{flowlix_mock.base_url}/payments", headers={"Authorization": authorization}
        )
    error = assert_error(response, 401, "api_key_invalid")
    assert authorization.split()[-1] not in error["message"]


def test_live_key_is_refused_and_never_echoed_or_logged(flowlix_mock: MockServer):
    live_key = "fl_live_sk_" + "Zq8" * 10
    with flowlix_mock.client(live_key) as live:
        response = live.post("/payments", json=payment_body())
    assert_error(response, 401, "api_key_live_mode")
    assert live_key not in response.text
    assert live_key not in flowlix_mock.log_text()


def test_each_key_is_its_own_account(flowlix_mock: MockServer):
    with flowlix_mock.client(new_test_key()) as alice, flowlix_mock.client(new_test_key()) as bob:
        payment = alice.post("/payments", json=payment_body()).json()
        assert alice.get(f"/payments/{payment['id']}").status_code == 200
        assert_error(bob.get(f"/payments/{payment['id']}"), 404, "resource_missing")
        assert bob.get("/payments").json()["data"] == []
        refund = bob.post("/refunds", json={"payment": payment["id"]})
        assert_error(refund, 404, "resource_missing", "payment")
        assert alice.get(f"/payments/{payment['id']}").json()["amount_refunded"] == 0


# --- 2. transport and request format -----------------------------------------------------------


def test_plain_http_gets_403_https_required():
    with start_mock(http=True) as mock, httpx.Client(timeout=10) as plain:
        response = plain.post(
            f"{mock.http_url}/v1/payments",
            json=payment_body(),
            headers={"Authorization": f"Bearer {new_test_key()}"},
        )
        assert_error(response, 403, "https_required")
        # a proxy header cannot make a plain request pass as HTTPS
        spoofed = plain.get(
            f"{mock.http_url}/v1/payments",
            headers={
                "Authorization": f"Bearer {new_test_key()}",
                "X-Forwarded-Proto": "https",
                "X-Forwarded-For": "127.0.0.1",
            },
        )
        assert_error(spoofed, 403, "https_required")
        # nothing ran: the key's account has no payment over HTTPS either
        with mock.client(new_test_key()) as secure:
            assert secure.get("/payments").json()["data"] == []


def test_every_response_has_a_request_id(client: httpx.Client):
    responses = [
        client.get("/payments"),
        client.get("/nowhere"),
        client.delete("/payments"),
        client.post("/payments", json={}),
        client.get("/openapi.json"),
    ]
    ids = [response.headers["flowlix-request-id"] for response in responses]
    assert all(REQUEST_ID.match(request_id) for request_id in ids)
    assert len(set(ids)) == len(ids)


def test_unknown_url_is_404_and_wrong_method_is_405_with_allow(client: httpx.Client):
    assert_error(client.get("/charges"), 404, "resource_missing")
    response = client.delete("/payments")
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET, POST"


def test_other_media_type_is_415(client: httpx.Client):
    response = client.post(
        "/payments", content="amount=4999", headers={"Content-Type": "text/plain"}
    )
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("raw", [b'{"amount": 4999,', b"[1, 2]", b'{"amount": NaN}', b"\xff\xfe"])
def test_malformed_json_is_400_invalid_json(client: httpx.Client, raw: bytes):
    response = client.post("/payments", content=raw, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "invalid_json")


def test_body_over_64_kib_is_413(client: httpx.Client):
    body = payment_body(description="x" * (64 * 1024))
    assert_error(client.post("/payments", json=body), 413, "request_too_large")
    assert payment_count(client) == 0


# --- 3/4. errors and parameters -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ({"currency": "EUR", "card": card()}, "parameter_missing", "amount"),
        ({"amount": 4999, "card": card()}, "parameter_missing", "currency"),
        ({"amount": 4999, "currency": "EUR"}, "parameter_missing", "card"),
        (
            payment_body(card={"exp_month": 12, "exp_year": 2030, "cvc": "123"}),
            "parameter_missing",
            "card.number",
        ),
        (payment_body(card=card(cvc=None) | {"cvc": None}), "parameter_missing", "card.cvc"),
        (payment_body(tip=100), "parameter_unknown", "tip"),
        (payment_body(card=card(pin="1234")), "parameter_unknown", "card.pin"),
        (payment_body(amount=49.99), "parameter_invalid", "amount"),
        (payment_body(amount="4999"), "parameter_invalid", "amount"),
        (payment_body(amount=True), "parameter_invalid", "amount"),
        (payment_body(amount=0), "parameter_invalid", "amount"),
        (payment_body(amount=100_000_000), "parameter_invalid", "amount"),
        (payment_body(currency="XYZ"), "parameter_invalid", "currency"),
        (payment_body(currency=978), "parameter_invalid", "currency"),
        (payment_body(card=card(number="4111 1111 1111 1111")), "parameter_invalid", "card.number"),
        (payment_body(card=card(number="41111111111")), "parameter_invalid", "card.number"),
        (payment_body(card=card(exp_month=13)), "parameter_invalid", "card.exp_month"),
        (payment_body(card=card(exp_year=30)), "parameter_invalid", "card.exp_year"),
        (payment_body(card=card(cvc="12")), "parameter_invalid", "card.cvc"),
        (payment_body(card=card("378282246310005", cvc="123")), "parameter_invalid", "card.cvc"),
        (payment_body(card="4111111111111111"), "parameter_invalid", "card"),
        (payment_body(reference="r" * 101), "parameter_invalid", "reference"),
        (payment_body(description="d" * 501), "parameter_invalid", "description"),
        (payment_body(metadata={f"k{i}": "v" for i in range(21)}), "parameter_invalid", "metadata"),
        (payment_body(metadata={"order": 1234}), "parameter_invalid", "metadata.order"),
        (payment_body(currency="KWD", amount=1234), "amount_invalid_for_currency", "amount"),
    ],
)
def test_bad_parameters_get_400_with_param_and_store_nothing(
    client: httpx.Client, body: dict, code: str, param: str
):
    response = client.post("/payments", json=body)
    error = assert_error(response, 400, code, param)
    assert "4111111111111111" not in response.text
    assert error["payment_id"] is None
    assert payment_count(client) == 0


# --- 4/5. payments and test cards ---------------------------------------------------------------


@pytest.mark.parametrize("test_card", catalog.TEST_CARDS, ids=lambda c: c.number)
def test_each_test_card(client: httpx.Client, test_card: catalog.TestCard):
    response = client.post("/payments", json=payment_body(card=card(test_card.number)))
    assert test_card.number not in response.text
    if test_card.outcome == "success":
        assert response.status_code == 201
        payment = response.json()
        assert payment["status"] == "succeeded"
        assert payment["card"] == {
            "brand": test_card.brand,
            "last4": test_card.last4,
            "exp_month": 12,
            "exp_year": 2030,
        }
        return
    error = assert_error(response, 402, test_card.code)
    assert error["decline_code"] == test_card.decline_code
    assert error["doc_url"].endswith(f"/decline-codes/#{test_card.decline_code}")
    stored = client.get(f"/payments/{error['payment_id']}").json()
    assert stored["status"] == "failed"
    assert (stored["failure_code"], stored["decline_code"]) == (
        test_card.code,
        test_card.decline_code,
    )


def test_created_payment_has_the_contract_shape(client: httpx.Client):
    response = client.post(
        "/payments",
        json=payment_body(currency="eur", description="Two mugs", metadata={"order": "1234"}),
    )
    assert response.status_code == 201
    payment = response.json()
    assert re.match(r"^pay_[A-Za-z0-9]+$", payment["id"])
    assert payment | {"id": None, "created": None} == {
        "id": None,
        "object": "payment",
        "amount": 4999,
        "currency": "EUR",
        "status": "succeeded",
        "amount_refunded": 0,
        "refunded": False,
        "card": {"brand": "visa", "last4": "1111", "exp_month": 12, "exp_year": 2030},
        "reference": "order-1",
        "description": "Two mugs",
        "metadata": {"order": "1234"},
        "failure_code": None,
        "decline_code": None,
        "three_d_secure": None,  # revision 2: null for a card without 3-D Secure
        "next_action": None,
        "created": None,
        "livemode": False,
    }
    assert client.get(f"/payments/{payment['id']}").json() == payment


def test_luhn_failure_is_invalid_number_and_creates_nothing(client: httpx.Client):
    response = client.post("/payments", json=payment_body(card=card("4111111111111112")))
    error = assert_error(response, 402, "invalid_number", "card.number")
    assert error["payment_id"] is None and error["decline_code"] is None
    assert payment_count(client) == 0


def test_other_real_card_in_test_mode_is_declined(client: httpx.Client):
    response = client.post("/payments", json=payment_body(card=card("4242424242424242")))
    error = assert_error(response, 402, "card_declined")
    assert error["decline_code"] == "test_mode_live_card"


def test_card_expired_by_date_is_expired_card(client: httpx.Client):
    response = client.post("/payments", json=payment_body(card=card(exp_year=2020)))
    assert_error(response, 402, "expired_card", "card.exp_year")


@pytest.mark.parametrize(
    ("currency", "amount"),
    [(c.code, 1230 if c.exponent == 3 else 500) for c in catalog.CURRENCIES],
)
def test_every_supported_currency(client: httpx.Client, currency: str, amount: int):
    response = client.post("/payments", json=payment_body(currency=currency.lower(), amount=amount))
    assert response.status_code == 201, response.text
    assert response.json()["currency"] == currency


def test_list_payments_paginates_newest_first_and_filters(client: httpx.Client):
    created = []
    for number in range(5):
        response = client.post("/payments", json=payment_body(reference=f"order-{number}"))
        created.append(response.json()["id"])
    client.post("/payments", json=payment_body(card=card("4000040000010015"), reference="order-9"))

    first = client.get("/payments", params={"limit": 2, "status": "succeeded"}).json()
    assert first["object"] == "list" and first["has_more"] is True
    assert [p["id"] for p in first["data"]] == created[::-1][:2]
    rest = client.get(
        "/payments", params={"limit": 10, "status": "succeeded", "starting_after": created[3]}
    ).json()
    assert [p["id"] for p in rest["data"]] == created[::-1][2:]
    assert rest["has_more"] is False

    by_reference = client.get("/payments", params={"reference": "order-3"}).json()["data"]
    assert [p["id"] for p in by_reference] == [created[3]]
    failed = client.get("/payments", params={"status": "failed"}).json()["data"]
    assert [p["reference"] for p in failed] == ["order-9"]
    assert len(client.get("/payments").json()["data"]) == 6


@pytest.mark.parametrize(
    ("params", "code", "param"),
    [
        ({"limit": 0}, "parameter_invalid", "limit"),
        ({"limit": 101}, "parameter_invalid", "limit"),
        ({"limit": "ten"}, "parameter_invalid", "limit"),
        ({"status": "pending"}, "parameter_invalid", "status"),
        ({"customer": "c1"}, "parameter_unknown", "customer"),
    ],
)
def test_list_rejects_bad_query(client: httpx.Client, params: dict, code: str, param: str):
    assert_error(client.get("/payments", params=params), 400, code, param)


def test_list_with_unknown_starting_after_is_404(client: httpx.Client):
    response = client.get("/payments", params={"starting_after": "pay_nothing"})
    assert_error(response, 404, "resource_missing", "starting_after")


# --- 7. refunds ---------------------------------------------------------------------------------


def test_partial_then_full_refund(client: httpx.Client):
    payment = client.post("/payments", json=payment_body()).json()
    partial = client.post(
        "/refunds",
        json={"payment": payment["id"], "amount": 1000, "reason": "requested_by_customer"},
    )
    assert partial.status_code == 201
    refund = partial.json()
    assert refund | {"id": None, "created": None} == {
        "id": None,
        "object": "refund",
        "payment": payment["id"],
        "amount": 1000,
        "currency": "EUR",
        "status": "succeeded",
        "reason": "requested_by_customer",
        "created": None,
    }
    assert client.get(f"/refunds/{refund['id']}").json() == refund
    after = client.get(f"/payments/{payment['id']}").json()
    assert (after["amount_refunded"], after["refunded"]) == (1000, False)

    too_much = client.post("/refunds", json={"payment": payment["id"], "amount": 4000})
    assert_error(too_much, 400, "amount_too_large", "amount")
    rest = client.post("/refunds", json={"payment": payment["id"]}).json()
    assert rest["amount"] == 3999
    after = client.get(f"/payments/{payment['id']}").json()
    assert (after["amount_refunded"], after["refunded"]) == (4999, True)
    again = client.post("/refunds", json={"payment": payment["id"]})
    assert_error(again, 400, "payment_already_refunded", "payment")


def test_refund_errors(client: httpx.Client):
    assert_error(
        client.post("/refunds", json={"payment": "pay_unknown"}), 404, "resource_missing", "payment"
    )
    declined = client.post("/payments", json=payment_body(card=card("4000040000010031")))
    failed_id = declined.json()["error"]["payment_id"]
    assert_error(
        client.post("/refunds", json={"payment": failed_id}),
        400,
        "payment_not_refundable",
        "payment",
    )
    assert_error(client.post("/refunds", json={}), 400, "parameter_missing", "payment")
    payment = client.post("/payments", json=payment_body()).json()
    assert_error(
        client.post("/refunds", json={"payment": payment["id"], "reason": "changed_mind"}),
        400,
        "parameter_invalid",
        "reason",
    )
    assert_error(client.get("/refunds/re_unknown"), 404, "resource_missing")


# --- 10. idempotency ----------------------------------------------------------------------------


def test_replay_returns_the_same_response_and_creates_nothing(client: httpx.Client):
    headers = {"Idempotency-Key": "payment-order-1"}
    first = client.post("/payments", json=payment_body(), headers=headers)
    second = client.post("/payments", json=payment_body(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert payment_count(client) == 1


def test_declines_are_stored_and_replayed(client: httpx.Client):
    body = payment_body(card=card("4000040000010015"))
    headers = {"Idempotency-Key": "payment-order-2"}
    first = client.post("/payments", json=body, headers=headers)
    second = client.post("/payments", json=body, headers=headers)
    assert first.status_code == second.status_code == 402
    assert second.json() == first.json()
    assert payment_count(client) == 1


def test_same_key_different_request_is_422(client: httpx.Client):
    headers = {"Idempotency-Key": "payment-order-3"}
    client.post("/payments", json=payment_body(), headers=headers)
    assert_error(
        client.post("/payments", json=payment_body(amount=5000), headers=headers),
        422,
        "idempotency_key_reused",
    )
    assert_error(
        client.post("/refunds", json={"payment": "pay_x"}, headers=headers),
        422,
        "idempotency_key_reused",
    )
    assert payment_count(client) == 1


def test_rejected_requests_are_not_stored(client: httpx.Client):
    headers = {"Idempotency-Key": "payment-order-4"}
    bad = client.post("/payments", json=payment_body(amount="49.99"), headers=headers)
    assert bad.status_code == 400
    fixed = client.post("/payments", json=payment_body(), headers=headers)
    assert fixed.status_code == 201
    assert "idempotent-replayed" not in fixed.headers


@pytest.fixture(scope="module")
def unlimited_mock():
    """A mock whose rate limit never interferes with a test that polls quickly."""
    with start_mock(rate_limit=100_000) as mock:
        yield mock


def test_same_key_while_first_is_running_is_409(unlimited_mock: MockServer):
    key = new_test_key()
    body = payment_body()
    results: dict[str, httpx.Response] = {}

    connected = threading.Event()

    def slow() -> None:  # holds the key for a second
        with unlimited_mock.client(key) as slow_client:
            slow_client.get("/payments")  # the TLS connection is up before the timed part
            connected.set()
            results["slow"] = slow_client.post(
                "/payments",
                json=body,
                headers={"Idempotency-Key": "payment-order-5", "Flowlix-Simulate": "delay=1000"},
            )

    thread = threading.Thread(target=slow)
    thread.start()
    connected.wait(10)
    time.sleep(0.3)  # the slow request is now holding the key
    with unlimited_mock.client(key) as client:
        second = client.post("/payments", json=body, headers={"Idempotency-Key": "payment-order-5"})
        thread.join()
        assert_error(second, 409, "idempotency_key_in_use")
        assert results["slow"].status_code == 201
        third = client.post("/payments", json=body, headers={"Idempotency-Key": "payment-order-5"})
        assert third.headers["idempotent-replayed"] == "true"
        assert payment_count(client) == 1


def test_twenty_concurrent_identical_requests_create_one_payment(flowlix_mock: MockServer):
    import asyncio

    key = new_test_key()

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            base_url=flowlix_mock.base_url,
            verify=flowlix_mock.ssl_context(),
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "payment-order-6"},
            timeout=10,
            limits=httpx.Limits(max_connections=20),
        ) as client:
            return await asyncio.gather(
                *(client.post("/payments", json=payment_body()) for _ in range(20))
            )

    responses = asyncio.run(burst())
    assert {response.status_code for response in responses} <= {201, 409}
    ids = {response.json()["id"] for response in responses if response.status_code == 201}
    assert len(ids) == 1
    with flowlix_mock.client(key) as client:
        assert payment_count(client) == 1


def test_keys_expire_after_24_hours_of_the_mock_clock(client: httpx.Client):
    headers = {"Idempotency-Key": "payment-order-7"}
    first = client.post("/payments", json=payment_body(), headers=headers).json()
    almost = catalog.LIMITS.idempotency_retention_seconds - 1
    client.post("/test_helpers/clock/advance", json={"seconds": almost})
    replay = client.post("/payments", json=payment_body(), headers=headers)
    assert replay.json()["id"] == first["id"]
    client.post("/test_helpers/clock/advance", json={"seconds": 1})
    fresh = client.post("/payments", json=payment_body(), headers=headers)
    assert fresh.status_code == 201 and "idempotent-replayed" not in fresh.headers
    assert fresh.json()["id"] != first["id"]
    assert fresh.json()["created"] == first["created"] + almost + 1


def test_invalid_idempotency_key_is_400(client: httpx.Client):
    response = client.post("/payments", json=payment_body(), headers={"Idempotency-Key": "k" * 256})
    assert_error(response, 400, "idempotency_key_invalid", "Idempotency-Key")
    assert payment_count(client) == 0


# --- 12. simulating failures --------------------------------------------------------------------


def test_commit_then_error_is_recovered_by_the_same_key(client: httpx.Client):
    headers = {"Idempotency-Key": "payment-order-8", "Flowlix-Simulate": "commit_then_error"}
    lost = client.post("/payments", json=payment_body(), headers=headers)
    assert_error(lost, 500, "internal_error")
    assert payment_count(client) == 1  # it ran
    retry = client.post("/payments", json=payment_body(), headers=headers)
    assert retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true"
    assert payment_count(client) == 1


def test_server_error_with_count_fails_only_the_first_attempts(client: httpx.Client):
    headers = {"Idempotency-Key": "payment-order-9", "Flowlix-Simulate": "server_error;count=2"}
    statuses = [
        client.post("/payments", json=payment_body(), headers=headers).status_code for _ in range(3)
    ]
    assert statuses == [500, 500, 201]
    assert payment_count(client) == 1


@pytest.mark.parametrize(
    ("value", "status", "code", "retry_after"),
    [
        ("server_error", 500, "internal_error", None),
        ("unavailable", 503, "service_unavailable", "1"),
        ("rate_limit", 429, "rate_limited", "1"),
    ],
)
def test_simulated_failures_run_nothing(
    client: httpx.Client, value: str, status: int, code: str, retry_after: str | None
):
    response = client.post("/payments", json=payment_body(), headers={"Flowlix-Simulate": value})
    assert_error(response, status, code)
    assert response.headers.get("retry-after") == retry_after
    assert payment_count(client) == 0


@pytest.mark.parametrize(
    "value", ["explode", "server_error;count=0", "delay=abc", "rate_limit;n=2"]
)
def test_unknown_simulation_is_400(client: httpx.Client, value: str):
    response = client.post("/payments", json=payment_body(), headers={"Flowlix-Simulate": value})
    assert_error(response, 400, "parameter_invalid", "Flowlix-Simulate")
    assert payment_count(client) == 0


# --- 11. rate limits ----------------------------------------------------------------------------


def test_rate_limit_per_account_with_headers():
    with start_mock(rate_limit=3) as mock:
        with mock.client(new_test_key()) as busy, mock.client(new_test_key()) as quiet:
            responses = [busy.get("/payments") for _ in range(10)]
            limited = [r for r in responses if r.status_code == 429]
            assert len(limited) >= 4  # ten requests span at most two one-second windows
            error = assert_error(limited[0], 429, "rate_limited")
            assert error["message"]
            assert int(limited[0].headers["retry-after"]) >= 1
            assert limited[0].headers["ratelimit-remaining"] == "0"
            ok = responses[0]
            assert ok.headers["ratelimit-limit"] == "3"
            assert ok.headers["ratelimit-remaining"] == "2"
            assert int(ok.headers["ratelimit-reset"]) >= 1
            assert quiet.get("/payments").status_code == 200


# --- 13. test clock and seeds -------------------------------------------------------------------


def test_clock_advance_moves_created(client: httpx.Client):
    before = client.post("/payments", json=payment_body()).json()["created"]
    response = client.post("/test_helpers/clock/advance", json={"seconds": 3600})
    assert response.status_code == 200
    assert response.json()["advanced_by"] == 3600
    after = client.post("/payments", json=payment_body()).json()["created"]
    assert after - before >= 3600
    assert_error(
        client.post("/test_helpers/clock/advance", json={"seconds": -5}),
        400,
        "parameter_invalid",
        "seconds",
    )


def _scripted_run(mock: MockServer, key: str) -> list:
    with mock.client(key) as client:
        made = client.post("/payments", json=payment_body(), headers={"Idempotency-Key": "a"})
        declined = client.post("/payments", json=payment_body(card=card("4000040000010015")))
        refund = client.post("/refunds", json={"payment": made.json()["id"], "amount": 100})
        return [(r.headers["flowlix-request-id"], r.json()) for r in (made, declined, refund)]


def test_seed_makes_ids_and_timestamps_repeatable():
    key = new_test_key(seed="determinism")
    with start_mock(seed=42) as first_mock:
        first = _scripted_run(first_mock, key)
        other_key = _scripted_run(first_mock, new_test_key(seed="another"))
    with start_mock(seed=42) as second_mock:
        second = _scripted_run(second_mock, key)
    assert first == second
    assert first[0][1]["created"] == 1767225600
    assert first[0][1]["id"] != other_key[0][1]["id"]


# --- the log and the OpenAPI document -----------------------------------------------------------


def test_log_has_one_line_per_request_and_no_secrets(flowlix_mock: MockServer):
    key = new_test_key()
    with flowlix_mock.client(key) as client:
        created = client.post("/payments", json=payment_body(card=card(cvc="987")))
        client.get("/payments/4111111111111111")
    request_id = created.headers["flowlix-request-id"]
    line = flowlix_mock.wait_for_log(request_id)
    flowlix_mock.wait_for_log("GET /v1/payments/****************")
    log = flowlix_mock.log_text()
    assert re.search(rf"POST /v1/payments 201 {request_id} \d+\.\dms$", line)
    assert "4111111111111111" not in log
    assert key not in log
    assert "987" not in line


def test_openapi_document_lists_every_endpoint_and_error(client: httpx.Client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    for path in [
        "/payments",
        "/payments/{id}",
        "/refunds",
        "/refunds/{id}",
        "/test_helpers/clock/advance",
    ]:
        assert path in document["paths"]
    text = json.dumps(document)
    for error in catalog.ERROR_CODES:
        assert f"`{error.code}`" in text, error.code
