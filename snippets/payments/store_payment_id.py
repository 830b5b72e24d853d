"""A key per payment attempt, saved before sending; the payment id saved with the order."""

import logging
import os
import random
import sqlite3
import sys
import time

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
logger = logging.getLogger("shop.payments")


# --8<-- [start:retry]
MAX_ATTEMPTS = 4  # the first attempt and three retries
BACKOFF_SECONDS = (1, 2, 4)  # full jitter: a random wait up to these before retries 1, 2, 3
TOTAL_SECONDS = 15  # every attempt and wait together: fits inside a customer's checkout request
ATTEMPT_TIMEOUT_SECONDS = 10.0
NO_ANSWER_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


def can_succeed_later(response: httpx.Response) -> bool:
    """5xx, 429 and 409 idempotency_key_in_use: the request did not run, or its result is kept.

    Every other 4xx is final: the request or the card is wrong, and sending it again changes
    nothing (a decline is a new attempt with a new key, after the customer acts).
    """
    if response.status_code == 409:
        try:
            return response.json()["error"]["code"] == "idempotency_key_in_use"
        except (ValueError, KeyError, TypeError):
            return False
    return response.status_code == 429 or response.status_code >= 500


def wait_seconds(retry: int, response: httpx.Response | None) -> float:
    """Full jitter, on top of any Retry-After: workers that failed together retry apart."""
    jitter = random.uniform(0, BACKOFF_SECONDS[min(retry, len(BACKOFF_SECONDS)) - 1])
    retry_after = response.headers.get("Retry-After", "") if response is not None else ""
    return (int(retry_after) if retry_after.isdigit() else 0) + jitter


def post_with_retries(
    client: httpx.Client,
    path: str,
    body: dict,
    *,
    idempotency_key: str,
    headers: dict | None = None,
) -> httpx.Response:
    """POST `body`, retrying only what can succeed later, with the same key every time.

    Returns the final response; after the last attempt a 5xx still means "unknown": keep the
    key and finish in the background. Raises the transport error if no attempt was answered.
    """
    request_headers = {**(headers or {}), "Idempotency-Key": idempotency_key}
    deadline = time.monotonic() + TOTAL_SECONDS
    for attempt in range(1, MAX_ATTEMPTS + 1):
        response = no_answer = None
        timeout = min(ATTEMPT_TIMEOUT_SECONDS, deadline - time.monotonic())
        try:
            response = client.post(path, json=body, headers=request_headers, timeout=timeout)
        except NO_ANSWER_ERRORS as error:  # it may have run: only the same key can tell
            no_answer, outcome = error, f"no answer ({error!r})"
        else:
            request_id = response.headers.get("Flowlix-Request-Id")
            outcome = f"{response.status_code} request_id={request_id}"
            if not can_succeed_later(response):
                logger.info("%s attempt %d: %s", idempotency_key, attempt, outcome)
                return response
        wait = wait_seconds(attempt, response)
        if attempt == MAX_ATTEMPTS or time.monotonic() + wait >= deadline:
            logger.warning("%s attempt %d: %s; giving up", idempotency_key, attempt, outcome)
            if response is None:
                raise no_answer
            return response
        logger.warning(
            "%s attempt %d: %s; retrying in %.1fs", idempotency_key, attempt, outcome, wait
        )
        time.sleep(wait)
    raise AssertionError("unreachable: the last attempt returns or raises")


# --8<-- [end:retry]


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
        timeout=httpx.Timeout(ATTEMPT_TIMEOUT_SECONDS, connect=5.0),
        event_hooks={"response": [log_request_id]},
    )


# --8<-- [start:attempt]
def open_orders(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False)
    db.execute(
        "CREATE TABLE IF NOT EXISTS orders ("
        " order_id TEXT PRIMARY KEY, amount INTEGER NOT NULL, currency TEXT NOT NULL,"
        " attempt INTEGER NOT NULL DEFAULT 0, idempotency_key TEXT, attempt_sent_at REAL,"
        " attempt_state TEXT,"  # sent (outcome unknown until answered), failed, succeeded
        " payment_id TEXT UNIQUE)"
    )
    return db


class PaymentInProgress(Exception):
    """An attempt for this order was sent and not answered yet: do not start another."""


# --8<-- [start:focus]
def start_attempt(db: sqlite3.Connection, order_id: str) -> str:
    """Number the attempt and save its key with the order BEFORE sending anything.

    Retries of this attempt reuse this key. The next attempt (another card after a decline)
    gets the next number, so a new key. Never two attempts at once: a double click on "Pay"
    finds this one in flight.
    """
    with db:
        started = db.execute(
            "UPDATE orders SET attempt = attempt + 1, attempt_state = 'sent', attempt_sent_at = ?"
            " WHERE order_id = ? AND payment_id IS NULL"
            " AND coalesce(attempt_state, 'failed') = 'failed'",
            (time.time(), order_id),
        ).rowcount
        if not started:
            raise PaymentInProgress(order_id)
        (attempt,) = db.execute(
            "SELECT attempt FROM orders WHERE order_id = ?", (order_id,)
        ).fetchone()
        key = f"payment-{order_id}-{attempt}"
        db.execute("UPDATE orders SET idempotency_key = ? WHERE order_id = ?", (key, order_id))
    return key


