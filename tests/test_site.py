"""The built documentation site: stable URLs, anchors, embedded snippets, no third-party loads.

The site is built once per test session with `mkdocs build --strict`, exactly as CI and
`make build` do; every test reads the HTML a reader would get.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from functools import cache
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import yaml

from flowlix_mock import catalog

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SNIPPETS = ROOT / "snippets"
SITE_HOST = urlsplit(catalog.DOCS_BASE_URL).netloc  # docs.flowlix.eu

# Every page a reader or the dashboard may land on: contract section 15 plus the guides.
STABLE_PAGES = [
    "/",
    "/mock/",
    "/api-keys/",
    "/payments/",
    "/amounts/",
    "/idempotency/",
    "/refunds/",
    "/hosted-payment-page/",
    "/3d-secure/",
    "/webhooks/",
    "/errors/",
    "/decline-codes/",
    "/rate-limits/",
    "/security/",
    "/testing/",
    "/monitoring/",
    "/go-live/",
    "/going-live/",
    "/reference/",
    "/changelog/",
]

# Contract section 15: what the dashboard links to (templates expanded from the catalog below).
CONTRACT_LINKS = {
    "/go-live/",
    "/idempotency/",
    "/rate-limits/",
    "/hosted-payment-page/",
    "/webhooks/",
    "/testing/#test-cards",
    "/amounts/",
    "/security/",
    "/monitoring/",
    "/3d-secure/",
    "/3d-secure/#when-sca-applies",
    "/3d-secure/#exemptions",
    "/3d-secure/#direct-api",
    "/3d-secure/#liability-shift",
    "/3d-secure/#test-cards",
}

# Go-live checklist item -> the guide section that expands it (team contract).
CHECKLIST_ANCHORS = {
    "use-live-keys": "/api-keys/#live-keys",
    "idempotency-key-on-post": "/idempotency/#set-the-key",
    "store-payment-id": "/payments/#store-the-payment-id",
    "amounts-in-minor-units": "/amounts/#minor-units",
    "handle-all-error-types": "/errors/#error-types",
    "friendly-decline-messages": "/decline-codes/#customer-messages",
    "retry-5xx": "/errors/#retry-server-errors",
    "no-retry-4xx": "/errors/#do-not-retry-client-errors",
    "respect-rate-limits": "/rate-limits/#handle-429",
    "secret-keys-server-side": "/security/#secret-keys",
    "https-everywhere": "/security/#https",
    "validate-webhooks": "/webhooks/#verify-signatures",
    "never-log-card-numbers": "/security/#card-numbers",
    "pci-dss": "/security/#pci-dss",
    "test-payment-scenarios": "/testing/#payment-scenarios",
    "test-idempotency": "/testing/#test-idempotency",
    "test-error-handling": "/testing/#test-error-handling",
    "test-hpp-redirect": "/hosted-payment-page/#test-the-redirect-flow",
    "log-request-id": "/monitoring/#request-ids",
    "monitor-decline-rates": "/monitoring/#decline-rates",
    "set-up-alerts": "/monitoring/#alerts",
    "obtain-live-key": "/going-live/#live-key",
    "set-live-key": "/going-live/#production-environment",
    "real-card-test-payment": "/going-live/#smoke-test",
    "monitor-first-transactions": "/going-live/#first-transactions",
    # For EEA customers (Strong Customer Authentication)
    "eea-handle-3ds-challenges": "/3d-secure/#direct-api",
    "eea-verify-after-return": "/3d-secure/#return",
    "eea-record-liability-shift": "/3d-secure/#liability-shift",
    "eea-test-3ds-outcomes": "/3d-secure/#test-cards",
}

# Hosts that serve libraries and fonts; none may appear anywhere in the built site's code.
CDN_HOSTS = (
    "unpkg.com",
    "cdn.jsdelivr.net",
    "jsdelivr.net",
    "cdnjs.cloudflare.com",
    "fonts.googleapis.com",
    "fonts.gstatic.com",
    "ajax.googleapis.com",
    "polyfill.io",
    "esm.sh",
    "cdn.skypack.dev",
    "www.googletagmanager.com",
    "www.google-analytics.com",
)


LINE_ID_PREFIXES = ("__span-", "__codelineno-")

SNIPPET_INCLUDE = re.compile(r"""--8<--\s+["']([^"']+)["']""")


# --- the build ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def site(built_site: Path) -> Path:
    """The site built once, strictly, with no warning (the shared fixture in conftest.py)."""
    return built_site


def url_of(site_dir: Path, file: Path) -> str:
    """The site path of a built HTML file: index.html is /, errors/index.html is /errors/."""
    relative = file.relative_to(site_dir)
    if relative.name == "index.html":
        return "/" if relative.parent == Path(".") else f"/{relative.parent.as_posix()}/"
    return f"/{relative.as_posix()}"


def page_file(site_dir: Path, path: str) -> Path:
    """The HTML file that serves a site path such as /errors/ (directory URLs)."""
    path = urlsplit(path).path
    relative = path.lstrip("/")
    if relative == "" or relative.endswith("/"):
        relative += "index.html"
    return site_dir / relative


class _Collector(HTMLParser):
    """Collects ids, resource loads, inline CSS and visible text of one HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.loads: list[tuple[str, str]] = []  # (what, url)
        self.css: list[str] = []
        self.text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.append(attributes["id"])
        if tag == "a" and attributes.get("name") not in (None, attributes.get("id")):
            self.ids.append(attributes["name"])  # <a name> is a fragment target too
        if attributes.get("style"):
            self.css.append(attributes["style"])
        if tag == "style":
            self._in_style = True
        rel = set((attributes.get("rel") or "").lower().split())
        if tag == "script" and attributes.get("src"):
            self.loads.append(("script", attributes["src"]))
        elif (
            tag == "link"
            and attributes.get("href")
            and rel
            & {
                "stylesheet",
                "icon",
                "shortcut",
                "apple-touch-icon",
                "preload",
                "modulepreload",
                "prefetch",
                "preconnect",
                "dns-prefetch",
                "manifest",
                "mask-icon",
            }
        ):
            self.loads.append((f"link rel={' '.join(sorted(rel))}", attributes["href"]))
        elif tag in {"img", "iframe", "source", "audio", "video", "track", "embed", "input"}:
            if attributes.get("src"):
                self.loads.append((tag, attributes["src"]))
            for candidate in (attributes.get("srcset") or "").split(","):
                if candidate.strip():
                    self.loads.append((f"{tag} srcset", candidate.split()[0]))
            if tag == "video" and attributes.get("poster"):
                self.loads.append(("video poster", attributes["poster"]))
        elif tag == "object" and attributes.get("data"):
            self.loads.append(("object", attributes["data"]))
        elif tag in {"image", "use"} and (attributes.get("href") or attributes.get("xlink:href")):
            href = attributes.get("href") or attributes.get("xlink:href")
            if not href.startswith("#"):
                self.loads.append((f"svg {tag}", href))

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.css.append(data)
        else:
            self.text.append(data)


