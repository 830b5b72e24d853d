"""The go-live checklist in a real Chromium: saved progress across pages, tabs, reset,
copy as Markdown, broken or blocked storage, accessibility (axe-core) and no third-party requests.

The site is the session's one strict build (`built_site` in tests/conftest.py), served over
loopback HTTP; one Chromium per session, and a fresh browser context per test, so every test
starts with empty localStorage.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from conftest import Problems
from flowlix_mock.catalog import DOCS_BASE_URL, TEST_CARDS

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
DOCS_DIR = ROOT / "docs"
STORAGE_KEY = "flowlix.checklist.v1"
GO_LIVE_TOTAL = 30  # the 25 seed items and five added by issue 14
BOX = "input[type=checkbox][data-checklist-item]"
# /go-live/ also shows the "For EEA customers" checklist, with its own progress and buttons.
GO_LIVE = '[data-checklist-group="go-live"]'


def _load_checklist_macros():
    """docs_macros/checklist.py, which mkdocs imports from the project directory."""
    spec = importlib.util.spec_from_file_location(
        "checklist_macros", ROOT / "docs_macros" / "checklist.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


checklist_macros = _load_checklist_macros()


def box(page: Page, item_id: str):
    return page.locator(f'input[type=checkbox][data-checklist-item="{item_id}"]')


def overall(page: Page):
    """The go-live checklist's "N of 30" text."""
    return page.locator('[data-checklist-count="go-live"]')


def open_page(page: Page, path: str) -> Page:
    """Go to a page and wait until site.js has enabled its boxes."""
    page.goto(path)
    expect(page.locator(BOX).first).to_be_enabled()
    return page


def checked_ids(page: Page) -> set[str]:
    return set(
        page.eval_on_selector_all(
            BOX + ":checked", "boxes => boxes.map(b => b.dataset.checklistItem)"
        )
    )


# --- saved progress ---------------------------------------------------------------------------


def test_ticked_items_survive_a_reload(page: Page, problems: Problems) -> None:
    open_page(page, "go-live/")
    expect(overall(page)).to_have_text(f"0 of {GO_LIVE_TOTAL}")
    expect(page.locator(GO_LIVE).locator("progress[data-checklist-bar]")).to_have_attribute(
        "value", "0"
    )

    page.get_by_label("Use live API keys").check()
    page.get_by_label("Handle all error types").check()
    # Keyboard: focus the box and press Space, as a keyboard user would.
    box(page, "pci-dss").focus()
    page.keyboard.press("Space")

    expect(overall(page)).to_have_text(f"3 of {GO_LIVE_TOTAL}")
    expect(page.locator('[data-checklist-count="api-integration"]')).to_have_text("1 of 5")
    expect(page.locator('[data-checklist-count="security"]')).to_have_text("1 of 6")
    expect(page.get_by_role("status").first).to_contain_text("PCI DSS compliance: done.")

    page.reload()
    expect(page.locator(BOX).first).to_be_enabled()
    expect(overall(page)).to_have_text(f"3 of {GO_LIVE_TOTAL}")
    expect(page.locator(GO_LIVE).locator("progress[data-checklist-bar]")).to_have_attribute(
        "value", "3"
    )
    assert checked_ids(page) == {"use-live-keys", "handle-all-error-types", "pci-dss"}
    assert problems.messages == []


def test_progress_survives_moving_between_pages(page: Page, problems: Problems) -> None:
    open_page(page, "go-live/")
    page.get_by_label("Use HTTPS everywhere").check()
    page.get_by_label("Set up alerts").check()

    page.locator(".md-nav a[href$='rate-limits/']").first.click()
    expect(page).to_have_url(re.compile(r"/rate-limits/$"))
    expect(box(page, "respect-rate-limits")).to_be_enabled()
    page.locator(".md-nav a[href$='go-live/']").first.click()
    expect(page).to_have_url(re.compile(r"/go-live/$"))
    expect(page.locator(BOX).first).to_be_enabled()

    expect(overall(page)).to_have_text(f"2 of {GO_LIVE_TOTAL}")
    assert checked_ids(page) == {"https-everywhere", "set-up-alerts"}

    # One click after two page loads asks once and resets once.
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.locator(GO_LIVE).get_by_role("button", name="Reset").click()
    expect(overall(page)).to_have_text(f"0 of {GO_LIVE_TOTAL}")
    assert len(dialogs) == 1
    assert problems.messages == []


