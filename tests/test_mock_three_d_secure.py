"""3-D Secure on the Direct API (contract section 16), over real HTTPS, bullet by bullet; the
challenge page answered in a real Chromium; the same cards on the Hosted Payment Page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from flowlix_mock import catalog
from flowlix_mock.testing import MockServer, new_test_key
from mock_helpers import MerchantServer, chromium_trusting

CHALLENGE = "4000040000010114"
CHALLENGE_THEN_DECLINE = "4000040000010130"
FRICTIONLESS = "4000040000010122"
EXEMPTION = "4000040000010148"
VISA = "4111111111111111"
RETURN_URL = "https://shop.example/orders/42/return?lang=en"
LIFETIME = catalog.LIMITS.three_d_secure_challenge_lifetime_seconds


def card(number: str) -> dict:
    return {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}


def body(number: str = CHALLENGE, **overrides) -> dict:
    payment = {"amount": 4999, "currency": "EUR", "card": card(number), "reference": "order-42"}
    return payment | {"return_url": RETURN_URL} | overrides


@pytest.fixture
def client(flowlix_mock: MockServer) -> Iterator[httpx.Client]:
    with flowlix_mock.client(new_test_key()) as api:
        yield api


@pytest.fixture
def browser_client(flowlix_mock: MockServer) -> Iterator[httpx.Client]:
    """The customer's browser, without JavaScript: GETs pages and posts their forms."""
    with httpx.Client(verify=flowlix_mock.ssl_context(), timeout=10) as browser:
        yield browser


