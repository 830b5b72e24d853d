"""Store payment.id with the order, and recover it by reference if the answer was lost."""

import logging
import os
import sqlite3
import sys

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
logger = logging.getLogger("shop.payments")


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


def open_orders(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE IF NOT EXISTS orders ("
        " order_id TEXT PRIMARY KEY, amount INTEGER NOT NULL, currency TEXT NOT NULL,"
        " payment_id TEXT UNIQUE)"
    )
    return db


def pay_order(client: httpx.Client, db: sqlite3.Connection, order_id: str, card: dict) -> str:
    """Charge an order and save the payment id with it: refunds and support need that id."""
    amount, currency = db.execute(
        "SELECT amount, currency FROM orders WHERE order_id = ?", (order_id,)
    ).fetchone()
    response = client.post(
        "/payments",
        json={"amount": amount, "currency": currency, "card": card, "reference": order_id},
        headers={"Idempotency-Key": f"payment-{order_id}"},
    )
    response.raise_for_status()
    payment_id = response.json()["id"]
    with db:
        db.execute("UPDATE orders SET payment_id = ? WHERE order_id = ?", (payment_id, order_id))
    return payment_id


def recover_payment_id(client: httpx.Client, db: sqlite3.Connection, order_id: str) -> str | None:
    """After a crash between charging and saving, find the payment by its reference."""
    response = client.get("/payments", params={"reference": order_id, "limit": 1})
    response.raise_for_status()
    payments = response.json()["data"]
    if not payments:
        return None  # never charged: safe to charge now, with the same Idempotency-Key
    with db:
        db.execute(
            "UPDATE orders SET payment_id = ? WHERE order_id = ?", (payments[0]["id"], order_id)
        )
    return payments[0]["id"]


card = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
db = open_orders(":memory:")  # your orders database
with db:
    db.execute("INSERT INTO orders (order_id, amount, currency) VALUES ('order-1234', 4999, 'EUR')")
    db.execute("INSERT INTO orders (order_id, amount, currency) VALUES ('order-1235', 1500, 'EUR')")

with flowlix_client() as client:
    try:
        print("order-1234 paid by", pay_order(client, db, "order-1234", card))
        #> order-1234 paid by pay_TpcDJMmzL7440lQAE447TrUS

        # Suppose the process died after Flowlix charged order-1235 but before we saved the id.
        client.post(
            "/payments",
            json={"amount": 1500, "currency": "EUR", "card": card, "reference": "order-1235"},
            headers={"Idempotency-Key": "payment-order-1235"},
        )
        print("order-1235 recovered", recover_payment_id(client, db, "order-1235"))
        #> order-1235 recovered pay_Zp6mGCNlej7nHM8GDN5hzfAu
        print("order-1236 recovered", recover_payment_id(client, db, "order-1236"))
        #> order-1236 recovered None
    except httpx.HTTPStatusError as error:
        sys.exit(f"Flowlix answered {error.response.status_code}: {error.response.text}")
    except httpx.HTTPError as error:
        sys.exit(f"could not reach Flowlix: {error!r}")

for row in db.execute("SELECT order_id, payment_id FROM orders ORDER BY order_id"):
    print(row)
    #> ('order-1234', 'pay_TpcDJMmzL7440lQAE447TrUS')
    #> ('order-1235', 'pay_Zp6mGCNlej7nHM8GDN5hzfAu')
