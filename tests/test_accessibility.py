"""Every page of the built site passes axe-core in Chromium: no serious or critical violation,
in the light scheme (all rules) and the dark one (the colour rules).

The colour rules check highlighted code apart. Its colours come from one palette per scheme, the
same on every page, and axe's colour-contrast rule on every token of every page was most of this
file's time (4.3 of 4.4 s on /payments/). So the pages are checked with highlighted code left out
of the colour rules, and a second test checks one token of every colour case the site has (each
token class, on a plain and on a highlighted line), found on as few pages as hold them all, with
every tab and collapsed block opened so that no case hides.
"""

from __future__ import annotations

import json
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
# Every language tab's panel and every collapsed block shown, for the code colour check.
SHOW_EVERYTHING = """
.tabbed-set > .tabbed-content > .tabbed-block { display: block !important; }
details > :not(summary) { display: block !important; }
"""


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

# Marks the first token of each wanted case on the page; how many it marked.
MARK_CASES = """wanted => {
  const want = new Set(wanted);
  let marked = 0;
  for (const span of document.querySelectorAll(".highlight span[class]")) {
    const classes = [...span.classList].sort().join(" ");
    const key = JSON.stringify([classes, span.parentElement.closest(".highlight .hll") !== null]);
    if (want.delete(key)) {
      span.setAttribute("data-colour-case", "");
      marked += 1;
    }
  }
  return marked;
}"""


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


def code_colour_cases(site: Path) -> dict[str, set[Case]]:
    """The fewest pages (greedily) that hold every colour case, each with the cases it is
    checked for (a case is checked once, on the first page chosen that has it)."""
    cases: dict[str, set[Case]] = {}
    for path in ALL_PAGES:
        parser = CodeColourCases()
        parser.feed((site / path / "index.html").read_text("utf-8"))
        cases[path] = parser.cases
    missing, chosen = set().union(*cases.values()), {}
    while missing:
        best = max(ALL_PAGES, key=lambda path: len(cases[path] & missing))
        chosen[best] = cases[best] & missing
        missing -= cases[best]
    return chosen


@pytest.mark.parametrize("scheme", SCHEMES)
def test_highlighted_code_is_readable_in_every_colour_it_uses(
    page: Page, problems: Problems, built_site: Path, scheme: str
) -> None:
    chosen = code_colour_cases(built_site)
    every = set().union(*chosen.values())
    # Python, JavaScript, PHP, shell and JSON tokens, titles, plain and highlighted lines.
    assert len(every) >= 40 and any(marked for _, marked in every), sorted(every)
    assert len(chosen) < len(ALL_PAGES)
    for path, cases in chosen.items():
        open_in_scheme(page, path, scheme)
        page.add_style_tag(content=SHOW_EVERYTHING)
        wanted = [
            json.dumps([classes, marked], separators=(",", ":"))
            for classes, marked in sorted(cases)
        ]
        assert page.evaluate(MARK_CASES, wanted) == len(wanted), f"{path}: a case was not found"
        violations = serious_violations(
            page, only=COLOUR_RULES, context={"include": [["[data-colour-case]"]]}
        )
        assert violations == [], f"{path} in the {scheme} scheme"
    assert problems.messages == []