@cache
def parse(file: Path) -> _Collector:
    collector = _Collector()
    collector.feed(file.read_text("utf-8"))
    return collector


def ids_of(site_dir: Path, path: str) -> set[str]:
    file = page_file(site_dir, path)
    assert file.is_file(), f"{path} is not built (no {file.relative_to(site_dir)})"
    return set(parse(file).ids)


def text_of(site_dir: Path, path: str) -> str:
    return " ".join(parse(page_file(site_dir, path)).text)


def code_of(site_dir: Path, path: str) -> str:
    """The text of every code block on a page, as a reader would copy it."""
    html = page_file(site_dir, path).read_text("utf-8")
    blocks = re.findall(r"<pre[^>]*>(.*?)</pre>", html, re.S)
    return "\n".join(unescape(re.sub(r"<[^>]+>", "", block)) for block in blocks)


def assert_resolves(site_dir: Path, link: str) -> None:
    """A site path with an optional #anchor exists in the built site."""
    parts = urlsplit(link)
    ids = ids_of(site_dir, parts.path)
    if parts.fragment:
        assert parts.fragment in ids, f"{link}: the page has no element with id={parts.fragment!r}"


def html_pages(site_dir: Path) -> list[Path]:
    return sorted(site_dir.rglob("*.html"))


# --- stable URLs and anchors -------------------------------------------------------------------


