"""Every go-live checklist item links to a guide section with all four parts.

Why it matters, exactly how (with code where code is involved: the item names snippets in
snippets/coverage.yml), a pitfall as a warning admonition, and a way to try it on the mock.
Read from the built pages, as a reader sees the section the item links to.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHECKLIST = yaml.safe_load((ROOT / "docs" / "data" / "checklist.yml").read_text(encoding="utf-8"))
COVERAGE = yaml.safe_load((ROOT / "snippets" / "coverage.yml").read_text(encoding="utf-8"))
# The go-live items, and those for EEA customers (Strong Customer Authentication).
ITEMS = [
    item
    for group in ("go_live", "go_live_eea")
    for section in CHECKLIST.get(group, [])
    for item in section["items"]
]
HEADING = re.compile(r"<h([1-6])\b[^>]*\bid=\"([^\"]+)\"", re.S)


def section_html(site: Path, link: str) -> str:
    """The HTML from the linked heading to the next heading of the same or a higher level."""
    path, _, anchor = link.partition("#")
    html = (site / path.strip("/") / "index.html").read_text(encoding="utf-8")
    headings = list(HEADING.finditer(html))
    start = next((h for h in headings if h.group(2) == anchor), None)
    assert start is not None, f"{link}: no heading with this id"
    level = int(start.group(1))
    end = next(
        (h.start() for h in headings if h.start() > start.start() and int(h.group(1)) <= level),
        len(html),
    )
    return html[start.start() : end]


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize("item", ITEMS, ids=lambda item: item["id"])
def test_the_item_s_section_has_all_four_parts(item: dict, built_site: Path) -> None:
    html = section_html(built_site, item["link"])
    text = text_of(html)
    assert "Why it matters." in text, f"{item['id']}: no why"
    assert re.search(r"\bHow\b[^.]*\.", text) and "How." in text, f"{item['id']}: no how"
    pitfall = re.search(
        r'<div class="admonition warning">\s*<p class="admonition-title">Pitfalls?</p>', html
    )
    assert pitfall, f"{item['id']}: no pitfall admonition"
    assert re.search(r"Try it (against|on) the mock\.", text), f"{item['id']}: no way to try it"
    if isinstance(COVERAGE.get(item["id"]), list):  # code is involved: show it
        assert "<pre" in html or "highlight" in html, f"{item['id']}: no code in its section"
