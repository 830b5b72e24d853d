"""Fault drills (contract section 17): what the mock promises when something goes wrong.

- the response cannot be encoded: a 500 that leaves nothing behind (no object, no event, no
  stored idempotent response), so a retry with the same key runs afresh;
- the client disconnects mid-request: a request whose body never fully arrived runs nothing;
- capacity is reached (`--max-objects` set low): 503 `capacity_reached` with `Retry-After`, and
  nothing created; reads and other accounts carry on.

A hanging webhook receiver and six mocks starting at once on an empty cache are drilled in
test_mock_robustness.py.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flowlix_mock import catalog
from flowlix_mock.testing import MockServer, new_test_key, start_mock
from mock_helpers import serve_in_thread

MAX_OBJECTS = 5
PAYMENT = {
    "amount": 4999,
    "currency": "EUR",
    "reference": "order-1",
    "card": {"number": "4111111111111111", "exp_month": 12, "exp_year": 2039, "cvc": "123"},
}


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with start_mock(rate_limit=1000, extra_args=("--max-objects", str(MAX_OBJECTS))) as server:
        yield server


# --- the client disconnects mid-request ---------------------------------------------------------


def _tls_socket(mock: MockServer) -> ssl.SSLSocket:
    port = int(mock.origin.rsplit(":", 1)[1])
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return mock.ssl_context().wrap_socket(raw, server_hostname="127.0.0.1")


def test_a_body_cut_short_by_a_disconnect_runs_nothing(mock: MockServer):
    key = new_test_key()
    body = json.dumps(PAYMENT).encode()  # complete JSON, but less than the length announced
    with _tls_socket(mock) as sock:
        sock.sendall(
            b"POST /v1/payments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {key}\r\nIdempotency-Key: cut-1\r\n".encode()
            + f"Content-Length: {len(body) + 100}\r\n\r\n".encode()
            + body
        )
        time.sleep(0.2)
    time.sleep(0.3)  # let the mock notice the disconnect
    with mock.client(key) as client:
        assert client.get("/payments").json()["data"] == []
        assert client.get("/events").json()["data"] == []
        # the key was not kept either: the full request with it runs normally
        retried = client.post("/payments", json=PAYMENT, headers={"Idempotency-Key": "cut-1"})
        assert retried.status_code == 201
        assert retried.headers.get("idempotent-replayed") is None


def test_a_client_gone_before_the_answer_loses_only_the_answer(mock: MockServer):
    """The request ran; its result is kept under the key, and the retry gets it."""
    key = new_test_key()
    body = json.dumps(PAYMENT).encode()
    with _tls_socket(mock) as sock:
        sock.sendall(
            b"POST /v1/payments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {key}\r\nIdempotency-Key: gone-1\r\n".encode()
            + b"Flowlix-Simulate: delay=300\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        time.sleep(0.05)
    time.sleep(0.5)
    with mock.client(key) as client:
        retried = client.post("/payments", json=PAYMENT, headers={"Idempotency-Key": "gone-1"})
        assert retried.status_code == 201
        assert retried.headers["idempotent-replayed"] == "true"
        assert [item["id"] for item in client.get("/payments").json()["data"]] == [
            retried.json()["id"]
        ]


# --- capacity reached ---------------------------------------------------------------------------


def test_a_full_account_gets_503_capacity_reached_and_keeps_working(mock: MockServer):
    with mock.client(new_test_key()) as client, mock.client(new_test_key()) as other:
        created = [client.post("/payments", json=PAYMENT) for _ in range(MAX_OBJECTS)]
        assert [response.status_code for response in created] == [201] * MAX_OBJECTS
        events_before = client.get("/events").json()["data"]

        for path, body in (
            ("/payments", PAYMENT),
            ("/refunds", {"payment": created[0].json()["id"], "amount": 1}),
            (
                "/checkout/sessions",
                {
                    "amount": 100,
                    "currency": "EUR",
                    "success_url": "https://shop.example/ok",
                    "cancel_url": "https://shop.example/cancel",
                },
            ),
            ("/webhook_endpoints", {"url": "http://127.0.0.1:9/x", "events": ["refund.succeeded"]}),
        ):
            response = client.post(path, json=body, headers={"Idempotency-Key": f"full{path}"})
            error = response.json()["error"]
            assert response.status_code == 503, (path, response.text)
            assert (error["type"], error["code"]) == ("api_error", "capacity_reached")
            assert error["request_id"] == response.headers["flowlix-request-id"]
            assert response.headers["retry-after"] == str(
                catalog.MOCK_LIMITS.capacity_retry_after_seconds
            )

        # nothing was created, reads work, the payment was not refunded
        assert len(client.get("/payments").json()["data"]) == MAX_OBJECTS
        assert client.get("/events").json()["data"] == events_before
        assert client.get("/webhook_endpoints").json()["data"] == []
        payment = client.get(f"/payments/{created[0].json()['id']}").json()
        assert payment["amount_refunded"] == 0
        # another account is not affected
        assert other.post("/payments", json=PAYMENT).status_code == 201


def test_stored_idempotent_responses_count_and_replays_still_answer(mock: MockServer):
    with mock.client(new_test_key()) as client:
        first = client.post("/payments", json=PAYMENT, headers={"Idempotency-Key": "a"})
        assert first.status_code == 201  # a payment and a stored response: two objects
        for _ in range(2):
            assert client.post("/payments", json=PAYMENT).status_code == 201
        # 4 objects: the next keyed create would make 6
        assert (
            client.post("/payments", json=PAYMENT, headers={"Idempotency-Key": "b"}).json()[
                "error"
            ]["code"]
            == "capacity_reached"
        )
        replay = client.post("/payments", json=PAYMENT, headers={"Idempotency-Key": "a"})
        assert replay.status_code == 201
        assert replay.json() == first.json()


# --- the response cannot be encoded -------------------------------------------------------------


@pytest.fixture
def failing_encoder_server(tmp_path: Path, monkeypatch) -> Iterator[tuple[str, Path]]:
    """The mock in this process over HTTPS, with its response encoder made to fail for any
    payment or refund: a stand-in for any failure after the handler ran."""
    import flowlix_mock.app as app_module

    real_encode = app_module.encode

    def failing(data):
        text = real_encode(data)
        if b'"object":"payment"' in text or b'"object":"refund"' in text:
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        return text

    monkeypatch.setattr(app_module, "encode", failing)
    app = app_module.MockApp()
    app.public_origin = "https://127.0.0.1"
    with serve_in_thread(app, tmp_path) as (port, ca_file):
        yield f"https://127.0.0.1:{port}/v1", ca_file


def test_a_response_that_cannot_be_encoded_is_a_500_that_leaves_nothing(failing_encoder_server):
    base_url, ca_file = failing_encoder_server
    headers = {"Authorization": f"Bearer {new_test_key()}"}
    verify = ssl.create_default_context(cafile=str(ca_file))
    with httpx.Client(base_url=base_url, headers=headers, verify=verify) as client:
        for _ in range(2):
            response = client.post("/payments", json=PAYMENT, headers={"Idempotency-Key": "k"})
            assert response.status_code == 500
            assert response.json()["error"]["code"] == "internal_error"
        assert client.get("/payments").json()["data"] == []
        assert client.get("/events").json()["data"] == []


# --- the hosted page: capacity, and a session under card testing --------------------------------

SESSION = {
    "amount": 1000,
    "currency": "EUR",
    "success_url": "https://shop.example/ok",
    "cancel_url": "https://shop.example/cancel",
}


def _pay(mock: MockServer, session_id: str, number: str) -> httpx.Response:
    with httpx.Client(verify=mock.ssl_context(), follow_redirects=False) as browser:
        return browser.post(
            f"{mock.origin}/pay/{session_id}",
            data={"card_number": number, "expiry": "12/39", "cvc": "123"},
        )


def test_a_full_account_takes_no_payment_on_its_hosted_page(mock: MockServer):
    with mock.client(new_test_key()) as client:
        session = client.post("/checkout/sessions", json=SESSION).json()
        for _ in range(MAX_OBJECTS - 1):
            assert client.post("/payments", json=PAYMENT).status_code == 201
        page = _pay(mock, session["id"], "4111111111111111")
        assert page.status_code == 503
        assert "cannot take payments right now" in page.text
        assert len(client.get("/payments").json()["data"]) == MAX_OBJECTS - 1
        assert client.get(f"/checkout/sessions/{session['id']}").json()["status"] == "open"


def test_a_hosted_session_ends_after_too_many_declines(mock: MockServer):
    limit = catalog.MOCK_LIMITS.session_decline_limit
    with start_mock(rate_limit=1000) as roomy, roomy.client(new_test_key()) as client:
        session = client.post("/checkout/sessions", json=SESSION).json()
        for attempt in range(1, limit + 1):
            page = _pay(roomy, session["id"], "4000040000010015")
            assert page.status_code == 402
            assert ("This payment page is closed" in page.text) == (attempt == limit)
        assert client.get(f"/checkout/sessions/{session['id']}").json()["status"] == "expired"
        events = [event["type"] for event in client.get("/events").json()["data"]]
        assert events.count("checkout.session.expired") == 1
        assert _pay(roomy, session["id"], "4111111111111111").status_code == 409
        statuses = {payment["status"] for payment in client.get("/payments").json()["data"]}
        assert statuses == {"failed"}