@pytest.mark.parametrize("path", STABLE_PAGES)
def test_stable_page_exists_with_a_title(site, path):
    file = page_file(site, path)
    assert file.is_file(), f"{path} is not built"
    html = file.read_text("utf-8")
    assert re.search(r"<h1[^>]*>.+?</h1>", html, re.S), f"{path} has no <h1>"
    # A page whose front matter failed to parse shows it as text and loses its description.
    assert not re.search(r">\s*(description|title|hide):", html), f"{path} shows its front matter"
    assert re.search(r'<meta name="description" content="[^"]{20,}">', html)


@pytest.mark.parametrize("item_id", sorted(CHECKLIST_ANCHORS))
def test_checklist_item_is_expanded_under_its_heading(site, item_id):
    link = CHECKLIST_ANCHORS[item_id]
    assert_resolves(site, link)
    path, _, anchor = link.partition("#")
    html = page_file(site, path).read_text("utf-8")
    heading = re.search(rf'<h([23])[^>]*\bid="{re.escape(anchor)}"[^>]*>.*?</h\1>', html, re.S)
    assert heading, f"{link} is not a heading"
    following = html[heading.end() :]
    next_heading = re.search(r"<h[1-6][\s>]", following)
    section = following[: next_heading.start() if next_heading else None]
    assert section.lstrip().startswith('<div class="flx-checklist'), (
        f"{link}: the checklist item is not right under the heading"
    )
    assert f'data-checklist-item="{item_id}"' in section, (
        f"{link}: the section has no checklist_item({item_id!r})"
    )


def test_testing_page_has_the_scenario_checklist_under_payment_scenarios(site):
    html = page_file(site, "/testing/").read_text("utf-8")
    start = html.index('id="payment-scenarios"')
    section = html[start : html.index('id="test-idempotency"')]
    assert 'data-checklist-group="' in section, "no scenario_checklist() under Payment scenarios"


@pytest.mark.parametrize("url", catalog.all_doc_urls())
def test_every_doc_url_the_api_can_emit_resolves(site, url):
    assert url.startswith(catalog.DOCS_BASE_URL + "/")
    assert_resolves(site, url[len(catalog.DOCS_BASE_URL) :])


def test_every_error_code_and_decline_code_has_its_row(site):
    error_ids = ids_of(site, "/errors/")
    decline_ids = ids_of(site, "/decline-codes/")
    missing = [code.code for code in catalog.ERROR_CODES if code.code not in error_ids]
    missing += [d.decline_code for d in catalog.DECLINE_CODES if d.decline_code not in decline_ids]
    assert not missing, f"no anchor for: {missing}"


def dashboard_links() -> list[str]:
    data = yaml.safe_load((DOCS / "data" / "dashboard_links.yml").read_text("utf-8"))
    links = list(data["links"].values())
    templates = data["templates"]
    links += [templates["error_code"].format(code=item.code) for item in catalog.ERROR_CODES]
    links += [
        templates["decline_code"].format(decline_code=item.decline_code)
        for item in catalog.DECLINE_CODES
    ]
    return links


def test_dashboard_links_cover_the_contract():
    links = set(dashboard_links())
    assert CONTRACT_LINKS <= links, f"missing from dashboard_links.yml: {CONTRACT_LINKS - links}"
    expected = {f"/errors/#{item.code}" for item in catalog.ERROR_CODES}
    expected |= {f"/decline-codes/#{item.decline_code}" for item in catalog.DECLINE_CODES}
    assert expected <= links


@pytest.mark.parametrize("link", dashboard_links())
def test_dashboard_link_resolves(site, link):
    assert_resolves(site, link)


def test_no_page_has_duplicate_ids(site):
    duplicates = {}
    for file in html_pages(site):
        counts = Counter(parse(file).ids)
        # Per-line ids of highlighted code restart in every docstring that mkdocstrings renders;
        # nothing links to them. Every other id must be unique.
        repeated = [i for i, n in counts.items() if n > 1 and not i.startswith(LINE_ID_PREFIXES)]
        if repeated:
            duplicates[str(file.relative_to(site))] = repeated[:10]
    assert not duplicates, f"duplicate ids make anchors ambiguous: {duplicates}"