def test_two_tabs_stay_in_sync(context: BrowserContext, problems: Problems) -> None:
    first = open_page(problems.watch(context.new_page()), "go-live/")
    second = open_page(problems.watch(context.new_page()), "go-live/")

    first.get_by_label("Store payment.id").check()
    expect(box(second, "store-payment-id")).to_be_checked()
    expect(overall(second)).to_have_text(f"1 of {GO_LIVE_TOTAL}")

    second.get_by_label("Store payment.id").uncheck()
    second.get_by_label("Log request_id").check()
    expect(box(first, "store-payment-id")).not_to_be_checked()
    expect(box(first, "log-request-id")).to_be_checked()
    expect(overall(first)).to_have_text(f"1 of {GO_LIVE_TOTAL}")
    assert problems.messages == []


def test_a_guide_page_box_shares_the_saved_state(page: Page, problems: Problems) -> None:
    open_page(page, "rate-limits/")
    guide_box = box(page, "respect-rate-limits")
    expect(guide_box).to_have_count(1)
    expect(page.get_by_label("Go-live checklist: Respect rate limits")).to_be_visible()
    guide_box.check()

    open_page(page, "go-live/")
    expect(box(page, "respect-rate-limits")).to_be_checked()
    expect(overall(page)).to_have_text(f"1 of {GO_LIVE_TOTAL}")
    expect(page.locator('[data-checklist-count="error-handling"]')).to_have_text("1 of 5")

    box(page, "respect-rate-limits").uncheck()
    open_page(page, "rate-limits/")
    expect(box(page, "respect-rate-limits")).not_to_be_checked()
    assert problems.messages == []


def test_reset_asks_first_and_a_cancel_keeps_everything(page: Page, problems: Problems) -> None:
    open_page(page, "go-live/")
    page.get_by_label("Test idempotency").check()
    page.get_by_label("Monitor decline rates").check()

    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.locator(GO_LIVE).get_by_role("button", name="Reset").click()
    expect(page.get_by_role("status").first).to_have_text(
        "Reset cancelled: your progress is unchanged."
    )
    assert asked and f"Untick all {GO_LIVE_TOTAL} items" in asked[0]
    expect(overall(page)).to_have_text(f"2 of {GO_LIVE_TOTAL}")
    assert checked_ids(page) == {"test-idempotency", "monitor-decline-rates"}

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(GO_LIVE).get_by_role("button", name="Reset").click()
    expect(overall(page)).to_have_text(f"0 of {GO_LIVE_TOTAL}")
    assert checked_ids(page) == set()

    page.reload()
    expect(page.locator(BOX).first).to_be_enabled()
    expect(overall(page)).to_have_text(f"0 of {GO_LIVE_TOTAL}")
    assert checked_ids(page) == set()
    assert problems.messages == []


def test_the_scenario_checklist_keeps_its_own_count(page: Page, problems: Problems) -> None:
    scenarios = checklist_macros.load_groups(DOCS_DIR)["scenarios"].items
    open_page(page, "testing/")
    count = page.locator('[data-checklist-count="scenarios"]')
    expect(count).to_have_text(f"0 of {len(scenarios)}")
    first_card = box(page, "scenario-card-success-visa")
    expect(first_card).to_have_count(1)
    first_card.check()
    expect(count).to_have_text(f"1 of {len(scenarios)}")

    open_page(page, "go-live/")
    expect(overall(page)).to_have_text(f"0 of {GO_LIVE_TOTAL}")
    assert problems.messages == []


# --- copy as Markdown -------------------------------------------------------------------------


def expected_markdown_lines(checked: set[str], page: Page) -> list[str]:
    items = page.eval_on_selector_all(
        f"{GO_LIVE} {BOX}",
        "boxes => boxes.map(b => [b.dataset.checklistItem, b.dataset.checklistTitle,"
        " b.dataset.checklistUrl])",
    )
    return [
        f"- [{'x' if item_id in checked else ' '}] {title} ({url})" for item_id, title, url in items
    ]


