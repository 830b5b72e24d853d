"""Webhooks: signed deliveries to a real receiver on loopback, retries, the event log, endpoints.

The mock runs with a short retry schedule (`--webhook-retry-schedule 0.2,0.4`), so a retry and
giving up both happen within a second. Signatures are checked with the `standardwebhooks`
package, the library a merchant would use.
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from flowlix_mock import catalog
from flowlix_mock.testing import MockServer, new_test_key, start_mock

RETRY_SCHEDULE = (0.2, 0.4)
ATTEMPTS = len(RETRY_SCHEDULE) + 1
SUCCESS_CARD = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2039, "cvc": "123"}
DECLINED_CARD = SUCCESS_CARD | {"number": "4000040000010015"}
EVENT_TYPES = [name for name, _ in catalog.EVENT_TYPES]


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float


@dataclass
class Receiver:
    """A merchant's webhook receiver: `/ok` answers 204, `/flaky` 500 once then 204, `/down`
    always 500, `/hang` never answers in time."""

    server: ThreadingHTTPServer
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    flaky_seen: set[str] = field(default_factory=set)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def to(self, path: str) -> list[Delivery]:
        with self.lock:
            return [delivery for delivery in self.deliveries if delivery.path == path]

    def wait_for(self, path: str, count: int, timeout: float = 5.0) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            arrived = self.to(path)
            if len(arrived) >= count:
                return arrived
            time.sleep(0.02)
        raise AssertionError(f"expected {count} deliveries to {path}, got {len(self.to(path))}")


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            current = state["receiver"]
            with current.lock:
                current.deliveries.append(
                    Delivery(self.path, dict(self.headers.items()), body, time.monotonic())
                )
                first_try = self.headers["webhook-id"] not in current.flaky_seen
                current.flaky_seen.add(self.headers["webhook-id"])
            if self.path.startswith("/hang"):
                time.sleep(catalog.LIMITS.webhook_timeout_seconds + 2)
            status = 204
            if self.path.startswith("/down") or (self.path.startswith("/flaky") and first_try):
                status = 500
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:  # the mock gave up waiting and closed the connection
                pass

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state["receiver"] = Receiver(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state["receiver"]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    schedule = ",".join(str(delay) for delay in RETRY_SCHEDULE)
    with start_mock(extra_args=("--webhook-retry-schedule", schedule)) as server:
        yield server


@pytest.fixture
def client(mock: MockServer) -> Iterator[httpx.Client]:
    with mock.client(new_test_key()) as api:
        yield api


def register(client: httpx.Client, url: str, events: list[str]) -> dict:
    response = client.post("/webhook_endpoints", json={"url": url, "events": events})
    assert response.status_code == 201, response.text
    return response.json()


def pay(
    client: httpx.Client, card: dict = SUCCESS_CARD, reference: str = "order-1"
) -> httpx.Response:
    return client.post(
        "/payments",
        json={"amount": 4999, "currency": "EUR", "card": card, "reference": reference},
    )


def test_a_delivery_is_signed_per_standard_webhooks(client, receiver):
    endpoint = register(client, f"{receiver.origin}/ok/signed", ["payment.succeeded"])
    secret = endpoint["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert endpoint["url"] == f"{receiver.origin}/ok/signed"
    assert endpoint["events"] == ["payment.succeeded"]

    assert pay(client, DECLINED_CARD).status_code == 402  # payment.failed: not subscribed
    payment = pay(client).json()
    [delivery] = receiver.wait_for("/ok/signed", 1)
    event = Webhook(secret).verify(delivery.body, delivery.headers)
    assert event["type"] == "payment.succeeded"
    assert event["object"] == "event"
    assert event["id"].startswith("evt_")
    assert event["data"]["object"] == payment
    assert delivery.headers["webhook-id"] == event["id"]
    assert abs(int(delivery.headers["webhook-timestamp"]) - time.time()) < 60
    assert delivery.headers["Content-Type"] == "application/json"

    tampered = delivery.body.replace(b'"amount":4999', b'"amount":1')
    assert tampered != delivery.body
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, delivery.headers)
    other_secret = register(client, f"{receiver.origin}/ok/other", ["refund.succeeded"])["secret"]
    with pytest.raises(WebhookVerificationError):
        Webhook(other_secret).verify(delivery.body, delivery.headers)
    time.sleep(0.3)
    assert len(receiver.to("/ok/signed")) == 1  # the decline was never sent here


def test_a_500_is_retried_with_the_same_webhook_id(client, receiver):
    endpoint = register(client, f"{receiver.origin}/flaky/one", ["payment.succeeded"])
    pay(client)
    first, second = receiver.wait_for("/flaky/one", 2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert second.received_at - first.received_at >= RETRY_SCHEDULE[0] - 0.05
    for delivery in (first, second):
        Webhook(endpoint["secret"]).verify(delivery.body, delivery.headers)
    time.sleep(sum(RETRY_SCHEDULE) + 0.3)
    assert len(receiver.to("/flaky/one")) == 2  # delivered: no more retries


def test_deliveries_stop_after_the_last_retry(client, receiver, mock):
    register(client, f"{receiver.origin}/down/always", ["payment.succeeded"])
    pay(client)
    attempts = receiver.wait_for("/down/always", ATTEMPTS)
    assert len({attempt.headers["webhook-id"] for attempt in attempts}) == 1
    gaps = [
        later.received_at - earlier.received_at
        for earlier, later in zip(attempts, attempts[1:], strict=False)
    ]
    assert all(gap >= delay - 0.05 for gap, delay in zip(gaps, RETRY_SCHEDULE, strict=True))
    time.sleep(max(RETRY_SCHEDULE) * 3)
    assert len(receiver.to("/down/always")) == ATTEMPTS
    event_id = attempts[0].headers["webhook-id"]
    assert f"webhook {event_id}" in mock.log_text()
    # The merchant reconciles what it missed from the event list.
    listed = client.get("/events", params={"type": "payment.succeeded"}).json()["data"]
    assert [event["id"] for event in listed] == [event_id]


def test_events_are_listed_newest_first_and_filter_by_type(client):
    first = pay(client, reference="order-a").json()
    declined = pay(client, DECLINED_CARD, reference="order-b").json()["error"]
    refund = client.post("/refunds", json={"payment": first["id"]}).json()
    events = client.get("/events").json()
    assert events["object"] == "list"
    assert events["has_more"] is False
    assert [event["type"] for event in events["data"]] == [
        "refund.succeeded",
        "payment.failed",
        "payment.succeeded",
    ]
    assert [event["data"]["object"]["id"] for event in events["data"]] == [
        refund["id"],
        declined["payment_id"],
        first["id"],
    ]
    for event in events["data"]:
        assert set(event) == {"id", "object", "type", "created", "data"}
    # The event holds the payment as it was: the later refund does not rewrite it.
    assert events["data"][2]["data"]["object"]["amount_refunded"] == 0

    failed_only = client.get("/events", params={"type": "payment.failed"}).json()["data"]
    assert [event["type"] for event in failed_only] == ["payment.failed"]
    page = client.get("/events", params={"limit": 1}).json()
    assert page["has_more"] is True
    after = client.get(
        "/events", params={"limit": 2, "starting_after": page["data"][0]["id"]}
    ).json()
    assert [event["type"] for event in after["data"]] == ["payment.failed", "payment.succeeded"]
    bad = client.get("/events", params={"type": "payment.exploded"})
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "type"


def test_events_belong_to_their_account(client, mock):
    pay(client)
    with mock.client(new_test_key()) as stranger:
        assert stranger.get("/events").json()["data"] == []


def test_endpoints_are_listed_without_secrets_and_can_be_deleted(client, receiver):
    kept = register(client, f"{receiver.origin}/ok/kept", EVENT_TYPES)
    gone = register(client, f"{receiver.origin}/ok/gone", ["payment.succeeded"])
    listing = client.get("/webhook_endpoints").json()
    assert [endpoint["id"] for endpoint in listing["data"]] == [gone["id"], kept["id"]]
    assert all("secret" not in endpoint for endpoint in listing["data"])
    assert kept["secret"] not in json.dumps(listing)

    deleted = client.delete(f"/webhook_endpoints/{gone['id']}")
    assert deleted.status_code == 200
    assert deleted.json() == {"id": gone["id"], "object": "webhook_endpoint", "deleted": True}
    assert [endpoint["id"] for endpoint in client.get("/webhook_endpoints").json()["data"]] == [
        kept["id"]
    ]
    again = client.delete(f"/webhook_endpoints/{gone['id']}")
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "resource_missing"

    pay(client)
    receiver.wait_for("/ok/kept", 1)
    time.sleep(0.3)
    assert receiver.to("/ok/gone") == []


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"events": ["payment.succeeded"]}, "url"),
        ({"url": "http://hooks.example/flowlix", "events": ["payment.succeeded"]}, "url"),
        ({"url": "https://hooks.example/flowlix"}, "events"),
        ({"url": "https://hooks.example/flowlix", "events": []}, "events"),
        ({"url": "https://hooks.example/flowlix", "events": "payment.succeeded"}, "events"),
        ({"url": "https://hooks.example/flowlix", "events": ["payment.exploded"]}, "events.0"),
        ({"url": "https://hooks.example/flowlix", "events": ["*"], "secret": "x"}, "secret"),
    ],
    ids=str,
)
def test_bad_endpoint_input_is_a_400(client, body, param):
    response = client.post("/webhook_endpoints", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_a_receiver_that_hangs_or_refuses_never_slows_the_api(client, receiver):
    with socket.socket() as probe:  # a loopback port with nothing listening
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    register(client, f"http://127.0.0.1:{closed_port}/refused", ["payment.succeeded"])
    register(client, f"{receiver.origin}/hang/slow", ["payment.succeeded"])
    pay(client)
    receiver.wait_for("/hang/slow", 1)  # the mock is now waiting on a receiver that hangs
    started = time.monotonic()
    for number in range(5):
        assert pay(client, reference=f"order-{number}").status_code == 201
    elapsed = time.monotonic() - started
    assert elapsed < 1.5, f"5 payments took {elapsed:.2f}s while a receiver hung"
    assert client.get("/events").status_code == 200


def test_the_retry_schedule_option_is_checked():
    result = subprocess.run(
        [sys.executable, "-m", "flowlix_mock", "--webhook-retry-schedule", "soon"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "--webhook-retry-schedule" in result.stderr
