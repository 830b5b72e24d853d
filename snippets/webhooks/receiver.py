"""A webhook receiver: verify, do each event's work once, record it with the work, answer fast."""

import logging
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urljoin

import httpx
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
logger = logging.getLogger("shop.webhooks")


# --8<-- [start:receiver]
def open_shop(path: str) -> sqlite3.Connection:
    """Orders, the events already processed, and an outbox of slow work for a background job."""
    db = sqlite3.connect(path, check_same_thread=False)
    db.executescript(
        "CREATE TABLE IF NOT EXISTS orders (order_id TEXT PRIMARY KEY, amount INTEGER,"
        "  currency TEXT, payment_id TEXT UNIQUE, fulfilled INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE IF NOT EXISTS processed_events (event_id TEXT PRIMARY KEY, type TEXT);"
        "CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, order_id TEXT, task TEXT);"
    )
    return db


def fulfil_order(db: sqlite3.Connection, session: dict) -> None:
    """checkout.session.completed: check the session against the order, then fulfil it once."""
    order = db.execute(
        "SELECT amount, currency, fulfilled FROM orders WHERE order_id = ?",
        (session["reference"],),
    ).fetchone()
    if order is None or (session["amount"], session["currency"]) != order[:2]:
        logger.error("session %s does not match its order: not fulfilled", session["id"])
        return
    if session["payment_status"] != "paid" or order[2]:
        return  # not paid, or already fulfilled (by the success page, or an earlier event)
    db.execute(
        "UPDATE orders SET payment_id = ?, fulfilled = 1 WHERE order_id = ? AND fulfilled = 0",
        (session["payment"], session["reference"]),
    )
    # Slow work (e-mail, warehouse) goes to the outbox, in the same transaction: a background
    # job does it after we have answered Flowlix.
    db.execute(
        "INSERT INTO outbox (order_id, task) VALUES (?, 'send_confirmation')",
        (session["reference"],),
    )


HANDLERS: dict[str, Callable[[sqlite3.Connection, dict], None]] = {
    "checkout.session.completed": fulfil_order,
}
db_lock = threading.Lock()


# --8<-- [start:focus]
def process_event(db: sqlite3.Connection, event: dict) -> bool:
    """Do the event's work and record its id in ONE transaction; False if it was done before.

    If the work fails (or the process dies) half-way, nothing is recorded: the next delivery
    of the same event, or the catch-up job, does the work again.
    """
    with db_lock, db:  # commit the work and the record together, or neither
        seen = db.execute("SELECT 1 FROM processed_events WHERE event_id = ?", (event["id"],))
        if seen.fetchone():
            return False  # Flowlix delivers at least once: a repeat is normal
        handler = HANDLERS.get(event["type"])
        if handler is not None:
            handler(db, event["data"]["object"])
        db.execute(
            "INSERT INTO processed_events (event_id, type) VALUES (?, ?)",
            (event["id"], event["type"]),
        )
    logger.info("processed %s %s", event["type"], event["id"])
    return True


def receive_delivery(secret: str, db: sqlite3.Connection, raw_body: bytes, headers: dict) -> int:
    """The HTTP status to answer a delivery with: 2xx only once the work is committed."""
    try:
        event = Webhook(secret).verify(raw_body, headers)
    except WebhookVerificationError as error:
        logger.warning("rejected a delivery: %s", error)
        return 400  # a forgery or a wrong secret: a retry would not help
    try:
        process_event(db, event)
    except Exception:
        logger.exception("event %s failed; Flowlix will deliver it again", event["id"])
        return 500
    return 204


# --8<-- [end:focus]
def webhook_server(port: int, on_delivery: Callable[[bytes, dict], int]) -> ThreadingHTTPServer:
    """An HTTP server that passes each POST's raw body and headers to `on_delivery`."""

    class WebhookHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
            # The raw bytes, exactly as sent: the signature covers them.
            raw_body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(on_delivery(raw_body, dict(self.headers)))
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            logger.debug(format, *args)

    return ThreadingHTTPServer(("127.0.0.1", port), WebhookHandler)


# --8<-- [end:receiver]