def test_copy_writes_a_markdown_task_list(
    browser: Browser, site_url: str, problems: Problems
) -> None:
    context = browser.new_context(
        base_url=site_url, permissions=["clipboard-read", "clipboard-write"]
    )
    try:
        page = open_page(problems.watch(context.new_page()), "go-live/")
        page.get_by_label("Use live API keys").check()
        page.get_by_label("Retry on 5xx errors").check()
        page.locator(GO_LIVE).get_by_role("button", name="Copy progress as Markdown").click()
        expect(page.get_by_role("status").first).to_have_text(
            "Progress copied to the clipboard as a Markdown list."
        )
        copied = page.evaluate("navigator.clipboard.readText()")
    finally:
        context.close()

    lines = copied.splitlines()
    assert lines[0] == f"# Flowlix go-live checklist (2 of {GO_LIVE_TOTAL} done)"
    task_lines = [line for line in lines if line.startswith("- [")]
    assert len(task_lines) == GO_LIVE_TOTAL
    assert f"- [x] Use live API keys ({DOCS_BASE_URL}/api-keys/#live-keys)" in lines
    assert f"- [x] Retry on 5xx errors ({DOCS_BASE_URL}/errors/#retry-server-errors)" in lines
    assert f"- [ ] Respect rate limits ({DOCS_BASE_URL}/rate-limits/#handle-429)" in lines
    assert sum(line.startswith("- [x] ") for line in lines) == 2
    assert "## When you’re ready" in lines
    assert problems.messages == []


def test_copy_falls_back_to_a_visible_text_box(context: BrowserContext, problems: Problems) -> None:
    context.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    page = open_page(problems.watch(context.new_page()), "go-live/")
    page.get_by_label("Never log card numbers").check()
    page.locator(GO_LIVE).get_by_role("button", name="Copy progress as Markdown").click()

    fallback = page.locator(GO_LIVE).get_by_label("Your clipboard is not available here")
    expect(fallback).to_be_visible()
    expect(fallback).to_be_focused()
    text = fallback.input_value()
    task_lines = [line for line in text.splitlines() if line.startswith("- [")]
    assert task_lines == expected_markdown_lines({"never-log-card-numbers"}, page)
    assert problems.messages == []


# --- broken or blocked storage ----------------------------------------------------------------


# What may sit under the key: hand-edited, from another version, or written by another script.
CORRUPT_DATA = {
    "{not json": set(),
    '"just a string"': set(),
    "[]": set(),
    '{"version": 2, "items": {"use-live-keys": true}}': set(),
    '{"version": 1, "items": ["use-live-keys"]}': set(),
    # Only `true` counts as ticked; the valid part of the data is kept.
    '{"version": 1, "items": {"use-live-keys": "yes", "pci-dss": true}}': {"pci-dss"},
}


def test_corrupt_saved_data_is_ignored_and_replaced(page: Page, problems: Problems) -> None:
    page.goto("go-live/")
    for stored, expected in CORRUPT_DATA.items():
        page.evaluate("([key, value]) => localStorage.setItem(key, value)", [STORAGE_KEY, stored])
        page.reload()
        expect(page.locator(BOX).first).to_be_enabled()
        expect(overall(page)).to_have_text(f"{len(expected)} of {GO_LIVE_TOTAL}")
        assert checked_ids(page) == expected, stored
        expect(page.locator(GO_LIVE).locator("[data-checklist-notice]")).to_be_hidden()
        # Replaced with a clean state on load, before anything is ticked.
        saved = page.evaluate("key => JSON.parse(localStorage.getItem(key))", STORAGE_KEY)
        assert saved == {"version": 1, "items": dict.fromkeys(expected, True)}, stored

        page.get_by_label("Use live API keys").check()
        saved = page.evaluate("key => JSON.parse(localStorage.getItem(key))", STORAGE_KEY)
        assert saved["items"] == dict.fromkeys(expected | {"use-live-keys"}, True), stored
    assert problems.messages == []


BLOCKED_STORAGE = {
    # Chromium with "block all cookies": reading window.localStorage throws.
    "no-access": """
        Object.defineProperty(window, 'localStorage', {
            configurable: true,
            get() { throw new DOMException('The operation is insecure.', 'SecurityError'); },
        });
    """,
    # Storage that reads but refuses to write (a full quota, some private modes).
    "no-writes": """
        Storage.prototype.setItem = function () {
            throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        };
    """,
}


