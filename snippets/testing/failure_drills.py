"""Failure drills: the failures that cause payment incidents, run against your own code.

Each drill injects one failure through the mock (`Flowlix-Simulate`, the rate limit, webhook
deliveries that fail or never arrive) and asserts what matters to the business: exactly one
successful payment per order, no order fulfilled twice, no event lost.

`shop` is your integration. The drills call it through these names (the patterns of these docs):
payments: `open_orders`, `pay_order`, `start_attempt`, `post_with_retries`, `PaymentInProgress`,
`recover_unfinished_attempts`; webhooks: `open_shop`, `receive_delivery`, `HANDLERS`,
`catch_up`, `webhook_server`. Rename them to yours, and adapt the three small helpers that read
your orders table. Run with `pytest failure_drills.py` (pip install flowlix-mock pytest).
"""

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx
import pytest
import shop  # your code

from flowlix_mock.testing import MockServer, new_test_key, start_mock

VISA = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
MASTERCARD = {"number": "5555555555554444", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
NO_FUNDS = {"number": "4000040000010015", "exp_month": 12, "exp_year": 2030, "cvc": "123"}


@pytest.fixture(scope="module")
def mock() -> MockServer:
    # Webhook retries after 0.2 s and 0.4 s, then never again: the drills take seconds.
    with start_mock(extra_args=("--webhook-retry-schedule", "0.2,0.4")) as server:
        yield server


@pytest.fixture
def client(mock: MockServer) -> httpx.Client:
    with mock.client(new_test_key(), timeout=10.0) as api_client:
        yield api_client


def simulate(client: httpx.Client, failure: str) -> None:
    """Every POST from your code through this client carries `Flowlix-Simulate: failure`."""

    def add_header(request: httpx.Request) -> None:
        if request.method == "POST":
            request.headers["Flowlix-Simulate"] = failure

    client.event_hooks["request"].append(add_header)


def succeeded_payments(client: httpx.Client, order_id: str) -> list[str]:
    for _ in range(20):  # the drill's own reads wait out a rate limit too
        response = client.get("/payments", params={"reference": order_id, "status": "succeeded"})
        if response.status_code != 429:
            return [payment["id"] for payment in response.raise_for_status().json()["data"]]
        time.sleep(int(response.headers["Retry-After"]))
    raise AssertionError("still rate limited")


# --- how the drills reach your orders: adapt these three to your schema -------------------


def add_order(db, order_id: str, amount: int = 4999) -> None:
    with db:
        db.execute(
            "INSERT INTO orders (order_id, amount, currency) VALUES (?, ?, 'EUR')",
            (order_id, amount),
        )


def saved_payment_id(db, order_id: str) -> str | None:
    return db.execute("SELECT payment_id FROM orders WHERE order_id = ?", (order_id,)).fetchone()[0]


def fulfilments(db, order_id: str) -> int:
    """How often the order was fulfilled: its confirmation e-mails queued."""
    query = "SELECT COUNT(*) FROM outbox WHERE order_id = ? AND task = 'send_confirmation'"
    return db.execute(query, (order_id,)).fetchone()[0]


# --- payments ---------------------------------------------------------------------------


# --8<-- [start:focus]
def test_decline_then_a_second_card(client: httpx.Client) -> None:
    db = shop.open_orders(":memory:")
    add_order(db, "order-1")
    declined = shop.pay_order(client, db, "order-1", NO_FUNDS)
    assert declined["decline_code"] == "insufficient_funds"
    paid = shop.pay_order(client, db, "order-1", VISA)  # a new attempt: a new key
    assert paid["status"] == "succeeded"
    assert succeeded_payments(client, "order-1") == [saved_payment_id(db, "order-1")]


def test_crash_after_sending_before_saving_the_id(client: httpx.Client) -> None:
    db = shop.open_orders(":memory:")
    add_order(db, "order-2")
    shop.pay_order(client, db, "order-2", NO_FUNDS)
    key = shop.start_attempt(db, "order-2")
    body = {"amount": 4999, "currency": "EUR", "card": VISA, "reference": "order-2"}
    shop.post_with_retries(client, "/payments", body, idempotency_key=key)
    # The process died here. The customer clicks "Pay" again, with a card that would work:
    with pytest.raises(shop.PaymentInProgress):
        shop.pay_order(client, db, "order-2", MASTERCARD)
    # Meanwhile an old worker's request for the same order was declined: the newest payment
    # of the order is now a failed one.
    client.post(
        "/payments",
        json=body | {"card": NO_FUNDS},
        headers={"Idempotency-Key": "payment-order-2-9"},  # an old worker's attempt
    )
    shop.recover_unfinished_attempts(client, db, older_than=0)  # at start-up
    assert succeeded_payments(client, "order-2") == [saved_payment_id(db, "order-2")]
    assert shop.pay_order(client, db, "order-2", MASTERCARD)["status"] == "succeeded"
    paid = succeeded_payments(client, "order-2")
    assert len(paid) == 1, f"order-2 was charged {len(paid)} times"


def test_lost_response(client: httpx.Client) -> None:
    """The payment is made, but the answer is a 500 (commit_then_error)."""
    db = shop.open_orders(":memory:")
    add_order(db, "order-3")
    simulate(client, "commit_then_error")
    assert shop.pay_order(client, db, "order-3", VISA)["status"] == "succeeded"
    paid = succeeded_payments(client, "order-3")
    assert len(paid) == 1, f"order-3 was charged {len(paid)} times"
    assert paid == [saved_payment_id(db, "order-3")]


def test_a_burst_of_server_errors(client: httpx.Client) -> None:
    db = shop.open_orders(":memory:")
    add_order(db, "order-4")
    simulate(client, "server_error;count=2")  # the first two attempts with a key fail
    assert shop.pay_order(client, db, "order-4", VISA)["status"] == "succeeded"
    assert succeeded_payments(client, "order-4") == [saved_payment_id(db, "order-4")]


def test_a_429_storm_from_several_workers(mock: MockServer) -> None:
    """60 orders paid at once by 60 workers against a limit of 25 requests per second: more
    than twice the limit, so some window overflows even when the burst straddles two."""
    orders = [f"order-storm-{n}" for n in range(60)]
    db = shop.open_orders(":memory:")
    for order_id in orders:
        add_order(db, order_id)
    rate_limited = []
    pool = httpx.Limits(max_connections=len(orders), max_keepalive_connections=len(orders))
    with mock.client(new_test_key(), timeout=10.0, limits=pool) as client:
        lock = threading.Lock()  # one sqlite connection, shared by the workers
        start = threading.Barrier(len(orders))
        with ThreadPoolExecutor(max_workers=len(orders)) as workers:  # connect them all first
            list(workers.map(lambda _: client.get("/payments", params={"limit": 1}), orders))
        time.sleep(1)  # a fresh rate-limit window
        client.event_hooks["response"].append(
            lambda response: rate_limited.append(1) if response.status_code == 429 else None
        )

        def pay(order_id: str) -> dict:
            with lock:
                key = shop.start_attempt(db, order_id)
            start.wait()  # every worker sends at the same moment
            body = {"amount": 4999, "currency": "EUR", "card": VISA, "reference": order_id}
            response = shop.post_with_retries(client, "/payments", body, idempotency_key=key)
            return response.raise_for_status().json()

        with ThreadPoolExecutor(max_workers=len(orders)) as workers:
            results = list(workers.map(pay, orders))
        assert rate_limited, "no 429 at all: the storm did not happen"
        assert [result["status"] for result in results] == ["succeeded"] * len(orders)
        payments = client.get("/payments", params={"status": "succeeded", "limit": 100})
        references = sorted(payment["reference"] for payment in payments.json()["data"])
        assert references == sorted(orders), "not exactly one successful payment per order"


# --8<-- [end:focus]
# --- webhooks ---------------------------------------------------------------------------


class CardForm(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attributes.get("action", "")
        elif tag == "input" and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value") or ""


def paid_checkout(client: httpx.Client, mock: MockServer, order_id: str) -> dict:
    """A checkout session for the order, paid on the hosted page as the customer would."""
    session = client.post(
        "/checkout/sessions",
        json={
            "amount": 4999,
            "currency": "EUR",
            "reference": order_id,
            "success_url": "http://localhost:8000/success",
            "cancel_url": "http://localhost:8000/cancel",
        },
        headers={"Idempotency-Key": f"checkout-{order_id}-1"},
    ).raise_for_status()
    url = session.json()["url"]
    with httpx.Client(verify=mock.ssl_context(), timeout=10.0) as browser:
        form = CardForm()
        form.feed(browser.get(url).text)
        card = {"card_number": VISA["number"], "expiry": "12/30", "cvc": "123"}
        # snippet-rules: idempotency-key (the customer's browser submits the hosted page form)
        assert browser.post(urljoin(url, form.action), data=form.fields | card).status_code == 303
    return session.json()


def register(client: httpx.Client, url: str) -> str:
    endpoint = client.post(
        "/webhook_endpoints",
        json={"url": url, "events": ["checkout.session.completed"]},
        headers={"Idempotency-Key": f"webhook-endpoint-{url}"},
    )
    return endpoint.raise_for_status().json()["secret"]


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def given_up(mock: MockServer, event_id: str) -> bool:
    """Whether the mock's log says it stopped retrying this event's delivery."""
    lines = [line for line in mock.log_text().splitlines() if f"webhook {event_id}" in line]
    return bool(lines) and "giving up" in lines[-1]


def test_a_receiver_that_crashes_mid_event(
    client: httpx.Client, mock: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = shop.open_shop(":memory:")
    add_order(db, "order-5")
    fulfil = shop.HANDLERS["checkout.session.completed"]
    crashes = []

    def fulfil_then_crash(db_in_transaction, session: dict) -> None:
        fulfil(db_in_transaction, session)  # the work is half done ...
        if not crashes:
            crashes.append(session["id"])
            raise RuntimeError("the process died mid-event")  # ... and never finished

    monkeypatch.setitem(shop.HANDLERS, "checkout.session.completed", fulfil_then_crash)
    answers, secret = [], {}

    def on_delivery(raw_body: bytes, headers: dict) -> int:
        answers.append(shop.receive_delivery(secret["value"], db, raw_body, headers))
        return answers[-1]

    server = shop.webhook_server(0, on_delivery)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        secret["value"] = register(client, f"http://127.0.0.1:{server.server_address[1]}/hook")
        paid_checkout(client, mock, "order-5")
        wait_until(lambda: 204 in answers)
    finally:
        server.shutdown()
        server.server_close()
    assert crashes and answers[0] >= 500  # Flowlix was told to deliver it again
    fulfilled = fulfilments(db, "order-5")
    assert fulfilled == 1, f"order-5 paid and fulfilled {fulfilled} times: the event was lost"
    assert saved_payment_id(db, "order-5") == succeeded_payments(client, "order-5")[0]


def test_a_receiver_down_past_the_last_retry(client: httpx.Client, mock: MockServer) -> None:
    db = shop.open_shop(":memory:")
    orders = ["order-6", "order-7"]
    for order_id in orders:
        add_order(db, order_id)
    register(client, "http://127.0.0.1:9/down")  # nothing listens there: every delivery fails
    sessions = [paid_checkout(client, mock, order_id) for order_id in orders]
    events = client.get("/events", params={"type": "checkout.session.completed"}).json()["data"]
    assert len(events) == 2
    for event in events:  # Flowlix tried every retry, then gave up
        wait_until(lambda event_id=event["id"]: given_up(mock, event_id))
    # The receiver is back: the catch-up job finds what was never delivered, once.
    since = min(session["created"] for session in sessions) - 60
    assert shop.catch_up(client, db, since) >= 2  # and the payment.succeeded events
    assert shop.catch_up(client, db, since) == 0
    for order_id in orders:
        fulfilled = fulfilments(db, order_id)
        assert fulfilled == 1, f"{order_id} paid and fulfilled {fulfilled} times after the outage"
        assert saved_payment_id(db, order_id) == succeeded_payments(client, order_id)[0]


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider"]))
