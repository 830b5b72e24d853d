"""The 3-D Secure guide in a real Chromium: the site's own search finds it first for every name
a merchant may know it by, and the "For EEA customers" checklist is saved like the rest.

The site is the session's one strict build, served over loopback HTTP (tests/conftest.py).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from conftest import Problems

pytestmark = pytest.mark.browser

SEARCHES = ("3DS", "3-D Secure", "SCA", "PSD2", "strong customer authentication", "liability shift")
BOX = "input[type=checkbox][data-checklist-item]"


def first_result(page: Page, query: str) -> str:
    """Type a query into the header's search box; the path of the first result's link."""
    search = page.locator("input.md-search__input")
    search.click()
    links = page.locator(".md-search-result__item > a")
    # Empty the box with a keystroke: Material clears the results of the last query.
    search.fill("")
    search.press("Backspace")
    expect(links).to_have_count(0)
    # Material searches on each keystroke and the worker answers each in turn: put in all but
    # the last character, then type that one, so only the whole query is searched for.
    search.fill(query[:-1])
    search.press_sequentially(query[-1])
    expect(links.first).to_be_visible()
    # The list is redrawn for each keystroke as the search worker answers: read it until it
    # stays the same for a moment, which is the answer to the whole query.
    seen: list[list[str]] = []
    while len(seen) < 3 or seen[-1] != seen[-2] or seen[-2] != seen[-3]:
        page.wait_for_timeout(120)
        seen.append(links.evaluate_all("links => links.map(link => link.href)"))
        assert len(seen) < 80, f"{query!r}: the results never settled"
    return urlsplit(seen[-1][0]).path


def test_every_name_for_it_finds_the_3d_secure_guide_first(page: Page, problems: Problems):
    page.goto("")
    for query in SEARCHES:
        assert first_result(page, query) == "/3d-secure/", query
    # The guide's search boost does not take over searches for what other pages are about.
    assert first_result(page, "hosted payment page") == "/hosted-payment-page/"
    assert problems.messages == []


def test_the_eea_items_are_saved_with_the_go_live_progress(page: Page, problems: Problems):
    page.goto("3d-secure/")
    expect(page.locator(BOX).first).to_be_enabled()
    page.get_by_label("Go-live checklist: Handle 3-D Secure challenges on the Direct API").check()

    page.goto("go-live/")
    expect(page.locator(BOX).first).to_be_enabled()
    eea = page.locator('[data-checklist-group="go-live-eea"]')
    expect(eea.get_by_role("group", name=re.compile("For EEA customers"))).to_be_visible()
    expect(eea.locator('[data-checklist-count="go-live-eea"]')).to_have_text("1 of 4")
    # The go-live checklist keeps its own items (25 seed, 5 from issue 14) and its own count.
    expect(page.locator('[data-checklist-count="go-live"]')).to_have_text("0 of 30")

    eea.get_by_label("Test frictionless, challenge, failed and abandoned authentication").check()
    page.reload()
    expect(page.locator(BOX).first).to_be_enabled()
    expect(eea.locator('[data-checklist-count="go-live-eea"]')).to_have_text("2 of 4")
    checked = page.eval_on_selector_all(
        BOX + ":checked", "boxes => boxes.map(b => b.dataset.checklistItem)"
    )
    assert set(checked) == {"eea-handle-3ds-challenges", "eea-test-3ds-outcomes"}
    assert problems.messages == []
