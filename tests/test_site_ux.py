"""The site as a reader meets it, in Chromium: on a phone nothing scrolls sideways, the search box
puts the right page first, nothing moves after load, and code blocks say which file they are and
which lines matter. Plus the static facts behind those: the search index and the code blocks.

One browser per module (tests/conftest.py), the session's one strict build.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from docs_macros.code_blocks import SECTION_MARKER, focus_lines
from playwright.sync_api import Browser, Page, expect

from conftest import Problems

ROOT = Path(__file__).resolve().parent.parent
DOCS_DIR = ROOT / "docs"
ALL_PAGES = sorted("" if md.stem == "index" else f"{md.stem}/" for md in DOCS_DIR.glob("*.md"))
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# What a reader types, and the page that answers it (the list).
SEARCHES = {
    "insufficient funds": "decline-codes/",
    "retry-after": "rate-limits/",
    "idempotency key reuse": "idempotency/",
    "refund partial": "refunds/",
    "webhook signature": "webhooks/",
    "PCI": "security/",
    "SAQ": "security/",
    "test card": "testing/",
    "request id": "monitoring/",
    "live key": ("api-keys/", "going-live/"),
}


# --- static: the search index and the code blocks ---------------------------------------------


@pytest.fixture(scope="module")
def search_index(built_site: Path) -> dict:
    return json.loads((built_site / "search" / "search_index.json").read_text("utf-8"))


def test_the_search_separator_keeps_short_acronyms_and_splits_headers(
    search_index: dict,
) -> None:
    separator = re.compile(search_index["config"]["separator"])

    def words(text: str) -> list[str]:
        return [word for word in separator.split(text) if word]

    assert words("(SAQ A) 3DS, PSD2/SCA") == ["SAQ", "A", "3DS", "PSD2", "SCA"]
    assert words("Retry-After: 2") == ["Retry", "After", "2"]
    assert words("`insufficient_funds`") == ["insufficient", "funds"]
    assert words("catalog.json v1.2") == ["catalog", "json", "v1.2"]


def test_the_index_holds_content_not_widgets_or_signatures(search_index: dict) -> None:
    entries = search_index["docs"]
    texts = " ".join(entry["title"] + " " + entry["text"] for entry in entries)
    for widget_text in (
        "0 of ",
        "Read the guide",
        "Go-live checklist: ",
        "in this browser only",
    ):
        assert widget_text not in texts, widget_text
    reference = [entry for entry in entries if entry["location"].startswith("reference/")]
    assert reference and all(entry.get("boost", 1) < 1 for entry in reference)
    signatures = [entry["title"] for entry in reference if "(" in entry["title"]]
    assert signatures == [], "reference headings carry signatures"
    # Every decline code and error code has an entry of its own (its table row).
    locations = {entry["location"] for entry in entries}
    assert "decline-codes/#insufficient_funds" in locations
    assert "errors/#idempotency_key_reused" in locations


def test_go_live_sections_are_headings_in_the_toc(built_site: Path) -> None:
    html = (built_site / "go-live" / "index.html").read_text("utf-8")
    toc = html[html.index('data-md-component="toc"') :]
    for section_id, title in [
        ("api-integration", "API integration"),
        ("error-handling", "Error handling"),
        ("security", "Security"),
        ("testing", "Testing"),
        ("monitoring", "Monitoring"),
        ("when-youre-ready", "When you’re ready"),
    ]:
        assert re.search(rf'<h2 id="{section_id}">{title}<', html), section_id
        assert f'href="#{section_id}"' in toc, f"the table of contents lacks {title}"


def embeds() -> list[tuple[str, str]]:
    """(page, snippet path) of every whole-file program embedded in the docs."""
    found = []
    for md in sorted(DOCS_DIR.glob("*.md")):
        text = md.read_text("utf-8")
        pattern = r'^[ \t]*--8<--[ \t]+"(snippets/[^":]+\.[a-z]+)"[ \t]*$'
        for path in re.findall(pattern, text, re.M):
            if not path.endswith(".md"):  # text snippets are prose, not code blocks
                found.append((md.stem, path))
    return found


def test_every_embedded_snippet_is_titled_and_highlighted(built_site: Path) -> None:
    missing = []
    for stem, path in embeds():
        html = (built_site / stem / "index.html").read_text("utf-8")
        # Every block titled with the path (a page may also embed one section of the file).
        blocks = re.findall(
            rf'<span class="filename">{re.escape(path)}</span>(.*?)</code></pre>',
            html,
            re.S,
        )
        if not blocks:
            missing.append(f"{stem}: {path} has no title")
            continue
        focus = focus_lines((ROOT / path).read_text("utf-8"))
        if not focus and not path.endswith(".py"):
            continue  # highlights are required where the setup buries the point: Python
        if not focus:
            missing.append(f"{stem}: {path} marks no focus section")
        elif not any(block.count('class="hll"') == len(focus) for block in blocks):
            missing.append(f"{stem}: {path} highlights the wrong lines")
    assert embeds() and missing == []


# --- in the browser ---------------------------------------------------------------------------


def test_no_page_scrolls_sideways_on_a_phone(browser: Browser, site_url: str) -> None:
    context = browser.new_context(base_url=site_url, viewport=PHONE)
    page = context.new_page()
    problems = []
    for path in ALL_PAGES:
        page.goto(path, wait_until="load")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"/{path} is {width} px wide")
        # Tables fit or scroll inside their own wrapper, and identifiers never break.
        problems += [
            f"/{path}: {problem}"
            for problem in page.evaluate(
                """() => {
                    const problems = [];
                    for (const table of document.querySelectorAll(".md-content table")) {
                        const box = table.getBoundingClientRect();
                        const fits = box.right <= document.documentElement.clientWidth;
                        const wrap = table.closest(".md-typeset__scrollwrap");
                        if (!fits && !(wrap && getComputedStyle(wrap).overflowX === "auto"))
                            problems.push("a table overflows the page");
                    }
                    for (const code of document.querySelectorAll(".md-content td code")) {
                        if (code.getClientRects().length > 1)
                            problems.push("code breaks across lines: " + code.textContent);
                    }
                    return problems;
                }"""
            )
        ]
    context.close()
    assert problems == []


def test_the_reference_stays_in_the_content_column_on_a_desktop(
    browser: Browser, site_url: str
) -> None:
    context = browser.new_context(base_url=site_url, viewport=DESKTOP)
    page = context.new_page()
    page.goto("reference/", wait_until="load")
    overlaps = page.evaluate(
        """() => {
            const toc = document.querySelector(".md-sidebar--secondary").getBoundingClientRect();
            const column = document.querySelector(".md-content").getBoundingClientRect();
            const blocks = ".md-content .md-typeset__scrollwrap, .md-content .doc";
            return [...document.querySelectorAll(blocks)]
                .map(el => el.getBoundingClientRect())
                .filter(box => box.right > Math.min(toc.left, column.right) + 1)
                .length;
        }"""
    )
    context.close()
    assert overlaps == 0


def test_a_page_asks_for_one_script_of_ours_and_no_images_and_is_styled_without_a_request(
    browser: Browser, site_url: str
) -> None:
    # /go-live/ has the checklist; the logo, the favicon and site.css are inline, and the dark
    # scheme's stylesheet (Material's palette.css) only blocks rendering when the system asks
    # for dark.
    context = browser.new_context(base_url=site_url, viewport=PHONE, color_scheme="light")
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("go-live/", wait_until="load")
    expect(page.locator("input[data-checklist-item]").first).to_be_enabled()  # site.js ran
    ours = [
        re.sub(
            r"^https?://[^/]+/[^?#]*?((?:stylesheets|javascripts)/[^/?#]+).*$",
            r"\1",
            url,
        )
        for url in requested
        if re.search(r"/(?:stylesheets|javascripts)/", url) and "/assets/" not in url
    ]
    images = [url for url in requested if re.search(r"\.(?:svg|png|ico|jpe?g|webp)(?:[?#]|$)", url)]
    palette = page.locator('link[rel=stylesheet][href*="assets/stylesheets/palette."]')
    media = palette.get_attribute("media")
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", "default")
    # site.css applied without being requested: the header wears the Flowlix indigo (#3f37c9).
    header = page.evaluate("getComputedStyle(document.querySelector('.md-header')).backgroundColor")
    context.close()
    assert header == "rgb(63, 55, 201)"
    assert ours == ["javascripts/site.js"]
    assert images == []
    assert media == "(prefers-color-scheme: dark)"


@pytest.fixture(scope="module")
def search_page(browser: Browser, site_url: str):
    context = browser.new_context(base_url=site_url, viewport=DESKTOP)
    page = context.new_page()
    page.goto("", wait_until="load")
    yield page
    context.close()


@pytest.mark.parametrize("query", SEARCHES)
def test_the_search_box_puts_the_right_page_first(search_page: Page, query: str) -> None:
    page = search_page
    page.keyboard.press("Escape")
    page.locator("input.md-search__input").click()
    page.locator("input.md-search__input").fill("")
    page.keyboard.type(query)
    first = page.locator(".md-search-result__item > a").first
    expect(first).to_be_visible()
    # Results update as the reader types: read the first one once it has stopped changing.
    href, previous = first.get_attribute("href"), None
    for _ in range(20):
        if href == previous:
            break
        page.wait_for_timeout(150)
        previous, href = href, first.get_attribute("href")
    expected = SEARCHES[query]
    expected = (expected,) if isinstance(expected, str) else expected
    path = re.sub(r"^https?://[^/]+/|[?#].*$", "", href)
    assert path in expected, f"{query!r}: first result {path!r}"


LAYOUT_SHIFT = """async () => {
    let total = 0;
    new PerformanceObserver(list => {
        for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value;
    }).observe({type: "layout-shift", buffered: true});
    await new Promise(resolve => setTimeout(resolve, 700));
    return total;
}"""


@pytest.mark.parametrize("path", ["go-live/", "decline-codes/", "testing/", "reference/"])
def test_nothing_moves_after_load(browser: Browser, site_url: str, path: str) -> None:
    # At a phone's CPU speed (4x slower), where the browser paints long pages before it has
    # parsed them: /reference/'s endpoint table used to widen its columns as its last rows
    # arrived (a shift of 0.0012), until its widest cells came first (html_table). Two loads in
    # fresh contexts: a shift that shows in both is the page's, one seen once the machine's.
    shifts = []
    for _load in range(2):
        context = browser.new_context(base_url=site_url, viewport=PHONE)
        page = context.new_page()
        context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 4})
        page.goto(path, wait_until="load")
        shifts.append(page.evaluate(LAYOUT_SHIFT))
        context.close()
        if shifts[-1] == 0:
            break
    assert shifts[-1] == 0, f"cumulative layout shift {shifts} on /{path}"


def test_a_snippet_shows_its_path_and_the_lines_that_matter_and_copies_whole(
    browser: Browser, site_url: str, problems: Problems
) -> None:
    context = browser.new_context(base_url=site_url, viewport=DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = problems.watch(context.new_page())
    page.goto("payments/", wait_until="load")
    path = "snippets/payments/create_payment.py"
    block = page.locator(".highlight", has=page.locator(".filename", has_text=path)).first
    expect(block.locator(".filename")).to_have_text(path)
    highlighted = block.locator(".hll")
    expect(highlighted.first).to_contain_text("def create_payment(")
    assert "Idempotency-Key" in " ".join(highlighted.all_text_contents())
    assert "def flowlix_client" not in " ".join(highlighted.all_text_contents())

    block.hover()
    block.locator("button[data-md-type=copy]").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    source = (ROOT / path).read_text("utf-8")
    program = "".join(
        line for line in source.splitlines(keepends=True) if not SECTION_MARKER.match(line)
    )
    assert copied.strip() == program.strip()
    compile(copied, path, "exec")  # a whole program, not a fragment

    # The annotated lines on /webhooks/ open their explanation.
    page.goto("webhooks/", wait_until="load")
    block = page.locator(".highlight", has=page.locator(".filename", has_text="verify_signature"))
    block.first.scroll_into_view_if_needed()  # code blocks are set up as they come into view
    expect(block.locator(".md-annotation")).to_have_count(2)
    context.close()
    assert problems.messages == []
