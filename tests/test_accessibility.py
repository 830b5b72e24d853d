"""Every page of the built site passes axe-core in Chromium: no serious or critical violation,
in the light scheme (all rules) and the dark one (the colour rules).

The colour rules check highlighted code apart. Its colours come from one palette per scheme, the
same on every page, and axe's colour-contrast rule on every token of every page was most of this
file's time (4.3 of 4.4 s on /payments/). So the pages are checked with highlighted code left out
of the colour rules, and a second test collects every colour case the site's code has (each token
class, on a plain and on a highlighted line, and the block titles) from the built pages, writes
one token of each into a code block on a page, and checks those. (The code's plain text has the
colours of inline code, which the page checks cover.)
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
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
SCHEMES = {"light": "default", "dark": "slate"}
CODE = ".highlight"


def serious_violations(
    page: Page, *, only: list[str] | None = None, skip: list[str] | None = None, context=None
) -> list[str]:
    """axe-core's serious and critical violations on the page, one readable line each: the
    rules `only`, or all rules but `skip`, over `context` (axe's include/exclude; the page)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_FILE_PATH))
    options: dict = {"resultTypes": ["violations"]}
    if only:
        options["runOnly"] = {"type": "rule", "values": only}
    if skip:
        options["rules"] = {rule: {"enabled": False} for rule in skip}
    results = page.evaluate(
        "([context, options]) => axe.run(context || document, options)", [context, options]
    )
    return [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(node["html"][:120] for node in violation["nodes"][:5])
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def open_in_scheme(page: Page, path: str, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)
    page.goto(path, wait_until="load")
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", SCHEMES[scheme])


@pytest.mark.parametrize("path", ALL_PAGES, ids=lambda path: path or "home")
def test_no_serious_accessibility_violations(page: Page, problems: Problems, path: str) -> None:
    for scheme in SCHEMES:
        open_in_scheme(page, path, scheme)
        if page.locator(BOX).count():
            # Tick something so the checked style is part of what axe checks.
            expect(page.locator(BOX).first).to_be_enabled()
            page.locator(BOX).first.check()
        if scheme == "light":
            assert serious_violations(page, skip=COLOUR_RULES) == [], "light scheme"
        colours = serious_violations(page, only=COLOUR_RULES, context={"exclude": [[CODE]]})
        assert colours == [], f"{scheme} scheme"
    assert problems.messages == []


# --- the colours of highlighted code ------------------------------------------------------------

Case = tuple[str, bool]  # a token's classes, and whether it is on a highlighted line
TITLE = "filename"  # the class of a code block's title (its path under snippets/)


class CodeColourCases(HTMLParser):
    """A page's colour cases in highlighted code, read from its HTML."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, list[str]]] = []
        self.cases: set[Case] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "span" and classes and any("highlight" in c for _, c in self.open):
            on_marked_line = any("hll" in c for _, c in self.open)
            self.cases.add((" ".join(sorted(classes)), on_marked_line))
        if tag not in self.VOID:
            self.open.append((tag, classes))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                return


def code_colour_cases(site: Path) -> set[Case]:
    """Every colour case of highlighted code on every page of the built site."""
    cases: set[Case] = set()
    for path in ALL_PAGES:
        parser = CodeColourCases()
        parser.feed((site / path / "index.html").read_text("utf-8"))
        cases |= parser.cases
    return cases


def specimen(cases: set[Case]) -> str:
    """One code block holding one token of every case (one highlighted line per marked case),
    in the markup pymdownx.highlight writes, so the site's own CSS colours it."""
    lines = []
    for classes, marked in sorted(cases):
        if classes == TITLE:
            continue
        token = f'<span class="{html.escape(classes)}" data-colour-case>sample_token 42</span>'
        lines.append(f'<span class="hll">{token}\n</span>' if marked else f"{token}\n")
    title = (
        f'<span class="{TITLE}" data-colour-case>snippets/a.py</span>'
        if (TITLE, False) in cases
        else ""
    )
    return (
        f'<div class="language-python highlight">{title}<pre><span></span><code>'
        + "".join(lines)
        + "</code></pre></div>"
    )


@pytest.mark.parametrize("scheme", SCHEMES)
def test_highlighted_code_is_readable_in_every_colour_it_uses(
    page: Page, problems: Problems, built_site: Path, scheme: str
) -> None:
    cases = code_colour_cases(built_site)
    # Python, JavaScript, PHP, shell and JSON tokens, titles, plain and highlighted lines.
    assert len(cases) >= 40 and any(marked for _, marked in cases), sorted(cases)
    open_in_scheme(page, "payments/", scheme)
    page.evaluate(
        "html => document.querySelector('article.md-content__inner')"
        ".insertAdjacentHTML('beforeend', html)",
        specimen(cases),
    )
    assert page.locator("[data-colour-case]").count() == len(cases)
    violations = serious_violations(
        page, only=COLOUR_RULES, context={"include": [["[data-colour-case]"]]}
    )
    assert violations == [], f"{scheme} scheme"
    assert problems.messages == []