class ChallengeForm(HTMLParser):
    """The challenge page's form: where it posts, its hidden fields, its buttons by label."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.action, self.fields, self.buttons, self._button = None, {}, {}, None
        self.scripts = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self.scripts += 1
        elif tag == "form":
            self.action = attributes.get("action")
            assert attributes.get("method") == "post"
        elif tag == "input" and attributes.get("type") == "hidden":
            self.fields[attributes["name"]] = attributes.get("value", "")
        elif tag == "button":
            self._button = (attributes.get("name"), attributes.get("value"))

    def handle_data(self, data: str) -> None:
        if self._button and data.strip():
            self.buttons[data.strip()] = self._button
            self._button = None


def answer(browser: httpx.Client, url: str, button: str) -> httpx.Response:
    page = browser.get(url)
    assert page.status_code == 200, page.text
    form = ChallengeForm(page.text)
    name, value = form.buttons[button]
    return browser.post(urljoin(url, form.action), data=form.fields | {name: value})


def events(client: httpx.Client) -> list[tuple[str, str, str]]:
    listed = client.get("/events", params={"limit": 100}).json()["data"]
    return [(e["type"], e["data"]["object"]["id"], e["data"]["object"]["status"]) for e in listed]


# --- return_url ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "return_url",
    ["https://shop.example/return", "http://localhost:8000/return", "http://127.0.0.1/r?x=1"],
)
def test_return_url_takes_https_and_local_test_urls(client, return_url):
    response = client.post("/payments", json=body(return_url=return_url))
    assert response.status_code == 201, response.text
    assert response.json()["next_action"]["return_url"] == return_url


@pytest.mark.parametrize(
    "return_url",
    [
        "http://shop.example/return",
        "/orders/42/return",
        "ftp://shop.example/",
        "https://",
        "https://shop.example/" + "x" * catalog.LIMITS.url_max_length,
        42,
    ],
)
def test_a_bad_return_url_is_parameter_invalid_and_creates_nothing(client, return_url):
    response = client.post("/payments", json=body(return_url=return_url))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("parameter_invalid", "return_url")
    assert client.get("/payments").json()["data"] == []


# --- without return_url: revision 1 exactly -------------------------------------------------


@pytest.mark.parametrize("number", [CHALLENGE, CHALLENGE_THEN_DECLINE])
def test_without_return_url_a_challenge_card_is_declined_as_before(client, number):
    payment = body(number)
    del payment["return_url"]
    response = client.post("/payments", json=payment)
    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error",
        "card_declined",
        "authentication_required",
    )
    assert error["doc_url"].endswith("/decline-codes/#authentication_required")
    stored = client.get(f"/payments/{error['payment_id']}").json()
    assert (stored["status"], stored["decline_code"]) == ("failed", "authentication_required")
    assert stored["next_action"] is None
    assert [kind for kind, _, _ in events(client)] == ["payment.failed"]


@pytest.mark.parametrize("number", [VISA, "4000040000010015"])
def test_other_cards_have_no_three_d_secure(client, number):
    response = client.post("/payments", json=body(number))
    payment = response.json() if response.status_code == 201 else None
    if payment is None:
        payment = client.get(f"/payments/{response.json()['error']['payment_id']}").json()
    assert payment["three_d_secure"] is None
    assert payment["next_action"] is None


# --- frictionless and exemption ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "flow", "result", "shift"),
    [
        (FRICTIONLESS, "frictionless", "authenticated", True),
        (EXEMPTION, "exemption", "exempted", False),
    ],
)
@pytest.mark.parametrize("with_return_url", [True, False])
def test_frictionless_and_exempted_cards_succeed_at_once(
    client, number, flow, result, shift, with_return_url
):
    payment = body(number)
    if not with_return_url:
        del payment["return_url"]
    created = client.post("/payments", json=payment)
    assert created.status_code == 201
    assert created.json()["status"] == "succeeded"
    assert created.json()["three_d_secure"] == {
        "version": catalog.THREE_D_SECURE_VERSION,
        "flow": flow,
        "result": result,
        "liability_shift": shift,
    }
    assert created.json()["next_action"] is None
    assert [kind for kind, _, _ in events(client)] == ["payment.succeeded"]


# --- requires_action ----------------------------------------------------------------------------


def test_a_challenge_card_with_return_url_requires_action(client, flowlix_mock):
    created = client.post("/payments", json=body())
    assert created.status_code == 201
    payment = created.json()
    assert payment["status"] == "requires_action"
    assert (payment["failure_code"], payment["decline_code"]) == (None, None)
    assert payment["amount_refunded"] == 0 and payment["refunded"] is False
    assert payment["three_d_secure"] == {
        "version": catalog.THREE_D_SECURE_VERSION,
        "flow": "challenge",
        "result": None,
        "liability_shift": False,
    }
    action = payment["next_action"]
    assert set(action) == {"type", "url", "return_url", "expires_at"}
    assert action["type"] == "redirect_to_url"
    assert action["url"].startswith(flowlix_mock.origin + "/")
    assert action["return_url"] == RETURN_URL
    assert action["expires_at"] == payment["created"] + LIFETIME
    assert CHALLENGE not in created.text

    # Listable, retrievable as it is, never refundable, and no event yet.
    assert client.get(f"/payments/{payment['id']}").json() == payment
    listed = client.get("/payments", params={"status": "requires_action"}).json()["data"]
    assert [item["id"] for item in listed] == [payment["id"]]
    assert client.get("/payments", params={"status": "succeeded"}).json()["data"] == []
    refund = client.post("/refunds", json={"payment": payment["id"]})
    assert refund.status_code == 400
    assert refund.json()["error"]["code"] == "payment_not_refundable"
    assert events(client) == []


def test_the_challenge_page_shows_the_amount_with_no_script_and_the_hosted_page_headers(
    client, browser_client
):
    payment = client.post("/payments", json=body(amount=123456, currency="JPY")).json()
    page = browser_client.get(payment["next_action"]["url"])
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert catalog.format_amount(123456, "JPY") in page.text
    form = ChallengeForm(page.text)
    assert form.scripts == 0 and "<script" not in page.text.lower()
    assert set(form.buttons) == {"Complete authentication", "Fail authentication"}
    assert len(form.fields) == 1 and all(len(token) >= 20 for token in form.fields.values())
    assert CHALLENGE not in page.text and CHALLENGE[-4:] in page.text
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in page.headers["content-security-policy"].split("; ")
    }
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'", "https://shop.example"]
    assert "script-src" not in policy
    for header, value in {
        "cache-control": "no-store",
        "referrer-policy": "no-referrer",
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
    }.items():
        assert page.headers[header] == value
    assert re.fullmatch(r"req_[A-Za-z0-9]{16,}", page.headers["flowlix-request-id"])
    # Each view of the page gets its own token.
    again = ChallengeForm(browser_client.get(payment["next_action"]["url"]).text)
    assert again.fields != form.fields


@pytest.mark.parametrize(
    ("number", "button", "status", "decline_code", "result"),
    [
        (CHALLENGE, "Complete authentication", "succeeded", None, "authenticated"),
        (
            CHALLENGE_THEN_DECLINE,
            "Complete authentication",
            "failed",
            "insufficient_funds",
            "authenticated",
        ),
        (CHALLENGE, "Fail authentication", "failed", "authentication_failed", "failed"),
        (
            CHALLENGE_THEN_DECLINE,
            "Fail authentication",
            "failed",
            "authentication_failed",
            "failed",
        ),
    ],
)
def test_answering_the_challenge_redirects_back_and_settles_the_payment(
    client, browser_client, number, button, status, decline_code, result
):
    created = client.post("/payments", json=body(number), headers={"Idempotency-Key": "pay-42"})
    payment = created.json()
    assert events(client) == []

    answered = answer(browser_client, payment["next_action"]["url"], button)
    assert answered.status_code == 303
    location = urlsplit(answered.headers["location"])
    assert (location.scheme, location.netloc, location.path) == (
        "https",
        "shop.example",
        "/orders/42/return",
    )
    assert parse_qs(location.query) == {"lang": ["en"], "payment_id": [payment["id"]]}

    settled = client.get(f"/payments/{payment['id']}").json()
    assert settled["status"] == status
    assert settled["decline_code"] == decline_code
    assert settled["failure_code"] == ("card_declined" if decline_code else None)
    assert settled["next_action"] is None
    assert settled["three_d_secure"] == {
        "version": catalog.THREE_D_SECURE_VERSION,
        "flow": "challenge",
        "result": result,
        "liability_shift": result == "authenticated",
    }
    # One event, at the final status.
    kind = "payment.succeeded" if status == "succeeded" else "payment.failed"
    assert events(client) == [(kind, payment["id"], status)]

    # The stored create is replayed as it was; nothing new is created.
    replay = client.post("/payments", json=body(number), headers={"Idempotency-Key": "pay-42"})
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == payment
    assert len(client.get("/payments").json()["data"]) == 1
    if status == "succeeded":
        refund = client.post("/refunds", json={"payment": payment["id"]})
        assert refund.status_code == 201


def test_a_used_token_and_an_answered_challenge_are_409_closed(client, browser_client):
    payment = client.post("/payments", json=body()).json()
    url = payment["next_action"]["url"]
    form = ChallengeForm(browser_client.get(url).text)
    first = browser_client.post(urljoin(url, form.action), data=form.fields | {"result": "fail"})
    assert first.status_code == 303

    replayed = browser_client.post(
        urljoin(url, form.action), data=form.fields | {"result": "complete"}
    )
    assert replayed.status_code == 409
    assert "closed" in replayed.text
    reopened = browser_client.get(url)
    assert reopened.status_code == 409 and "closed" in reopened.text
    assert (
        client.get(f"/payments/{payment['id']}").json()["decline_code"] == "authentication_failed"
    )
    assert len(events(client)) == 1


def test_a_token_from_an_earlier_view_cannot_answer_twice(client, browser_client):
    payment = client.post("/payments", json=body()).json()
    url = payment["next_action"]["url"]
    older = ChallengeForm(browser_client.get(url).text)
    newer = ChallengeForm(browser_client.get(url).text)
    assert (
        browser_client.post(
            urljoin(url, newer.action), data=newer.fields | {"result": "complete"}
        ).status_code
        == 303
    )
    late = browser_client.post(urljoin(url, older.action), data=older.fields | {"result": "fail"})
    assert late.status_code == 409
    assert client.get(f"/payments/{payment['id']}").json()["status"] == "succeeded"


def test_a_forged_token_changes_nothing(client, browser_client, flowlix_mock):
    payment = client.post("/payments", json=body()).json()
    url = payment["next_action"]["url"]
    form = ChallengeForm(browser_client.get(url).text)
    forged = {name: "x" * 32 for name in form.fields} | {"result": "complete"}
    assert browser_client.post(urljoin(url, form.action), data=forged).status_code == 400
    assert client.get(f"/payments/{payment['id']}").json()["status"] == "requires_action"
    unknown = browser_client.get(urljoin(url, "3ds_doesnotexist"))
    assert unknown.status_code == 404


def test_an_unanswered_challenge_expires_after_an_hour_of_the_account_clock(client, browser_client):
    payment = client.post("/payments", json=body()).json()
    url = payment["next_action"]["url"]
    form = ChallengeForm(browser_client.get(url).text)

    client.post("/test_helpers/clock/advance", json={"seconds": LIFETIME - 1})
    assert client.get(f"/payments/{payment['id']}").json()["status"] == "requires_action"
    assert events(client) == []

    client.post("/test_helpers/clock/advance", json={"seconds": 1})
    # The event comes with the clock, before anyone looks at the payment.
    assert events(client) == [("payment.failed", payment["id"], "failed")]
    expired = client.get(f"/payments/{payment['id']}").json()
    assert (expired["status"], expired["failure_code"], expired["decline_code"]) == (
        "failed",
        "card_declined",
        "authentication_required",
    )
    assert expired["next_action"] is None
    assert expired["three_d_secure"]["result"] is None
    assert client.get("/payments", params={"status": "requires_action"}).json()["data"] == []

    late = browser_client.post(urljoin(url, form.action), data=form.fields | {"result": "complete"})
    assert late.status_code == 409 and "closed" in late.text
    assert len(events(client)) == 1


def test_challenges_are_per_account(flowlix_mock, browser_client):
    with flowlix_mock.client(new_test_key()) as alice, flowlix_mock.client(new_test_key()) as bob:
        payment = alice.post("/payments", json=body()).json()
        assert bob.get(f"/payments/{payment['id']}").status_code == 404
        bob.post("/test_helpers/clock/advance", json={"seconds": LIFETIME})
        assert alice.get(f"/payments/{payment['id']}").json()["status"] == "requires_action"
        assert (
            answer(
                browser_client, payment["next_action"]["url"], "Complete authentication"
            ).status_code
            == 303
        )
        assert alice.get(f"/payments/{payment['id']}").json()["status"] == "succeeded"


def test_the_card_number_is_never_logged(client, browser_client, flowlix_mock):
    payment = client.post("/payments", json=body()).json()
    answer(browser_client, payment["next_action"]["url"], "Complete authentication")
    assert CHALLENGE not in flowlix_mock.log_text()


def test_authentication_failed_is_in_the_catalog_with_every_column():
    item = catalog.DECLINE_CODES_BY_CODE["authentication_failed"]
    assert (item.code, item.retry, item.who_acts) == ("card_declined", "soft", "customer")
    assert item.meaning and item.next_step
    assert "try again" in item.customer_message and "different card" in item.customer_message
    assert "Idempotency-Key" in item.next_step and "another card" in item.next_step


# --- in a real browser ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def merchant() -> Iterator[MerchantServer]:
    server = MerchantServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def challenge_browser(chromium_launch_options: dict, flowlix_mock: MockServer) -> Iterator[Browser]:
    with chromium_trusting(chromium_launch_options, flowlix_mock) as launched:
        yield launched


@pytest.fixture
def page(challenge_browser: Browser) -> Iterator[Page]:
    context = challenge_browser.new_context(java_script_enabled=False)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize(
    ("button", "status", "decline_code"),
    [
        ("Complete authentication", "succeeded", None),
        ("Fail authentication", "failed", "authentication_failed"),
    ],
)
def test_a_customer_answers_the_challenge_in_chromium(
    client, merchant, page, button, status, decline_code
):
    return_url = f"{merchant.origin}/orders/42/return?lang=en"
    payment = client.post("/payments", json=body(return_url=return_url)).json()

    page.goto(payment["next_action"]["url"])
    expect(page.get_by_role("heading", level=1)).to_contain_text("Confirm")
    expect(page.get_by_text(catalog.format_amount(4999, "EUR"))).to_be_visible()
    page.get_by_role("button", name=button).click()
    page.wait_for_url(f"{merchant.origin}/orders/42/return?*")
    assert parse_qs(urlsplit(page.url).query) == {"lang": ["en"], "payment_id": [payment["id"]]}
    expect(page.get_by_role("heading", level=1)).to_have_text("Back at the shop")

    settled = client.get(f"/payments/{payment['id']}").json()
    assert (settled["status"], settled["decline_code"]) == (status, decline_code)

    page.go_back()
    page.reload()
    expect(page.get_by_text(re.compile("closed", re.I)).first).to_be_visible()


@pytest.mark.browser
def test_the_challenge_and_closed_pages_are_accessible(client, merchant, challenge_browser):
    return_url = f"{merchant.origin}/orders/42/return"
    payment = client.post("/payments", json=body(return_url=return_url)).json()
    context = challenge_browser.new_context()  # axe-core runs as a script
    try:
        page = context.new_page()
        page.goto(payment["next_action"]["url"])
        assert Axe().run(page).violations_count == 0
        page.get_by_role("button", name="Fail authentication").click()
        page.wait_for_url(f"{return_url}?*")
        page.goto(payment["next_action"]["url"])
        expect(page.get_by_role("heading", level=1)).to_have_text("This authentication is closed")
        assert Axe().run(page).violations_count == 0
    finally:
        context.close()


# --- the same cards on the Hosted Payment Page ----------------------------------------------


def pay_on_hosted_page(browser: httpx.Client, url: str, number: str) -> httpx.Response:
    assert browser.get(url).status_code == 200
    return browser.post(url, data={"card_number": number, "expiry": "12/30", "cvc": "123"})


@pytest.mark.parametrize(
    ("number", "flow", "result"),
    [(FRICTIONLESS, "frictionless", "authenticated"), (EXEMPTION, "exemption", "exempted")],
)
def test_hosted_page_pays_frictionless_and_exempted_cards_at_once(
    client, browser_client, number, flow, result
):
    session = client.post(
        "/checkout/sessions",
        json={
            "amount": 4999,
            "currency": "EUR",
            "success_url": "https://shop.example/ok",
            "cancel_url": "https://shop.example/cancel",
        },
    ).json()
    paid = pay_on_hosted_page(browser_client, session["url"], number)
    assert paid.status_code == 303
    session = client.get(f"/checkout/sessions/{session['id']}").json()
    payment = client.get(f"/payments/{session['payment']}").json()
    assert payment["three_d_secure"]["flow"] == flow
    assert payment["three_d_secure"]["result"] == result


def test_hosted_page_challenge_then_issuer_decline_shows_the_decline_message(
    client, browser_client
):
    session = client.post(
        "/checkout/sessions",
        json={
            "amount": 4999,
            "currency": "EUR",
            "success_url": "https://shop.example/ok",
            "cancel_url": "https://shop.example/cancel",
        },
    ).json()
    challenge = pay_on_hosted_page(browser_client, session["url"], CHALLENGE_THEN_DECLINE)
    assert challenge.status_code == 200 and "Complete authentication" in challenge.text
    form = ChallengeForm(challenge.text)
    name, value = form.buttons["Complete authentication"]
    declined = browser_client.post(
        urljoin(session["url"], form.action), data=form.fields | {name: value}
    )
    assert declined.status_code == 402
    assert catalog.customer_message("insufficient_funds") in declined.text
    assert client.get(f"/checkout/sessions/{session['id']}").json()["status"] == "open"
    [payment] = client.get("/payments").json()["data"]
    assert payment["decline_code"] == "insufficient_funds"
    assert payment["three_d_secure"]["result"] == "authenticated"
