"""Run every test-card scenario against test mode and check each outcome, plus a refund."""

import logging
import os
import sys

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
logger = logging.getLogger("shop.tests")

# Test card -> the expected `status`, or the `decline_code` for a decline.
TEST_CARDS = {
    "4111111111111111": "succeeded",
    "5555555555554444": "succeeded",
    "378282246310005": "succeeded",
    "4000040000010015": "insufficient_funds",
    "4000040000010023": "expired_card",
    "4000040000010031": "generic_decline",
    "4000040000010049": "incorrect_cvc",
    "4000040000010056": "lost_card",
    "4000040000010064": "stolen_card",
    "4000040000010072": "do_not_honor",
    "4000040000010080": "card_velocity_exceeded",
    "4000040000010098": "fraudulent",
    "4000040000010106": "processing_error",
    "4000040000010114": "authentication_required",  # 3-D Secure challenge, no return_url
    "4000040000010122": "succeeded",  # 3-D Secure, frictionless
    "4000040000010130": "authentication_required",  # 3-D Secure challenge, no return_url
    "4000040000010148": "succeeded",  # SCA exemption granted
}


def flowlix_client() -> httpx.Client:
    api_key = os.environ.get("FLOWLIX_API_KEY")
    if not api_key:
        sys.exit("FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.")
    if not api_key.startswith("fl_test_sk_"):
        sys.exit("These scenarios are for test mode: use a fl_test_sk_ key.")
    return httpx.Client(
        base_url=API_BASE,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=httpx.Timeout(10.0, connect=5.0),
    )


# --8<-- [start:focus]
def run_scenario(client: httpx.Client, number: str) -> tuple[str, dict]:
    """Pay with a test card; return the outcome (status or decline_code) and the answer."""
    cvc = "1234" if number.startswith(("34", "37")) else "123"  # American Express: 4 digits
    card = {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": cvc}
    order_id = f"scenario-{number[-4:]}"
    response = client.post(
        "/payments",
        json={"amount": 1000, "currency": "EUR", "card": card, "reference": order_id},
        headers={"Idempotency-Key": f"payment-{order_id}-1"},
    )
    logger.info(
        "%s: %s request_id=%s",
        order_id,
        response.status_code,
        response.headers.get("Flowlix-Request-Id"),
    )
    answer = response.json()
    if response.status_code == 201:
        return answer["status"], answer
    return answer["error"].get("decline_code") or answer["error"]["code"], answer


# --8<-- [end:focus]
failures = 0
with flowlix_client() as client:
    try:
        for number, expected in TEST_CARDS.items():
            outcome, answer = run_scenario(client, number)
            verdict = "ok" if outcome == expected else f"FAIL (expected {expected})"
            failures += outcome != expected
            print(f"card ending {number[-4:]}: {outcome:<23} {verdict}")
            #> card ending 1111: succeeded               ok
            #> card ending 4444: succeeded               ok
            #> card ending 0005: succeeded               ok
            #> card ending 0015: insufficient_funds      ok
            #> card ending 0023: expired_card            ok
            #> card ending 0031: generic_decline         ok
            #> card ending 0049: incorrect_cvc           ok
            #> card ending 0056: lost_card               ok
            #> card ending 0064: stolen_card             ok
            #> card ending 0072: do_not_honor            ok
            #> card ending 0080: card_velocity_exceeded  ok
            #> card ending 0098: fraudulent              ok
            #> card ending 0106: processing_error        ok
            #> card ending 0114: authentication_required ok
            #> card ending 0122: succeeded               ok
            #> card ending 0130: authentication_required ok
            #> card ending 0148: succeeded               ok

        # Refund scenario: the first card's payment is refunded in full.
        payment_id = client.get("/payments", params={"reference": "scenario-1111"}).json()["data"][
            0
        ]["id"]
        refund = client.post(
            "/refunds",
            json={"payment": payment_id},
            headers={"Idempotency-Key": "refund-scenario-1111-1"},
        ).json()
        print(f"refund of {refund['amount']} {refund['currency']}: {refund['status']}")
        #> refund of 1000 EUR: succeeded
    except httpx.HTTPError as error:
        sys.exit(f"could not reach Flowlix: {error!r}")

if failures:
    sys.exit(f"{failures} scenarios did not behave as expected")
print("all", len(TEST_CARDS), "test cards behaved as expected")
#> all 17 test cards behaved as expected