def test_internal_links_resolve(site):
    """Every same-site <a href> in every page points to a built page and an existing id."""
    broken = []
    for file in html_pages(site):
        html = file.read_text("utf-8")
        page_url = url_of(site, file)
        for href in re.findall(r'<a\s[^>]*?href="([^"]+)"', html):
            href = unescape(href)
            parts = urlsplit(href)
            if parts.scheme or href.startswith("//"):
                continue
            target = urlsplit(urljoin(page_url, href))
            if target.path.endswith((".json", ".xml", ".gz", ".txt")):
                if not (site / target.path.lstrip("/")).is_file():
                    broken.append(f"{file.relative_to(site)}: {href}")
                continue
            target_file = page_file(site, target.path)
            if not target_file.is_file():
                broken.append(f"{file.relative_to(site)}: {href}")
            elif target.fragment and target.fragment not in parse(target_file).ids:
                broken.append(f"{file.relative_to(site)}: {href} (no such id)")
    assert not broken, "broken links:\n" + "\n".join(sorted(set(broken)))


# --- snippets: embedded, never pasted ----------------------------------------------------------


def markdown_sources() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def includes() -> dict[str, list[tuple[Path, str | None]]]:
    """snippet path -> [(page source, section or None)] for every --8<-- include."""
    found: dict[str, list[tuple[Path, str | None]]] = {}
    for source in markdown_sources():
        for target in SNIPPET_INCLUDE.findall(source.read_text("utf-8")):
            path, _, section = target.partition(":")
            found.setdefault(path, []).append((source, section or None))
    return found


def snippet_files() -> list[str]:
    """Every program under snippets/: Python, and the Node.js, PHP and curl ports."""
    programs = [p for suffix in ("py", "mjs", "php", "sh") for p in SNIPPETS.rglob(f"*.{suffix}")]
    return sorted(str(p.relative_to(ROOT)) for p in programs)


def section_text(snippet: Path, section: str | None) -> str:
    text = snippet.read_text("utf-8")
    if section is None:
        return text
    match = re.search(
        rf"^.*--8<-- \[start:{re.escape(section)}\].*$\n(.*?)"
        rf"^.*--8<-- \[end:{re.escape(section)}\]",
        text,
        re.S | re.M,
    )
    assert match, f"{snippet} has no section {section!r}"
    return match.group(1)


def signature_lines(code: str) -> list[str]:
    """Distinctive lines of a snippet: long, not a marker, as they appear in the page's text."""
    lines = [line.strip() for line in code.splitlines()]
    lines = [line for line in lines if len(line) > 25 and "--8<--" not in line]
    return sorted(lines, key=len, reverse=True)[:3]


def test_there_are_snippets_to_check():
    assert snippet_files(), "no snippets found under snippets/"


@pytest.mark.parametrize("snippet", snippet_files())
def test_snippet_is_embedded_in_a_page(site, snippet):
    references = includes().get(snippet)
    assert references, f'{snippet} is not embedded in any page (--8<-- "{snippet}")'
    for source, section in references:
        code = section_text(ROOT / snippet, section)
        page = "/" if source.stem == "index" else f"/{source.stem}/"
        text = code_of(site, page)
        for line in signature_lines(code):
            assert line in text, f"{page} does not show {snippet}: missing {line!r}"


def test_every_include_points_to_an_existing_snippet():
    missing = [path for path in includes() if not (ROOT / path).is_file()]
    assert not missing, f"pages include files that do not exist: {missing}"


FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)[^\n]*$", re.M)


def fenced_blocks(markdown: str) -> list[tuple[str, str]]:
    """(language, content) of every fenced code block, including indented ones in tabs."""
    blocks = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        fence, indent = match["fence"], match["indent"]
        body = []
        index += 1
        while index < len(lines) and not (
            lines[index].startswith(indent)
            and lines[index].strip().startswith(fence)
            and lines[index].strip().strip(fence[0]) == ""
        ):
            body.append(lines[index])
            index += 1
        blocks.append((match["lang"].lower(), "\n".join(body)))
        index += 1
    return blocks


