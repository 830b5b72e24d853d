"""Turn a decline_code into a message that is safe and useful to show the customer."""

import logging
import os
import sys

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
logger = logging.getLogger("shop.payments")

GENERIC_MESSAGE = "Your card was declined. Please use a different card or contact your bank."

# Fraud-related codes get the generic message: never tell a customer why.
CUSTOMER_MESSAGES = {
    "insufficient_funds": "Your card has insufficient funds. Please use a different card.",
    "expired_card": "Your card has expired. Please use a different card.",
    "generic_decline": GENERIC_MESSAGE,
    "incorrect_cvc": "Your card's security code is incorrect. Please check it and try again.",
    "lost_card": GENERIC_MESSAGE,
    "stolen_card": GENERIC_MESSAGE,
    "do_not_honor": GENERIC_MESSAGE,
    "card_velocity_exceeded": (
        "Your card has reached its spending limit. "
        "Please use a different card or contact your bank."
    ),
    "fraudulent": GENERIC_MESSAGE,
    "processing_error": "We could not process your card. Please try again in a moment.",
    "authentication_required": (
        "Your bank needs you to confirm this payment. "
        "Please try again and complete the verification."
    ),
    "authentication_failed": (
        "We could not confirm this payment with your bank. "
        "Please try again or use a different card."
    ),
    "test_mode_live_card": GENERIC_MESSAGE,
}


# --8<-- [start:focus]
def customer_message(decline_code: str | None) -> str:
    """The message for the checkout page; unknown or new codes get the generic one."""
    return CUSTOMER_MESSAGES.get(decline_code or "", GENERIC_MESSAGE)


# --8<-- [end:focus]
def flowlix_client() -> httpx.Client:
    api_key = os.environ.get("FLOWLIX_API_KEY")
    if not api_key:
        sys.exit("FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.")
    return httpx.Client(
        base_url=API_BASE,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=httpx.Timeout(10.0, connect=5.0),
    )


def pay(client: httpx.Client, order_id: str, card: dict) -> str:
    """Charge the order; return what the checkout page should say."""
    response = client.post(
        "/payments",
        json={"amount": 4999, "currency": "EUR", "card": card, "reference": order_id},
        headers={"Idempotency-Key": f"payment-{order_id}-1"},
    )
    request_id = response.headers.get("Flowlix-Request-Id")
    if response.status_code == 402:
        error = response.json()["error"]
        # Keep the real reason for your own team, with the request id for support.
        logger.warning("%s declined: %s request_id=%s", order_id, error["decline_code"], request_id)
        return customer_message(error["decline_code"])
    response.raise_for_status()
    logger.info("%s paid request_id=%s", order_id, request_id)
    return "Thank you, your payment was received."


cards = {
    "order-3001": "4000040000010015",  # insufficient_funds
    "order-3002": "4000040000010049",  # incorrect_cvc
    "order-3003": "4000040000010098",  # fraudulent: the customer sees the generic message
    "order-3004": "4111111111111111",
}
with flowlix_client() as client:
    for order_id, number in cards.items():
        card = {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}
        try:
            print(order_id, pay(client, order_id, card))
            #> order-3001 Your card has insufficient funds. Please use a different card.
            #> order-3002 Your card's security code is incorrect. Please check it and try again.
            #> order-3003 Your card was declined. Please use a different card or contact your bank.
            #> order-3004 Thank you, your payment was received.
        except httpx.HTTPError as error:
            sys.exit(f"payment for {order_id} failed: {error!r}")