@pytest.mark.parametrize("blocker", BLOCKED_STORAGE, ids=str)
def test_blocked_storage_still_works_for_the_visit(
    context: BrowserContext, problems: Problems, blocker: str
) -> None:
    context.add_init_script(BLOCKED_STORAGE[blocker])
    page = problems.watch(context.new_page())
    page.goto("go-live/")
    expect(page.locator(BOX).first).to_be_enabled()

    page.get_by_label("Validate webhooks").check()
    page.get_by_label("Test error handling").check()
    expect(overall(page)).to_have_text(f"2 of {GO_LIVE_TOTAL}")
    notice = page.locator("[data-checklist-notice]").first
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("progress will not be saved")

    # Leaving the page loses the visit's ticks, as the notice says, and it says so again.
    page.locator(".md-nav a[href$='rate-limits/']").first.click()
    expect(page).to_have_url(re.compile(r"/rate-limits/$"))
    page.locator(".md-nav a[href$='go-live/']").first.click()
    expect(page).to_have_url(re.compile(r"/go-live/$"))
    expect(page.locator(BOX).first).to_be_enabled()
    expect(overall(page)).to_have_text(f"0 of {GO_LIVE_TOTAL}")
    expect(page.locator("[data-checklist-notice]").first).to_contain_text("will not be saved")
    assert problems.messages == []


# --- without JavaScript -----------------------------------------------------------------------


def test_without_javascript_the_checklist_is_a_plain_list(browser: Browser, site_url: str) -> None:
    context = browser.new_context(base_url=site_url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("go-live/")
        boxes = page.locator(GO_LIVE).locator(BOX)
        expect(boxes).to_have_count(GO_LIVE_TOTAL)
        for index in range(GO_LIVE_TOTAL):
            expect(boxes.nth(index)).to_be_disabled()
        expect(page.get_by_label("Use live API keys")).not_to_be_checked()
        expect(page.get_by_text("Replace fl_test_sk_ keys with fl_live_sk_ keys.")).to_be_visible()
        expect(page.locator(GO_LIVE).get_by_role("button", name="Reset")).to_be_hidden()
        expect(page.get_by_text("kept in this browser only").first).to_be_visible()
    finally:
        context.close()


# --- accessibility and privacy ----------------------------------------------------------------


def test_no_page_requests_anything_from_another_host(
    built_site: Path, site_url: str, page: Page, context: BrowserContext, problems: Problems
) -> None:
    """No fonts, scripts or images from a CDN: every page loads only from the site itself."""
    site_host = urlsplit(site_url).netloc
    foreign: list[str] = []

    def record(request) -> None:
        if urlsplit(request.url).scheme in ("http", "https", "ws", "wss"):
            if urlsplit(request.url).netloc != site_host:
                foreign.append(f"{page.url} -> {request.url}")

    context.on("request", record)
    paths = sorted(
        str(index.parent.relative_to(built_site)) + "/" for index in built_site.rglob("index.html")
    )
    assert "go-live/" in paths and len(paths) > 10
    for path in paths:
        page.goto("" if path == "./" else path, wait_until="load")
    page.wait_for_load_state("networkidle")
    assert foreign == []
    assert problems.messages == []


# --- the macros, without a browser ------------------------------------------------------------


def test_the_data_has_every_item_and_one_scenario_per_test_card() -> None:
    groups = checklist_macros.load_groups(DOCS_DIR)
    assert len(groups["go-live"].items) == GO_LIVE_TOTAL
    assert [section.title for section in groups["go-live"].sections] == [
        "API integration",
        "Error handling",
        "Security",
        "Testing",
        "Monitoring",
        "When you’re ready",
    ]
    card_titles = [item.title for item in groups["scenarios"].sections[0].items]
    assert card_titles == [card.scenario for card in TEST_CARDS]


def test_an_unknown_item_id_fails_with_a_clear_message() -> None:
    renderer = checklist_macros.Renderer(checklist_macros.load_groups(DOCS_DIR))
    message = r"checklist_item\('respect-rate-limit'\): no go-live checklist item has this id"
    with pytest.raises(checklist_macros.ChecklistError, match=message):
        renderer.single("respect-rate-limit", "rate-limits/")
    # Scenario ids belong to the testing page's own list, not to the go-live checklist.
    with pytest.raises(checklist_macros.ChecklistError):
        renderer.single("scenario-refund-full", "testing/")