def test_fence_parser_finds_inline_python():
    sample = '=== "x"\n\n    ```python\n    print("pasted")\n    ```\n'
    assert fenced_blocks(sample) == [("python", '    print("pasted")')]


def test_no_python_is_written_inline_in_the_docs():
    pasted = []
    for source in markdown_sources():
        for language, content in fenced_blocks(source.read_text("utf-8")):
            if language not in {"python", "py", "python3", "pycon", "py3"}:
                continue
            lines = [line.strip() for line in content.splitlines() if line.strip()]
            if not lines or not all(SNIPPET_INCLUDE.fullmatch(line) for line in lines):
                pasted.append(f"{source.relative_to(ROOT)}: {content.strip()[:60]!r}")
    assert not pasted, "Python pasted into pages instead of embedded from snippets/:\n" + "\n".join(
        pasted
    )


def test_catalog_facts_are_not_written_by_hand_in_the_pages():
    """Test cards and customer messages come from the catalog through macros, never typed."""
    facts = [card.number for card in catalog.TEST_CARDS]
    facts += sorted({item.customer_message for item in catalog.DECLINE_CODES})
    typed = []
    for source in markdown_sources():
        text = source.read_text("utf-8")
        typed += [f"{source.relative_to(ROOT)}: {fact}" for fact in facts if fact in text]
    assert not typed, "facts typed into pages instead of rendered from the catalog:\n" + "\n".join(
        typed
    )


# --- facts rendered from the catalog -----------------------------------------------------------


def row_text(site_dir: Path, path: str, row_id: str) -> str:
    html = page_file(site_dir, path).read_text("utf-8")
    # The id is on the <tr>, or on the heading in its first cell (the decline and error codes).
    match = re.search(
        rf'<tr[^>]*\bid="{re.escape(row_id)}"[^>]*>(.*?)</tr>'
        rf'|<tr[^>]*>\s*<td>\s*<h\d[^>]*\bid="{re.escape(row_id)}"[^>]*>(.*?)</tr>',
        html,
        re.S,
    )
    assert match, f"{path} has no table row with id {row_id!r}"
    cells = re.sub(r"</td>|<br\s*/?>", " ", match.group(1) or match.group(2))
    return " ".join(unescape(re.sub(r"<[^>]+>", "", cells)).split())


@pytest.mark.parametrize("item", catalog.DECLINE_CODES, ids=lambda item: item.decline_code)
def test_decline_code_row_says_what_to_do(site, item):
    text = row_text(site, "/decline-codes/", item.decline_code)
    for fact in (item.meaning, item.customer_message, item.next_step):
        fact = fact.replace("`", "")  # `code` spans are rendered as <code>
        assert " ".join(fact.split()) in text, f"the row lacks {fact!r}"
    assert item.retry.capitalize() in text.split()


@pytest.mark.parametrize("card", catalog.TEST_CARDS, ids=lambda card: card.number)
def test_test_card_row(site, card):
    text = row_text(site, "/testing/", f"card-{card.number}")
    assert card.number in text and card.scenario in text
    if card.decline_code:
        assert card.decline_code in text


@pytest.mark.parametrize("currency", catalog.CURRENCIES, ids=lambda currency: currency.code)
def test_currency_row(site, currency):
    cells = row_text(site, "/amounts/", f"currency-{currency.code.lower()}").split()
    assert cells[0] == currency.code and str(currency.exponent) in cells


@pytest.mark.parametrize("item", catalog.ERROR_CODES, ids=lambda item: item.code)
def test_error_code_row(site, item):
    text = row_text(site, "/errors/", item.code)
    assert str(item.status) in text.split() and item.meaning.replace("`", "") in text
    html = page_file(site, "/errors/").read_text("utf-8")
    section = html[: html.index(f'id="{item.code}"')]
    heading_ids = re.findall(r'<h3 id="([^"]+)"', section)
    type_sections = {
        "invalid_request_error": "invalid-request-errors",
        "authentication_error": "authentication-errors",
        "card_error": "card-errors",
        "rate_limit_error": "rate-limit-errors",
        "api_error": "api-errors",
    }
    assert heading_ids[-1] == type_sections[item.type], f"{item.code} is not under its type"


