"""Every page of the built site passes axe-core in Chromium: no serious or critical violation,
in the light scheme (all rules) and the dark one (the colour rules)."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.base import AXE_FILE_PATH
from playwright.sync_api import Page, expect

from conftest import Problems

pytestmark = pytest.mark.browser

DOCS_DIR = Path(__file__).resolve().parents[1] / "docs"
BOX = "input[type=checkbox][data-checklist-item]"
# Every page of the site (index.md is the home page, at "").
ALL_PAGES = sorted("" if md.stem == "index" else f"{md.stem}/" for md in DOCS_DIR.glob("*.md"))
# Rules whose result depends on colours; the others give the same answer in either scheme.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]


def serious_violations(page: Page, rules: list[str] | None = None) -> list[str]:
    """axe-core's serious and critical violations on the page, one readable line each."""
    page.add_script_tag(path=str(AXE_FILE_PATH))
    options: dict = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": rules}
    results = page.evaluate("options => axe.run(document, options)", options)
    return [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(node["html"][:120] for node in violation["nodes"][:5])
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("path", ALL_PAGES, ids=lambda path: path or "home")
def test_no_serious_accessibility_violations(page: Page, problems: Problems, path: str) -> None:
    for scheme, material_scheme, rules in [
        ("light", "default", None),
        ("dark", "slate", COLOUR_RULES),
    ]:
        page.emulate_media(color_scheme=scheme)
        page.goto(path, wait_until="load")
        expect(page.locator("body")).to_have_attribute("data-md-color-scheme", material_scheme)
        if page.locator(BOX).count():
            # Tick something so the checked style is part of what axe checks.
            expect(page.locator(BOX).first).to_be_enabled()
            page.locator(BOX).first.check()
        assert serious_violations(page, rules) == [], f"{scheme} scheme"
    assert problems.messages == []