# --8<-- [start:catch-up]
def catch_up(client: httpx.Client, db: sqlite3.Connection, since: int) -> int:
    """Process every event created since `since` that was not processed yet (oldest first).

    Run it after an outage longer than Flowlix's retries, and on a schedule (hourly) with
    `since` a little before the previous run: processing is idempotent on the event id.
    """
    events, params = [], {"limit": 100}
    while True:
        page = client.get("/events", params=params).raise_for_status().json()
        fresh = [event for event in page["data"] if event["created"] >= since]
        events += fresh
        if not page["has_more"] or len(fresh) < len(page["data"]):
            break
        params["starting_after"] = page["data"][-1]["id"]
    return sum(process_event(db, event) for event in reversed(events))


# --8<-- [end:catch-up]


def log_request_id(response: httpx.Response) -> None:
    request = response.request
    logger.info(
        "%s %s -> %s request_id=%s",
        request.method,
        request.url.path,
        response.status_code,
        response.headers.get("Flowlix-Request-Id"),
    )


def flowlix_client() -> httpx.Client:
    api_key = os.environ.get("FLOWLIX_API_KEY")
    if not api_key:
        sys.exit("FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.")
    return httpx.Client(
        base_url=API_BASE,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=httpx.Timeout(10.0, connect=5.0),
        event_hooks={"response": [log_request_id]},
    )


class CardForm(HTMLParser):
    """Test mode only: reads the hosted page's form, as the customer's browser does."""

    def __init__(self) -> None:
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attributes.get("action", "")
        elif tag == "input" and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value") or ""


def pay_as_the_customer(page_url: str) -> None:
    with httpx.Client(timeout=10.0) as browser:
        form = CardForm()
        form.feed(browser.get(page_url).text)
        card = {"card_number": "4111111111111111", "expiry": "12/30", "cvc": "123"}
        # snippet-rules: idempotency-key (the customer's browser submits the hosted page form)
        browser.post(urljoin(page_url, form.action), data=form.fields | card)


# Demo: a receiver on a free loopback port, a paid checkout, a repeat and a forgery.
db = open_shop(":memory:")  # your orders database
with db:
    db.execute("INSERT INTO orders (order_id, amount, currency) VALUES ('order-1234', 4999, 'EUR')")
signing = {}  # the endpoint's secret, known once the endpoint is registered
deliveries = []


def on_delivery(raw_body: bytes, headers: dict) -> int:
    deliveries.append((raw_body, headers))
    return receive_delivery(signing["secret"], db, raw_body, headers)


def fulfilled() -> list[tuple]:
    with db_lock:
        return db.execute("SELECT order_id, fulfilled FROM orders WHERE fulfilled = 1").fetchall()


server = webhook_server(0, on_delivery)
threading.Thread(target=server.serve_forever, daemon=True).start()
with flowlix_client() as client:
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/flowlix"
        endpoint = (
            client.post(
                "/webhook_endpoints",
                json={"url": url, "events": ["checkout.session.completed"]},
                headers={"Idempotency-Key": "webhook-endpoint-local"},
            )
            .raise_for_status()
            .json()
        )
        signing["secret"] = endpoint["secret"]
        session = (
            client.post(
                "/checkout/sessions",
                json={
                    "amount": 4999,
                    "currency": "EUR",
                    "reference": "order-1234",
                    "success_url": "http://localhost:8000/checkout/success",
                    "cancel_url": "http://localhost:8000/checkout/cancel",
                },
                headers={"Idempotency-Key": "checkout-order-1234-1"},
            )
            .raise_for_status()
            .json()
        )
        pay_as_the_customer(session["url"])
        deadline = time.monotonic() + 10
        while not fulfilled() and time.monotonic() < deadline:
            time.sleep(0.05)
        print("fulfilled:", fulfilled())
        #> fulfilled: [('order-1234', 1)]

        # The same delivery again (a retry after a slow answer): accepted, not done twice.
        raw_body, headers = deliveries[0]
        print("repeat answered", on_delivery(raw_body, headers))
        #> repeat answered 204
        print("forged answered", on_delivery(b'{"id":"evt_forged"}', headers))
        #> forged answered 400
        # The catch-up job finds nothing new: every event was processed.
        missed = catch_up(client, db, since=session["created"] - 60)
        print("catch-up processed", missed, "event(s) never delivered here")
        #> catch-up processed 1 event(s) never delivered here
        print("e-mails queued:", db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
        #> e-mails queued: 1
        client.delete(f"/webhook_endpoints/{endpoint['id']}").raise_for_status()
    except (httpx.HTTPError, IndexError) as error:
        sys.exit(f"webhook demo failed: {error!r}")
    finally:
        server.shutdown()
        server.server_close()