def test_rate_limits_page_states_the_catalog_numbers(site):
    text = " ".join(text_of(site, "/rate-limits/").split())
    for header in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"):
        assert header in text
    limits = catalog.LIMITS
    assert re.search(rf"\b{limits.rate_limit_test_per_second}\b", text)
    assert re.search(rf"\b{limits.rate_limit_live_per_second}\b", text)
    assert ", ".join(f"{s} s" for s in limits.retry_backoff_seconds) in text


def test_idempotency_page_states_retention_and_statuses(site):
    text = " ".join(text_of(site, "/idempotency/").split())
    hours = catalog.LIMITS.idempotency_retention_seconds // 3600
    assert f"{hours} hours" in text
    assert "Idempotent-Replayed: true" in text and "commit_then_error" in text
    for code in ("idempotency_key_reused", "idempotency_key_in_use"):
        assert f"{catalog.ERROR_CODES_BY_CODE[code].status} {code}" in text


def test_catalog_json_is_published(site):
    published = json.loads((site / "catalog.json").read_text("utf-8"))
    assert published == json.loads(json.dumps(catalog.as_json()))


def test_reference_page_documents_the_python_api_and_every_endpoint(site):
    from flowlix_mock.openapi import openapi_document

    ids = ids_of(site, "/reference/")
    for name in ("flowlix_mock.catalog", "flowlix_mock.catalog.as_json", "flowlix_mock.testing"):
        assert name in ids, f"the reference has no {name}"
    html = page_file(site, "/reference/").read_text("utf-8")
    document = openapi_document()
    base = urlsplit(document["servers"][0]["url"]).path.rstrip("/")
    for path, item in document["paths"].items():
        for method in ("get", "post", "put", "patch", "delete"):
            if method in item:
                row = re.search(
                    rf"<tr[^>]*>\s*<td><span[^>]*>{method.upper()}</span></td>"
                    rf"<td><code>{re.escape(base + path)}</code></td>",
                    html,
                )
                assert row, f"the endpoint table has no {method.upper()} {base}{path}"


SVG_NS = "{http://www.w3.org/2000/svg}"


def test_hpp_redirect_cycle_is_an_inline_accessible_svg(site):
    """The diagram is drawn at build time: an <svg role="img"> whose <desc> tells the steps."""
    html = page_file(site, "/hosted-payment-page/").read_text("utf-8")
    section = html[html.index('id="redirect-cycle"') : html.index('id="create-session"')]
    figures = re.findall(
        r'<figure class="flowlix-seq"[^>]*>(<svg\b.*?</svg>)</figure>', section, re.S
    )
    assert len(figures) == 1, "no inline SVG diagram under 'The redirect cycle'"
    svg = ET.fromstring(figures[0])
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG_NS}title"), svg.find(f"{SVG_NS}desc")
    assert title is not None and "redirect" in title.text.lower()
    assert svg.get("aria-labelledby") == title.get("id")
    assert svg.get("aria-describedby") == desc.get("id")
    assert not list(svg.iter(f"{SVG_NS}script")) and not list(svg.iter(f"{SVG_NS}foreignObject"))
    text = " ".join(desc.text.split())
    # The key steps of the cycle, in the order the page explains them.
    steps = [
        "Your server to Flowlix API: POST /v1/checkout/sessions",
        "Your server answers Customer's browser: 303 redirect to the session's url",
        "3-D Secure challenge",
        "Hosted Payment Page answers Customer's browser: 303 redirect to "
        "success_url?session_id=cs_...",
        "Your server to Flowlix API: GET /v1/checkout/sessions/cs_...",
        'status "complete", payment_status "paid"',
        "mark the order paid once",
        "Flowlix API to Your server: Webhook checkout.session.completed",
    ]
    positions = [text.find(step) for step in steps]
    assert -1 not in positions, f"<desc> lacks {steps[positions.index(-1)]!r}:\n{text}"
    assert positions == sorted(positions), f"<desc> tells the steps out of order:\n{text}"
    # The drawing has one arrow for every numbered step of the text version.
    numbers = [int(n) for n in re.findall(r"(?:^|[.:)] )(\d+)\. ", text)]
    arrows = [el for el in svg.iter() if el.get("marker-end")]
    assert numbers == list(range(1, len(arrows) + 1)), (numbers, len(arrows))


