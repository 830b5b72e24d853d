"""After switching to live: check the first real payment end to end, then refund it at once.

Hosted Payment Page: pay a small order through your own live checkout with a company card, then
run this in production with that order's id; no card number goes anywhere near a command line:

    APP_ENV=production SMOKE_ORDER_ID=order-1234 python smoke_test.py

Direct API, only from a host already in your PCI DSS scope (the one that sends payments), and
only once your acquirer has confirmed that live test payments with real cards are allowed:

    APP_ENV=production SMOKE_ORDER_ID=smoke-1 SMOKE_DIRECT=1 python smoke_test.py

It asks for the card details without echoing them: they never reach the shell history, the
environment, a file or a log.
"""

import getpass
import logging
import os
import sys

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
SMOKE_AMOUNT = 100  # 1.00 EUR: enough to prove the path, small enough not to matter
logger = logging.getLogger("shop.smoke_test")


def log_request_id(response: httpx.Response) -> None:
    request = response.request
    logger.info(
        "%s %s -> %s request_id=%s",
        request.method,
        request.url.path,
        response.status_code,
        response.headers.get("Flowlix-Request-Id"),
    )


def card_from_terminal() -> dict:
    """Direct API only: the card details typed in, never echoed, never stored."""
    number = getpass.getpass("Card number (not shown): ").replace(" ", "")
    month, _, year = getpass.getpass("Expiry MM/YYYY (not shown): ").partition("/")
    cvc = getpass.getpass("CVC (not shown): ")
    return {"number": number, "exp_month": int(month), "exp_year": int(year), "cvc": cvc}


# --8<-- [start:focus]
def pay_directly(client: httpx.Client, order_id: str, card: dict) -> None:
    """Direct API only: one small payment for the smoke-test order."""
    client.post(
        "/payments",
        json={
            "amount": SMOKE_AMOUNT,
            "currency": "EUR",
            "card": card,
            "reference": order_id,
            "description": "Go-live smoke test (refunded immediately)",
        },
        headers={"Idempotency-Key": f"payment-{order_id}-1"},
    ).raise_for_status()


def check_and_refund(client: httpx.Client, order_id: str, live: bool) -> list[str]:
    """Find the order's payment, check it, refund it in full at once. Raises on any failure."""
    found = client.get("/payments", params={"reference": order_id, "status": "succeeded"})
    payments = found.raise_for_status().json()["data"]
    if len(payments) != 1:
        sys.exit(f"smoke test FAILED: {len(payments)} succeeded payments for {order_id}")
    paid = payments[0]
    if paid["livemode"] != live or paid["amount"] > SMOKE_AMOUNT * 10:
        sys.exit(f"smoke test FAILED: unexpected payment {paid['id']}: check it in the dashboard")
    refund = client.post(
        "/refunds",
        json={"payment": paid["id"], "reason": "requested_by_customer"},
        headers={"Idempotency-Key": f"refund-{order_id}-smoke"},
    )
    refund.raise_for_status()
    check = client.get(f"/payments/{paid['id']}").raise_for_status().json()
    return [
        f"payment {paid['status']}: {paid['amount']} {paid['currency']} "
        f"on {paid['card']['brand']} ending {paid['card']['last4']} (livemode={paid['livemode']})",
        f"refund {refund.json()['status']}: {refund.json()['amount']}",
        f"payment fully refunded: {check['refunded']}",
    ]


# --8<-- [end:focus]
api_key = os.environ.get("FLOWLIX_API_KEY")
if not api_key:
    sys.exit("FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.")
live = api_key.startswith("fl_live_sk_")
if live != (os.environ.get("APP_ENV") == "production"):
    sys.exit(
        "Run the live smoke test in production, with the live key (and tests with a test key)."
    )
order_id = os.environ.get("SMOKE_ORDER_ID")
if not order_id:
    sys.exit("SMOKE_ORDER_ID is not set: the order you paid (or will pay) for the smoke test.")

with httpx.Client(
    base_url=API_BASE,
    headers={"Authorization": f"Bearer {api_key}"},
    timeout=httpx.Timeout(10.0, connect=5.0),
    event_hooks={"response": [log_request_id]},
) as client:
    try:
        if os.environ.get("SMOKE_DIRECT") == "1":
            pay_directly(client, order_id, card_from_terminal())
        elif not live:  # a test-mode rehearsal: a test card stands in for your checkout
            test_card = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030}
            pay_directly(client, order_id, test_card | {"cvc": "123"})
        steps = check_and_refund(client, order_id, live)
    except httpx.HTTPStatusError as error:
        sys.exit(f"smoke test FAILED: {error.response.status_code} {error.response.text}")
    except httpx.HTTPError as error:
        sys.exit(f"smoke test FAILED: could not reach Flowlix: {error!r}")

for step in steps:
    print(step)
    #> payment succeeded: 100 EUR on visa ending 1111 (livemode=False)
    #> refund succeeded: 100
    #> payment fully refunded: True
print("smoke test passed in", "live" if live else "test", "mode")
#> smoke test passed in test mode
