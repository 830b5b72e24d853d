"""The Hosted Payment Page, driven in real Chromium: the whole redirect cycle a merchant tests.

A session is created over the API, its `url` is opened in the browser, the customer pays (or is
declined, authenticates, cancels, or waits too long), and the browser lands on a small merchant
server on loopback. The merchant then confirms with `GET /v1/checkout/sessions/{id}`, exactly as
the docs say it must.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from flowlix_mock import catalog
from flowlix_mock.testing import MockServer, new_test_key, start_mock
from mock_helpers import MerchantServer, chromium_trusting

pytestmark = pytest.mark.browser

SUCCESS_CARD = "4111111111111111"
FUTURE_EXPIRY = "12/39"
THREE_DS_CARD = next(
    card
    for card in catalog.TEST_CARDS
    if card.three_d_secure == "challenge" and card.after_challenge_decline_code is None
)
PAGE_DECLINES = [
    card for card in catalog.TEST_CARDS if card.outcome == "decline" and card.hosted_page is None
]
FRAUD_WORDS = ("stolen", "theft", "lost", "fraud")


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with start_mock() as server:
        yield server


@pytest.fixture(scope="module")
def merchant() -> Iterator[MerchantServer]:
    server = MerchantServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def browser(chromium_launch_options: dict, mock: MockServer) -> Iterator[Browser]:
    with chromium_trusting(chromium_launch_options, mock) as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, mock: MockServer) -> Iterator[Page]:
    context = browser.new_context()
    opened = context.new_page()
    problems: list[str] = []
    opened.on(
        "console",
        lambda message: problems.append(message.text)
        if "Content Security Policy" in message.text
        else None,
    )
    requested: list[str] = []
    opened.on("request", lambda request: requested.append(request.url))
    yield opened
    context.close()
    assert problems == [], "the page broke its own Content-Security-Policy"
    foreign = [
        url
        for url in requested
        if not url.startswith((mock.origin, "http://127.0.0.1:", "https://docs.flowlix.eu/"))
    ]
    assert foreign == [], "the page fetched something from another host"


@pytest.fixture
def client(mock: MockServer) -> Iterator[httpx.Client]:
    with mock.client(new_test_key()) as api:
        yield api


def create_session(client: httpx.Client, merchant: MerchantServer, **overrides) -> dict:
    body = {
        "amount": 4999,
        "currency": "eur",
        "success_url": f"{merchant.origin}/orders/42/paid?lang=en",
        "cancel_url": f"{merchant.origin}/orders/42/cart",
        "reference": "order-42",
        "description": "Ceramic mug <handmade> & saucer",
    } | overrides
    response = client.post("/checkout/sessions", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def fill_card(page: Page, number: str, expiry: str = FUTURE_EXPIRY, cvc: str = "123") -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry date").fill(expiry)
    page.get_by_label("CVC").fill(cvc)
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()


def payments_of(client: httpx.Client, reference: str = "order-42") -> list[dict]:
    return client.get("/payments", params={"reference": reference, "limit": 100}).json()["data"]


# --- the API ----------------------------------------------------------------------------------


def test_session_has_the_contract_fields(client, merchant, mock):
    session = create_session(client, merchant)
    assert session["id"].startswith("cs_")
    assert session["object"] == "checkout_session"
    assert session["url"] == f"{mock.origin}/pay/{session['id']}"
    assert (session["status"], session["payment_status"], session["payment"]) == (
        "open",
        "unpaid",
        None,
    )
    assert (session["amount"], session["currency"], session["reference"]) == (
        4999,
        "EUR",
        "order-42",
    )
    assert session["expires_at"] - session["created"] == (
        catalog.LIMITS.checkout_session_lifetime_seconds
    )
    assert client.get(f"/checkout/sessions/{session['id']}").json() == session
    with mock.client(new_test_key()) as stranger:
        missing = stranger.get(f"/checkout/sessions/{session['id']}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "resource_missing"


def test_session_creation_is_idempotent(client, merchant):
    body = {
        "amount": 1500,
        "currency": "EUR",
        "success_url": "https://shop.example/paid",
        "cancel_url": "https://shop.example/cart",
    }
    headers = {"Idempotency-Key": "checkout-order-77"}
    first = client.post("/checkout/sessions", json=body, headers=headers)
    again = client.post("/checkout/sessions", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]


GOOD = {
    "amount": 4999,
    "currency": "EUR",
    "success_url": "https://shop.example/paid",
    "cancel_url": "http://localhost:8000/cart",
}


@pytest.mark.parametrize(
    ("change", "code", "param"),
    [
        ({"success_url": None}, "parameter_missing", "success_url"),
        ({"cancel_url": None}, "parameter_missing", "cancel_url"),
        ({"success_url": "http://shop.example/paid"}, "parameter_invalid", "success_url"),
        ({"cancel_url": "ftp://shop.example/cart"}, "parameter_invalid", "cancel_url"),
        ({"success_url": "/paid"}, "parameter_invalid", "success_url"),
        ({"success_url": "javascript:alert(1)"}, "parameter_invalid", "success_url"),
        ({"success_url": "https://user:pw@shop.example/"}, "parameter_invalid", "success_url"),
        ({"success_url": "https://shop.example/a b"}, "parameter_invalid", "success_url"),
        ({"success_url": 42}, "parameter_invalid", "success_url"),
        ({"currency": "XYZ"}, "parameter_invalid", "currency"),
        ({"currency": None}, "parameter_missing", "currency"),
        ({"amount": 49.99}, "parameter_invalid", "amount"),
        ({"amount": "4999"}, "parameter_invalid", "amount"),
        ({"amount": 0}, "parameter_invalid", "amount"),
        ({"amount": None}, "parameter_missing", "amount"),
        ({"amount": 1005, "currency": "KWD"}, "amount_invalid_for_currency", "amount"),
        ({"description": "x" * 501}, "parameter_invalid", "description"),
        ({"reference": "x" * 101}, "parameter_invalid", "reference"),
        ({"customer": "cus_1"}, "parameter_unknown", "customer"),
    ],
    ids=str,
)
def test_bad_session_input_is_a_400(client, change, code, param):
    body = {name: value for name, value in (GOOD | change).items() if value is not None}
    response = client.post("/checkout/sessions", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == (code, param)
    assert code in catalog.ERROR_CODES_BY_CODE


def test_session_needs_an_api_key(mock):
    response = httpx.post(
        f"{mock.base_url}/checkout/sessions", json=GOOD, verify=mock.ssl_context()
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "api_key_missing"


# --- the page ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [(4999, "EUR", "49.99 EUR"), (500, "JPY", "500 JPY"), (1000, "KWD", "1.000 KWD")],
)
def test_page_shows_the_amount_for_its_currency(client, merchant, mock, amount, currency, shown):
    session = create_session(client, merchant, amount=amount, currency=currency)
    response = httpx.get(session["url"], verify=mock.ssl_context())
    assert response.status_code == 200
    assert f"<h1>Pay {shown}</h1>" in response.text
    assert f">Pay {shown}</button>" in response.text


def test_page_headers(client, merchant, mock):
    session = create_session(client, merchant)
    response = httpx.get(session["url"], verify=mock.ssl_context())
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert re.fullmatch(r"req_[A-Za-z0-9]{16,}", response.headers["flowlix-request-id"])
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in response.headers["content-security-policy"].split("; ")
    }
    assert policy["default-src"] == ["'none'"]
    assert policy["form-action"] == ["'self'", merchant.origin]
    assert policy["frame-ancestors"] == ["'none'"]
    assert all(source.startswith("'sha256-") for source in policy["style-src"])
    assert "script-src" not in policy
    assert response.headers["cache-control"] == "no-store"
    unknown = httpx.get(f"{mock.origin}/pay/cs_doesnotexist", verify=mock.ssl_context())
    assert unknown.status_code == 404
    assert "Payment page not found" in unknown.text


def test_pay_with_a_success_card_lands_on_the_shop_and_the_session_is_paid(page, client, merchant):
    session = create_session(client, merchant, description="<script>alert('x')</script> Mug & co")
    response = page.goto(session["url"])
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.get_by_role("main")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay 49.99 EUR")
    expect(page.get_by_text("Test mode", exact=False).first).to_be_visible()
    expect(page.get_by_text("<script>alert('x')</script> Mug & co")).to_be_visible()
    assert page.locator("script").count() == 0
    for label in ("Card number", "Expiry date", "CVC"):
        expect(page.get_by_label(label)).to_be_visible()
    expect(page.get_by_role("button", name="Pay 49.99 EUR")).to_be_visible()
    expect(page.get_by_role("link", name="Cancel")).to_be_visible()

    fill_card(page, SUCCESS_CARD)
    page.wait_for_url(f"{merchant.origin}/orders/42/paid?*")
    expect(page.get_by_role("heading", name="Back at the shop")).to_be_visible()
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"lang": ["en"], "session_id": [session["id"]]}

    confirmed = client.get(f"/checkout/sessions/{session['id']}").json()
    assert (confirmed["status"], confirmed["payment_status"]) == ("complete", "paid")
    payment = client.get(f"/payments/{confirmed['payment']}").json()
    assert (payment["status"], payment["amount"], payment["currency"]) == (
        "succeeded",
        4999,
        "EUR",
    )
    assert payment["card"]["last4"] == "1111"

    # Back to the page: it says the payment is done and offers no form to pay again.
    page.goto(session["url"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment complete")
    expect(page.get_by_label("Card number")).to_have_count(0)


def test_a_completed_session_cannot_be_paid_twice(page, client, merchant, mock):
    session = create_session(client, merchant)
    page.goto(session["url"])
    fill_card(page, SUCCESS_CARD)
    page.wait_for_url(f"{merchant.origin}/**")
    # The same form posted again, as a double submit or the back button would.
    again = httpx.post(
        session["url"],
        data={"card_number": SUCCESS_CARD, "expiry": FUTURE_EXPIRY, "cvc": "123"},
        verify=mock.ssl_context(),
    )
    assert again.status_code == 409
    assert "Payment complete" in again.text
    assert 'name="card_number"' not in again.text
    assert [payment["status"] for payment in payments_of(client)] == ["succeeded"]


def test_each_decline_shows_its_customer_safe_message(page, client, merchant):
    session = create_session(client, merchant)
    page.goto(session["url"])
    for card in PAGE_DECLINES:
        fill_card(page, card.number, cvc="1" * card.cvc_length)
        alert = page.get_by_role("alert")
        expect(alert).to_have_text(catalog.customer_message(card.decline_code))
        text = page.locator("body").inner_text().lower()
        if card.decline_code in catalog.FRAUD_DECLINE_CODES:
            assert not any(word in text for word in FRAUD_WORDS), card.decline_code
        assert card.decline_code not in text
        # What the customer typed is kept, except the card number and the CVC.
        expect(page.get_by_label("Expiry date")).to_have_value(FUTURE_EXPIRY)
        expect(page.get_by_label("Card number")).to_have_value("")
        expect(page.get_by_label("CVC")).to_have_value("")

    # Every attempt is a failed payment; the session stays open for another card.
    still = client.get(f"/checkout/sessions/{session['id']}").json()
    assert (still["status"], still["payment_status"], still["payment"]) == ("open", "unpaid", None)
    failed = payments_of(client)
    assert [payment["decline_code"] for payment in reversed(failed)] == [
        card.decline_code for card in PAGE_DECLINES
    ]
    assert {payment["status"] for payment in failed} == {"failed"}
    fill_card(page, SUCCESS_CARD)
    page.wait_for_url(f"{merchant.origin}/orders/42/paid?*")
    assert client.get(f"/checkout/sessions/{session['id']}").json()["status"] == "complete"


def test_three_d_secure_complete_pays(page, client, merchant):
    session = create_session(client, merchant)
    page.goto(session["url"])
    fill_card(page, THREE_DS_CARD.number)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Confirm this payment")
    page.get_by_role("button", name="Complete authentication").click()
    page.wait_for_url(f"{merchant.origin}/orders/42/paid?*")
    assert parse_qs(urlsplit(page.url).query)["session_id"] == [session["id"]]
    confirmed = client.get(f"/checkout/sessions/{session['id']}").json()
    assert confirmed["payment_status"] == "paid"
    payment = client.get(f"/payments/{confirmed['payment']}").json()
    assert payment["status"] == "succeeded"
    assert payment["card"]["last4"] == THREE_DS_CARD.last4


def test_three_d_secure_fail_declines_and_the_answer_is_one_use(page, client, merchant, mock):
    session = create_session(client, merchant)
    page.goto(session["url"])
    fill_card(page, THREE_DS_CARD.number)
    token = page.locator("input[name=challenge]").get_attribute("value")
    page.get_by_role("button", name="Fail authentication").click()
    # Contract section 16: a failed challenge is `authentication_failed`, as on the Direct API.
    expect(page.get_by_role("alert")).to_have_text(
        catalog.customer_message("authentication_failed")
    )
    expect(page.get_by_label("Card number")).to_be_visible()
    [failed] = payments_of(client)
    assert failed["decline_code"] == "authentication_failed"
    assert failed["three_d_secure"]["result"] == "failed"

    replayed = httpx.post(
        f"{session['url']}/3ds",
        data={"challenge": token, "result": "complete"},
        verify=mock.ssl_context(),
    )
    assert replayed.status_code == 400
    assert len(payments_of(client)) == 1
    assert client.get(f"/checkout/sessions/{session['id']}").json()["status"] == "open"


def test_cancel_returns_to_the_shop_and_the_session_stays_open(page, client, merchant):
    session = create_session(client, merchant)
    page.goto(session["url"])
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_url(f"{merchant.origin}/orders/42/cart")
    expect(page.get_by_role("heading", name="Back at the shop")).to_be_visible()
    still = client.get(f"/checkout/sessions/{session['id']}").json()
    assert (still["status"], still["payment_status"]) == ("open", "unpaid")
    assert payments_of(client) == []


def test_a_session_expires_after_an_hour_of_the_account_clock(page, client, merchant, mock):
    session = create_session(client, merchant)
    advanced = client.post(
        "/test_helpers/clock/advance",
        json={"seconds": catalog.LIMITS.checkout_session_lifetime_seconds},
    )
    assert advanced.status_code == 200
    response = page.goto(session["url"])
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("This payment page has expired")
    expect(page.get_by_label("Card number")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Pay"))).to_have_count(0)

    assert client.get(f"/checkout/sessions/{session['id']}").json()["status"] == "expired"
    late = httpx.post(
        session["url"],
        data={"card_number": SUCCESS_CARD, "expiry": FUTURE_EXPIRY, "cvc": "123"},
        verify=mock.ssl_context(),
    )
    assert late.status_code == 409
    assert payments_of(client) == []
    events = client.get("/events", params={"type": "checkout.session.expired"}).json()["data"]
    assert [event["data"]["object"]["id"] for event in events] == [session["id"]]
    assert events[0]["data"]["object"]["status"] == "expired"


def test_a_session_is_open_until_its_expiry(client, merchant):
    session = create_session(client, merchant)
    client.post(
        "/test_helpers/clock/advance",
        json={"seconds": catalog.LIMITS.checkout_session_lifetime_seconds - 1},
    )
    assert client.get(f"/checkout/sessions/{session['id']}").json()["status"] == "open"
    assert client.get("/events", params={"type": "checkout.session.expired"}).json()["data"] == []


def test_form_mistakes_are_explained_next_to_each_field(page, client, merchant):
    session = create_session(client, merchant)
    page.goto(session["url"])
    fill_card(page, "4111 abcd 1111 1111", expiry="13/30", cvc="12")
    expected = {
        "Card number": "Enter the card number using digits only.",
        "Expiry date": "The month must be from 01 to 12.",
        "CVC": "Enter the 3-digit code on the back of your card.",
    }
    for label, message in expected.items():
        field = page.get_by_label(label)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_accessible_description(re.compile(re.escape(message)))
    expect(page.get_by_label("Card number")).to_be_focused()
    expect(page.get_by_label("Expiry date")).to_have_value("13/30")
    expect(page.get_by_label("Card number")).to_have_value("")
    expect(page.get_by_label("CVC")).to_have_value("")

    fill_card(page, SUCCESS_CARD, expiry="01/20")
    expiry = page.get_by_label("Expiry date")
    expect(expiry).to_have_accessible_description(re.compile("This card has expired"))
    expect(expiry).to_be_focused()
    expect(page.get_by_label("Card number")).not_to_have_attribute("aria-invalid", "true")
    assert payments_of(client) == []


def test_page_is_accessible(page, client, merchant):
    session = create_session(client, merchant)
    page.goto(session["url"])
    assert Axe().run(page).violations_count == 0
    # Focus order follows the form: number, expiry, CVC, pay, cancel.
    page.get_by_label("Card number").focus()
    for expected in (
        page.get_by_label("Expiry date"),
        page.get_by_label("CVC"),
        page.get_by_role("button", name="Pay 49.99 EUR"),
        page.get_by_role("link", name="Cancel"),
    ):
        page.keyboard.press("Tab")
        expect(expected).to_be_focused()
    fill_card(page, "4000040000010015")
    assert Axe().run(page).violations_count == 0
    fill_card(page, "x", expiry="1/1", cvc="x")
    assert Axe().run(page).violations_count == 0
