"""Reconcile: every succeeded payment belongs to exactly one order that is marked paid by it."""

import logging
import os
import sys
from collections import defaultdict

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
logger = logging.getLogger("shop.reconcile")


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


# --8<-- [start:focus]
def succeeded_payments(client: httpx.Client, since: int) -> list[dict]:
    """Every succeeded payment created at or after `since`, paging newest first."""
    payments, params = [], {"status": "succeeded", "limit": 100}
    while True:
        page = client.get("/payments", params=params).raise_for_status().json()
        fresh = [payment for payment in page["data"] if payment["created"] >= since]
        payments += fresh
        if not page["has_more"] or len(fresh) < len(page["data"]):
            return payments
        params["starting_after"] = page["data"][-1]["id"]


def reconcile(client: httpx.Client, orders: dict[str, str | None], since: int) -> list[str]:
    """Compare orders (order id -> the payment id you saved) with Flowlix; repair or report."""
    by_order: dict[str, list[dict]] = defaultdict(list)
    for payment in succeeded_payments(client, since):
        by_order[payment["reference"]].append(payment)
    report = []
    for order_id, payments in sorted(by_order.items()):
        ids = [payment["id"] for payment in payments]
        if order_id not in orders:
            report.append(f"{order_id}: {ids} charged for an unknown order: investigate")
            continue
        keep = orders[order_id] if orders[order_id] in ids else ids[-1]  # the oldest
        if orders[order_id] != keep:
            orders[order_id] = keep  # paid at Flowlix, never recorded: record it
            report.append(f"{order_id}: recorded {keep}")
        for extra in (payment_id for payment_id in ids if payment_id != keep):
            client.post(
                "/refunds",
                json={"payment": extra, "reason": "duplicate"},
                headers={"Idempotency-Key": f"refund-{extra}-duplicate"},
            ).raise_for_status()
            report.append(f"{order_id}: refunded the duplicate {extra}")
    for order_id, payment_id in sorted(orders.items()):
        if payment_id and order_id not in by_order:
            report.append(f"{order_id}: marked paid by {payment_id}, not succeeded: investigate")
    return report


# --8<-- [end:focus]
def pay(client: httpx.Client, order_id: str, key: str) -> str:
    card = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    body = {"amount": 1500, "currency": "EUR", "card": card, "reference": order_id}
    response = client.post("/payments", json=body, headers={"Idempotency-Key": key})
    return response.raise_for_status().json()["id"]


with flowlix_client() as client:
    try:
        # Yesterday, as Flowlix saw it ...
        paid = pay(client, "order-3001", "payment-order-3001-1")
        unrecorded = pay(client, "order-3002", "payment-order-3002-1")  # a crash lost the id
        first = pay(client, "order-3003", "payment-order-3003-1")
        pay(client, "order-3003", "payment-order-3003-2")  # an old bug charged it twice
        # ... and as your orders table saw it.
        orders = {"order-3001": paid, "order-3002": None, "order-3003": first, "order-3004": None}
        orders["order-3005"] = "pay_fromAnotherAccount00000"
        for line in reconcile(client, orders, since=0):
            print(line)
            #> order-3002: recorded pay_atNVfc3V9NXS11kTteKeDzzN
            #> order-3003: refunded the duplicate pay_QsoXRRWlR5YhRjkWmfaFDCfW
            #> order-3005: marked paid by pay_fromAnotherAccount00000, not succeeded: investigate
    except httpx.HTTPError as error:
        sys.exit(f"could not reach Flowlix: {error!r}")
