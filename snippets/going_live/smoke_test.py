"""After switching to live: one small payment with a real card, then refund it at once.

Run it by hand from a production host, with the card details in the environment for this
one command only (never in a file or in your shell history):

    APP_ENV=production SMOKE_CARD_NUMBER=... SMOKE_CARD_EXP=MM/YYYY SMOKE_CARD_CVC=... \
        python smoke_test.py
"""

import logging
import os
import sys
import time

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


def smoke_card(live: bool) -> dict:
    """The real card in live mode (required); a test card in test mode unless one is given."""
    number = os.environ.get("SMOKE_CARD_NUMBER") or ("" if live else "4111111111111111")
    if not number:
        sys.exit("SMOKE_CARD_NUMBER is not set: a live smoke test needs a real card.")
    month, _, year = os.environ.get("SMOKE_CARD_EXP", "12/2030").partition("/")
    cvc = os.environ.get("SMOKE_CARD_CVC", "123")
    return {"number": number, "exp_month": int(month), "exp_year": int(year), "cvc": cvc}


def smoke_test(client: httpx.Client, card: dict, run_id: str) -> list[str]:
    """Pay and refund; returns what happened, step by step. Raises on any failure."""
    payment = client.post(
        "/payments",
        json={
            "amount": SMOKE_AMOUNT,
            "currency": "EUR",
            "card": card,
            "reference": run_id,
            "description": "Go-live smoke test (refunded immediately)",
        },
        headers={"Idempotency-Key": f"payment-{run_id}"},
    )
    payment.raise_for_status()
    paid = payment.json()
    refund = client.post(
        "/refunds",
        json={"payment": paid["id"], "reason": "requested_by_customer"},
        headers={"Idempotency-Key": f"refund-{run_id}-1"},
    )
    refund.raise_for_status()
    check = client.get(f"/payments/{paid['id']}").raise_for_status().json()
    return [
        f"payment {paid['status']}: {paid['amount']} {paid['currency']} "
        f"on {paid['card']['brand']} ending {paid['card']['last4']} (livemode={paid['livemode']})",
        f"refund {refund.json()['status']}: {refund.json()['amount']}",
        f"payment fully refunded: {check['refunded']}",
    ]


api_key = os.environ.get("FLOWLIX_API_KEY")
if not api_key:
    sys.exit("FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.")
live = api_key.startswith("fl_live_sk_")
if live != (os.environ.get("APP_ENV") == "production"):
    sys.exit(
        "Run the live smoke test in production, with the live key (and tests with a test key)."
    )

run_id = os.environ.get("SMOKE_RUN_ID") or f"smoke-{time.strftime('%Y%m%d-%H%M')}"
with httpx.Client(
    base_url=API_BASE,
    headers={"Authorization": f"Bearer {api_key}"},
    timeout=httpx.Timeout(10.0, connect=5.0),
    event_hooks={"response": [log_request_id]},
) as client:
    try:
        steps = smoke_test(client, smoke_card(live), run_id)
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
