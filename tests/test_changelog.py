"""/changelog/ (contract section 19): dated entries, newest first, and the versioning policy."""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from pathlib import Path


def text_of(html: str) -> str:
    """The visible text of the page's article, tags removed, whitespace collapsed."""
    article = html.split('<article class="md-content__inner', 1)[1].split("</article>", 1)[0]
    article = re.sub(r"<(script|style)\b.*?</\1>", " ", article, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", article)).split())


def changelog_html(site: Path) -> str:
    file = site / "changelog" / "index.html"
    assert file.is_file(), "/changelog/ is not built"
    return file.read_text("utf-8")


def test_changelog_lists_dated_entries_newest_first_with_1_0_last(built_site):
    html = changelog_html(built_site)
    entries = re.findall(r'<h2 id="(\d{4}-\d{2}-\d{2})"[^>]*>(.*?)</h2>', html, re.S)
    dates = [date.fromisoformat(anchor) for anchor, _ in entries]
    assert len(dates) >= 2, entries
    assert dates == sorted(dates, reverse=True), "entries must be newest first"
    titles = [re.sub(r"<[^>]+>", "", title) for _, title in entries]
    assert titles[-1].startswith(f"{dates[-1].isoformat()}: 1.0"), titles
    # Revision 2 of the contract is the first entry after 1.0.
    assert titles[-2].startswith("2026-11-30: revision 2"), titles


def test_revision_2_entry_names_its_additions(built_site):
    html = changelog_html(built_site)
    revision_2 = html.split('id="2026-11-30"', 1)[1].split('id="2026-11-24"', 1)[0]
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", revision_2)).split())
    for fact in (
        "3-D Secure on the Direct API",
        "requires_action",
        "authentication_failed",
        "400 invalid_json",
        "400 parameter_invalid",
        "Cache-Control: no-store",
        "llms.txt",
        "Postman collection",
        "flowlix-mock mcp",
        "versioning policy",
    ):
        assert fact in text, fact


def test_versioning_policy_states_section_19(built_site):
    text = text_of(changelog_html(built_site))
    policy = text.split("Versioning policy", 1)[1].split("2026-11-30: revision 2", 1)[0]
    for fact in (
        "https://api.flowlix.eu/v1",
        "new endpoints",
        "new optional request parameters",
        "new fields in response objects",
        "new enum values",
        "new response headers",
        "Ignore fields you do not know",
        "generic_decline",
        '"not paid"',
    ):
        assert fact in policy, fact


def test_changelog_is_in_the_navigation_of_every_page(built_site):
    for page in ("index.html", "payments/index.html", "reference/index.html"):
        html = (built_site / page).read_text("utf-8")
        assert re.search(r'<a href="[./]*changelog/"[^>]*class="md-nav__link', html) or re.search(
            r'class="md-nav__link[^"]*"[^>]*href="[./]*changelog/"', html
        ), f"{page} has no navigation link to /changelog/"
