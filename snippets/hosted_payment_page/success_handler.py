"""Handle the customer's return to success_url: confirm with Flowlix before fulfilling.

Anyone can open `/checkout/success?session_id=...` in a browser, so the redirect proves
nothing. Fulfil only when the session, fetched from the API, says it is paid.
"""

import logging
import os
import sys
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
logger = logging.getLogger("shop.checkout")


def flowlix_client() -> httpx.Client:
    api_key = os.environ.get("FLOWLIX_API_KEY")
    if not api_key:
        sys.exit("FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.")
    return httpx.Client(
        base_url=API_BASE,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=httpx.Timeout(10.0, connect=5.0),
    )


# --8<-- [start:focus]
def handle_success_redirect(client: httpx.Client, query_string: str, orders: dict) -> str:
    """The success_url handler: returns the text for the customer's confirmation page."""
    session_id = parse_qs(query_string).get("session_id", [""])[0]
    if not session_id.startswith("cs_"):
        return "We could not find your payment."
    response = client.get(f"/checkout/sessions/{session_id}")
    logger.info(
        "session %s: %s request_id=%s",
        session_id,
        response.status_code,
        response.headers.get("Flowlix-Request-Id"),
    )
    if response.status_code == 404:
        return "We could not find your payment."
    response.raise_for_status()
    session = response.json()
    order = orders.get(session["reference"])
    if order is None or (session["amount"], session["currency"]) != (
        order["amount"],
        order["currency"],
    ):
        return "We could not match your payment to an order; our team will contact you."
    if (session["status"], session["payment_status"]) != ("complete", "paid"):
        return "Your payment is not complete yet."
    if order["status"] != "paid":  # fulfil once, however often the page is reloaded
        order.update(status="paid", payment_id=session["payment"])
    return f"Thank you! Order {session['reference']} is confirmed."


# --8<-- [end:focus]
class _FormReader(HTMLParser):
    """Test helper: finds the card form on the hosted page, as a browser would."""

    def __init__(self) -> None:
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attributes.get("action", "")
        elif tag == "input" and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value") or ""


def pay_on_hosted_page(page_url: str, card_form: dict) -> str:
    """Test mode only: fill in the hosted page like a customer; returns where it redirects."""
    with httpx.Client(timeout=10.0) as browser:
        form = _FormReader()
        form.feed(browser.get(page_url).text)
        # snippet-rules: idempotency-key (the customer's browser submits the hosted page form)
        answer = browser.post(urljoin(page_url, form.action), data=form.fields | card_form)
        return answer.headers.get("Location", "")


orders = {
    "order-1234": {
        "amount": 4999,
        "currency": "EUR",
        "status": "awaiting payment",
        "payment_id": None,
    }
}
card_form = {"card_number": "4111 1111 1111 1111", "expiry": "12/30", "cvc": "123"}
with flowlix_client() as client:
    try:
        created = client.post(
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
        created.raise_for_status()
        session = created.json()

        # A forged visit before paying does not fulfil anything.
        print(handle_success_redirect(client, f"session_id={session['id']}", orders))
        #> Your payment is not complete yet.

        redirect = pay_on_hosted_page(session["url"], card_form)
        print("redirected to:", urlsplit(redirect).path)
        #> redirected to: /checkout/success
        print(handle_success_redirect(client, urlsplit(redirect).query, orders))
        #> Thank you! Order order-1234 is confirmed.
        print(orders["order-1234"]["status"], orders["order-1234"]["payment_id"])
        #> paid pay_ZAfIgkxJra4C3VJnZ3kBWFsd
    except httpx.HTTPError as error:
        sys.exit(f"Flowlix request failed: {error!r}")
