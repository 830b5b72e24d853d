"""Language tabs (Python | Node.js | PHP | curl) on the pages that show the core flows.

The built site has the tabs, each embedding the flow's program in that language; in a real
Chromium a reader's choice holds on every page and survives a reload (Material's
`content.tabs.link`, which keeps the choice in localStorage).
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from conftest import Problems

LANGUAGES = ["Python", "Node.js", "PHP", "curl"]
# The pages that show a core flow, each with its language tabs.
TAB_PAGES = [
    "/payments/",
    "/errors/",
    "/refunds/",
    "/hosted-payment-page/",
    "/webhooks/",
    "/3d-secure/",
    "/idempotency/",
    "/decline-codes/",
    "/mock/",
]

CHOSEN_LABELS = """() => [...document.querySelectorAll('.tabbed-set')].map(set => {
  const input = set.querySelector(':scope > input:checked');
  return set.querySelector(`label[for="${input.id}"]`).textContent.trim();
})"""


def tab_sets(site: Path, path: str) -> list[list[str]]:
    """The labels of every tab set on a built page."""
    html = (site / path.strip("/") / "index.html").read_text("utf-8")
    sets = re.findall(r'<div class="tabbed-labels">(.*?)</div>', html, re.S)
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", label)).strip()
            for label in re.findall(r"<label[^>]*>(.*?)</label>", labels, re.S)
        ]
        for labels in sets
    ]


@pytest.mark.parametrize("path", TAB_PAGES)
def test_page_has_language_tabs(built_site: Path, path: str) -> None:
    sets = tab_sets(built_site, path)
    language_sets = [labels for labels in sets if set(LANGUAGES) <= set(labels)]
    assert language_sets, f"{path} has no Python | Node.js | PHP | curl tabs: {sets}"


def test_each_tab_shows_its_language(built_site: Path) -> None:
    html = (built_site / "payments" / "index.html").read_text("utf-8")
    text = unescape(re.sub(r"<[^>]+>", "", html))
    for line in (
        "const response = await fetch(API_BASE + path, {",
        "curl_setopt_array($curl, $options);",
        'flowlix POST /payments --header "Idempotency-Key: payment-$1-$2"',
    ):
        assert line in text


def chosen(page: Page) -> list[str]:
    return page.evaluate(CHOSEN_LABELS)


@pytest.mark.browser
def test_the_chosen_language_holds_across_pages_and_reloads(page: Page, problems: Problems) -> None:
    page.goto("/payments/")
    assert set(chosen(page)) == {"Python"}
    page.locator(".tabbed-labels label", has_text="PHP").first.click()
    # Every tab set on the page follows the choice.
    assert set(chosen(page)) == {"PHP"}

    page.reload()
    assert set(chosen(page)) == {"PHP"}

    # Instant navigation to another page, then a fresh load of a third.
    page.locator("nav a[href$='refunds/']").first.click()
    expect(page).to_have_url(re.compile(r"/refunds/$"))
    expect(page.locator(".tabbed-set").first).to_be_visible()
    assert set(chosen(page)) == {"PHP"}
    page.goto("/idempotency/")
    assert set(chosen(page)) == {"PHP"}
    visible = page.locator(".tabbed-set").first.locator(".tabbed-block").nth(2)
    expect(visible).to_be_visible()
    expect(visible).to_contain_text("curl_setopt_array")

    page.locator(".tabbed-labels label", has_text="curl").first.click()
    page.goto("/refunds/")
    assert set(chosen(page)) == {"curl"}
    assert problems.messages == []
