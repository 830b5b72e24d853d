"""Handle the customer's return from 3-D Secure: retrieve the payment and act on its status.

Flowlix sends the browser to your return_url with `payment_id=pay_...` added, whatever the
customer answered, and anyone can open that URL. Only the payment, fetched from the API, says
whether the order is paid.
"""

import logging
import os
import sys
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
RETURN_URL = os.environ.get("SHOP_RETURN_URL", "http://localhost:8000/payments/return")
logger = logging.getLogger("shop.payments")

GENERIC_MESSAGE = "Your card was declined. Please use a different card or contact your bank."
CUSTOMER_MESSAGES = {
    "authentication_failed": (
        "We could not confirm this payment with your bank. "
        "Please try again or use a different card."
    ),
    "authentication_required": (
        "Your bank needs you to confirm this payment. "
        "Please try again and complete the verification."
    ),
    "insufficient_funds": "Your card has insufficient funds. Please use a different card.",
}


def flowlix_client() -> httpx.Client:
    api_key = os.environ.get("FLOWLIX_API_KEY")
    if not api_key:
        sys.exit("FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.")
    return httpx.Client(
        base_url=API_BASE,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=httpx.Timeout(10.0, connect=5.0),
    )


# --8<-- [start:return]
# --8<-- [start:focus]
def handle_return(client: httpx.Client, query_string: str, orders: dict) -> str:
    """The return_url handler: returns the text for the customer's page."""
    payment_id = parse_qs(query_string).get("payment_id", [""])[0]
    # Only a payment this shop started: the id was stored with its order at creation.
    order = next((o for o in orders.values() if o["payment_id"] == payment_id), None)
    if order is None or not payment_id.startswith("pay_"):
        return "We could not find your payment."
    response = client.get(f"/payments/{payment_id}")
    logger.info(
        "payment %s: %s request_id=%s",
        payment_id,
        response.status_code,
        response.headers.get("Flowlix-Request-Id"),
    )
    response.raise_for_status()
    payment = response.json()
    if (payment["reference"], payment["amount"]) != (order["id"], order["amount"]):
        return "We could not match your payment to an order; our team will contact you."
    if payment["status"] == "succeeded":
        if order["status"] != "paid":  # fulfil once, however often the page is reloaded
            shift = payment["three_d_secure"]["liability_shift"]
            order.update(status="paid", liability_shift=shift)
        return f"Thank you! Order {order['id']} is confirmed."
    if payment["status"] == "failed":
        # The next attempt (another card, or the challenge again) gets the next key.
        order.update(status="awaiting payment", attempt=order.get("attempt", 1) + 1)
        return CUSTOMER_MESSAGES.get(payment["decline_code"], GENERIC_MESSAGE)
    # requires_action (back without answering) or a status added later: not paid.
    return "Your bank has not confirmed this payment yet."


# --8<-- [end:focus]
# --8<-- [end:return]


class _ChallengeForm(HTMLParser):
    """Test helper: reads the challenge page's form and its buttons, as a browser would."""

    def __init__(self) -> None:
        super().__init__()
        self.action, self.fields, self.buttons, self._button = "", {}, {}, None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.action = attributes.get("action", "")
        elif tag == "input" and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value") or ""
        elif tag == "button" and attributes.get("name"):
            self._button = (attributes["name"], attributes.get("value") or "")

    def handle_data(self, data: str) -> None:
        if self._button and data.strip():
            self.buttons[data.strip()] = self._button
            self._button = None


def answer_challenge(page_url: str, button: str) -> str:
    """Test mode only: press a button on the challenge page; returns where it redirects."""
    with httpx.Client(timeout=10.0) as browser:
        form = _ChallengeForm()
        form.feed(browser.get(page_url).text)
        name, value = form.buttons[button]
        # snippet-rules: idempotency-key (the customer's browser submits the challenge form)
        answer = browser.post(urljoin(page_url, form.action), data=form.fields | {name: value})
        return answer.headers.get("Location", "")


def create_payment(client: httpx.Client, order: dict, number: str) -> dict:
    """As in create_payment.py: with a return_url, and the payment id stored with the order."""
    response = client.post(
        "/payments",
        json={
            "amount": order["amount"],
            "currency": "EUR",
            "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
            "reference": order["id"],
            "return_url": RETURN_URL,
        },
        # One key per payment attempt: the attempt number is saved with the order before sending.
        headers={"Idempotency-Key": f"payment-{order['id']}-{order.get('attempt', 1)}"},
    )
    response.raise_for_status()
    payment = response.json()
    order["payment_id"] = payment["id"]
    return payment


orders = {
    order_id: {"id": order_id, "amount": 4999, "status": "awaiting payment", "payment_id": None}
    for order_id in ("order-4001", "order-4002")
}
with flowlix_client() as client:
    try:
        payment = create_payment(client, orders["order-4001"], "4000040000010114")
        print(payment["status"])
        #> requires_action

        # Back before answering the challenge (or a forged visit): nothing is fulfilled.
        print(handle_return(client, f"payment_id={payment['id']}", orders))
        #> Your bank has not confirmed this payment yet.

        redirect = answer_challenge(payment["next_action"]["url"], "Complete authentication")
        print("returned to:", urlsplit(redirect).path)
        #> returned to: /payments/return
        print(handle_return(client, urlsplit(redirect).query, orders))
        #> Thank you! Order order-4001 is confirmed.
        print(handle_return(client, urlsplit(redirect).query, orders))  # a reload
        #> Thank you! Order order-4001 is confirmed.
        order = orders["order-4001"]
        print(order["status"], order["payment_id"], "liability shift:", order["liability_shift"])
        #> paid pay_Yzs74TFTunewgIqmoD4rYs33 liability shift: True

        payment = create_payment(client, orders["order-4002"], "4000040000010114")
        redirect = answer_challenge(payment["next_action"]["url"], "Fail authentication")
        print(handle_return(client, urlsplit(redirect).query, orders))
        """
        We could not confirm this payment with your bank. Please try again or use a different card.
        """

        print(handle_return(client, "payment_id=pay_not_one_of_ours", orders))
        #> We could not find your payment.
    except httpx.HTTPError as error:
        sys.exit(f"Flowlix request failed: {error!r}")