def save_outcome(db: sqlite3.Connection, order_id: str, payment: dict) -> None:
    """The answer of an attempt, in the order's row: its id if it succeeded."""
    succeeded = payment["status"] == "succeeded"
    with db:
        db.execute(
            "UPDATE orders SET attempt_state = ?, payment_id = ? WHERE order_id = ?",
            (
                "succeeded" if succeeded else "failed",
                payment["id"] if succeeded else None,
                order_id,
            ),
        )


def pay_order(client: httpx.Client, db: sqlite3.Connection, order_id: str, card: dict) -> dict:
    """One payment attempt for an order: the payment (201) or the decline (402)."""
    amount, currency, payment_id = db.execute(
        "SELECT amount, currency, payment_id FROM orders WHERE order_id = ?", (order_id,)
    ).fetchone()
    if payment_id:  # paid already: never charge an order twice
        return {"id": payment_id, "status": "succeeded"}
    key = start_attempt(db, order_id)
    body = {"amount": amount, "currency": currency, "card": card, "reference": order_id}
    response = post_with_retries(client, "/payments", body, idempotency_key=key)
    if response.status_code == 201:
        save_outcome(db, order_id, response.json())
        return response.json()
    if response.status_code == 402:
        error = response.json()["error"]
        save_outcome(db, order_id, {"id": error["payment_id"], "status": "failed"})
        return error
    # 5xx after every retry, or a 4xx bug: the outcome stays unknown ('sent') until recovered.
    response.raise_for_status()
    raise AssertionError(f"unexpected answer {response.status_code}")


# --8<-- [end:focus]
def find_succeeded_payment(client: httpx.Client, order_id: str) -> str | None:
    """The order's succeeded payment, if any. Failed attempts are listed too: filter them out."""
    response = client.get("/payments", params={"reference": order_id, "status": "succeeded"})
    response.raise_for_status()
    payments = response.json()["data"]
    return payments[0]["id"] if payments else None


def recover_unfinished_attempts(
    client: httpx.Client, db: sqlite3.Connection, older_than: float = TOTAL_SECONDS
) -> list[str]:
    """Attempts sent but never answered (a crash, a timeout): ask Flowlix how they ended.

    Run it at start-up and every few minutes; `older_than` skips attempts still in flight.
    """
    stale = db.execute(
        "SELECT order_id FROM orders WHERE attempt_state = 'sent' AND attempt_sent_at < ?",
        (time.time() - older_than,),
    ).fetchall()
    recovered = []
    for (order_id,) in stale:
        payment_id = find_succeeded_payment(client, order_id)
        if payment_id:
            save_outcome(db, order_id, {"id": payment_id, "status": "succeeded"})
            recovered.append(order_id)
        else:  # nothing charged: the customer may start a new attempt
            save_outcome(db, order_id, {"id": None, "status": "failed"})
    return recovered


# --8<-- [end:attempt]


visa = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
declined = {"number": "4000040000010015", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
db = open_orders(":memory:")  # your orders database
with db:
    db.execute("INSERT INTO orders (order_id, amount, currency) VALUES ('order-1234', 4999, 'EUR')")
    db.execute("INSERT INTO orders (order_id, amount, currency) VALUES ('order-1235', 1500, 'EUR')")

with flowlix_client() as client:
    try:
        # A decline, then the customer enters another card: two attempts, two keys.
        print("order-1234:", pay_order(client, db, "order-1234", declined)["decline_code"])
        #> order-1234: insufficient_funds
        print("order-1234:", pay_order(client, db, "order-1234", visa)["status"])
        #> order-1234: succeeded

        # A decline; then the process dies after sending the second attempt, before saving.
        pay_order(client, db, "order-1235", declined)
        key = start_attempt(db, "order-1235")
        body = {"amount": 1500, "currency": "EUR", "card": visa, "reference": "order-1235"}
        post_with_retries(client, "/payments", body, idempotency_key=key)
        try:  # the customer clicks "Pay" again with a third card while nobody knows
            pay_order(client, db, "order-1235", declined)
        except PaymentInProgress:
            print("order-1235: a payment is in progress, not charging again")
            #> order-1235: a payment is in progress, not charging again
        # After the restart: how did the attempts that were in flight end?
        print("recovered:", recover_unfinished_attempts(client, db, older_than=0))
        #> recovered: ['order-1235']
    except httpx.HTTPStatusError as error:
        sys.exit(f"Flowlix answered {error.response.status_code}: {error.response.text}")
    except httpx.HTTPError as error:
        sys.exit(f"could not reach Flowlix: {error!r}")

for row in db.execute("SELECT order_id, idempotency_key, payment_id FROM orders ORDER BY 1"):
    print(row)
    #> ('order-1234', 'payment-order-1234-2', 'pay_Zp6mGCNlej7nHM8GDN5hzfAu')
    #> ('order-1235', 'payment-order-1235-2', 'pay_IyvrQ1KMrc1DA27nusH4z2ta')