def test_no_page_loads_mermaid(site):
    """Diagrams are SVG in the page: no page has a mermaid block or loads a diagram script."""
    mentions = [
        str(f.relative_to(site))
        for f in html_pages(site)
        if "mermaid" in f.read_text("utf-8").lower()
    ]
    assert not mentions, f"pages mention mermaid (Material would load it from a CDN): {mentions}"
    assert not (site / "javascripts" / "vendor").exists(), "vendored diagram scripts are back"


def test_404_page(site):
    html = (site / "404.html").read_text("utf-8")
    assert "This page does not exist" in html
    assert 'href="/errors/"' in html and 'href="/testing/#test-cards"' in html


# --- nothing loaded from another host ----------------------------------------------------------


def is_foreign(url: str) -> bool:
    url = url.strip().strip("'\"")
    if url.startswith("//"):
        url = "https:" + url
    parts = urlsplit(url)
    if parts.scheme in {"http", "https"}:
        return parts.netloc != SITE_HOST
    return False


CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")


def css_urls(css: str) -> list[str]:
    return [match.group(2) or match.group(4) for match in CSS_URL.finditer(css)]


def test_css_url_parser_sees_foreign_loads():
    css = "@import 'https://fonts.googleapis.com/x'; a{background:url(https://cdn.example/y.png)}"
    assert [u for u in css_urls(css) if is_foreign(u)] == [
        "https://fonts.googleapis.com/x",
        "https://cdn.example/y.png",
    ]


def test_no_page_loads_anything_from_another_host(site):
    foreign = []
    for file in html_pages(site):
        collector = parse(file)
        for what, url in collector.loads:
            if is_foreign(url):
                foreign.append(f"{file.relative_to(site)}: {what} {url}")
        for css in collector.css:
            foreign += [
                f"{file.relative_to(site)}: inline CSS {u}" for u in css_urls(css) if is_foreign(u)
            ]
    for file in sorted(site.rglob("*.css")):
        css = file.read_text("utf-8", errors="replace")
        foreign += [f"{file.relative_to(site)}: {u}" for u in css_urls(css) if is_foreign(u)]
    assert not foreign, "resources loaded from other hosts:\n" + "\n".join(foreign)


# Material's bundle names two scripts that it injects only on demand: mermaid, for an element
# with class "mermaid" (the site draws diagrams at build time and has none: see
# test_no_page_loads_mermaid), and a ResizeObserver polyfill, for a browser without
# ResizeObserver. These exact URLs, in the theme's bundle only, are the one exception; the bundle's
# source map (the theme's own source code, comments included) is read by developer tools only.
THEME_ON_DEMAND_SCRIPTS = (
    "https://unpkg.com/mermaid@11/dist/mermaid.min.js",
    "https://unpkg.com/resize-observer-polyfill",
)
THEME_BUNDLE = re.compile(r"assets/javascripts/bundle\.[0-9a-f]+\.min\.js")


def test_no_file_names_a_cdn(site):
    found = []
    for file in sorted(site.rglob("*")):
        if file.suffix not in {".html", ".js", ".css", ".json", ".svg", ".xml", ".map"}:
            continue
        name = file.relative_to(site).as_posix()
        if THEME_BUNDLE.fullmatch(name.removesuffix(".map")) and name.endswith(".map"):
            continue
        text = file.read_text("utf-8", errors="replace")
        if THEME_BUNDLE.fullmatch(name):
            for url in THEME_ON_DEMAND_SCRIPTS:
                text = text.replace(url, "")
        found += [f"{file.relative_to(site)}: {host}" for host in CDN_HOSTS if host in text]
    assert not found, "the built site names CDN hosts (a page could load from them):\n" + "\n".join(
        found
    )


def test_every_local_resource_exists(site):
    missing = []
    for file in html_pages(site):
        page_url = url_of(site, file)
        for what, url in parse(file).loads:
            if is_foreign(url) or url.startswith("data:"):
                continue
            target = urlsplit(urljoin(page_url, url)).path
            if not (site / target.lstrip("/")).is_file():
                missing.append(f"{file.relative_to(site)}: {what} {url}")
    assert not missing, "pages load files the site does not have:\n" + "\n".join(missing)
