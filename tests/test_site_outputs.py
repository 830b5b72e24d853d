"""What the site publishes for machines (contract section 18), and a build under a sub-path.

`/llms.txt`, `/llms-full.txt`, a Markdown copy of every page, `/openapi.json`,
`/flowlix.postman_collection.json` and `/catalog.json` come from the build step
docs_macros/publish.py, which `built_site` (tests/conftest.py) runs after `mkdocs build`, as
`make build` and CI do. The copy control is clicked in Chromium and the clipboard read back.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import jsonschema
import pytest
from openapi_spec_validator import validate as validate_openapi

from flowlix_mock import catalog

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
POSTMAN_SCHEMA = ROOT / "tests" / "data" / "postman" / "collection-v2.1.0.schema.json"
METHODS = ("get", "post", "put", "patch", "delete")
SITE = catalog.DOCS_BASE_URL.rstrip("/") + "/"  # https://docs.flowlix.eu/
SNIPPET_INCLUDE = re.compile(r"""--8<--\s+["']([^"':]+)(?::([\w-]+))?["']""")
# Text that only the interactive widgets put on a page: none of it belongs in a Markdown copy.
WIDGET_TEXT = (
    "Your progress is kept in this browser only",
    "Read the guide",
    "select this text and copy it",
    "Go-live checklist: ",
    "0 of 30",
    "data-checklist",
    "flx-checklist",
)


def html_pages(site: Path) -> list[Path]:
    """Every page of the site (index.html files), not the 404 page or theme templates."""
    return sorted(p for p in site.rglob("index.html") if "assets" not in p.parts)


def page_path(site: Path, html_file: Path) -> str:
    """/errors/ for errors/index.html, / for index.html."""
    folder = html_file.parent.relative_to(site).as_posix()
    return "/" if folder == "." else f"/{folder}/"


def copy_of(site: Path, path: str) -> str:
    file = site / path.lstrip("/") / "index.md"
    assert file.is_file(), f"{path} has no Markdown copy ({file.relative_to(site)})"
    return file.read_text("utf-8")


def source_of(path: str) -> str:
    name = "index" if path == "/" else path.strip("/")
    return (DOCS / f"{name}.md").read_text("utf-8")


@pytest.fixture(scope="module")
def site(built_site: Path) -> Path:
    return built_site


# --- Markdown copies and llms.txt --------------------------------------------------------------


FENCED_BLOCK = re.compile(r"^(`{3,}|~{3,})[^\n]*\n.*?^\1[ \t]*$", re.M | re.S)


def test_fenced_blocks_are_told_from_prose():
    markdown = 'Text <div>\n\n```js\nmatch(/<input name="x">/)\n```\n\nMore <table>\n'
    assert FENCED_BLOCK.sub("", markdown) == "Text <div>\n\n\n\nMore <table>\n"


def test_every_page_has_a_clean_markdown_copy(site):
    pages = html_pages(site)
    assert len(pages) >= 19
    for html_file in pages:
        path = page_path(site, html_file)
        markdown = copy_of(site, path)
        title = re.search(r"<h1[^>]*>(.*?)</h1>", html_file.read_text("utf-8"), re.S)
        heading = unescape(re.sub(r"<a class=\"headerlink\".*?</a>|<[^>]+>", "", title.group(1)))
        heading = heading.strip()
        assert markdown.startswith(f"# {heading}\n"), f"{path}: {markdown[:80]!r}"
        assert "{{" not in markdown and "{%" not in markdown, f"{path}: an unrendered macro"
        assert "--8<--" not in markdown, f"{path}: a snippet include left in"
        for text in WIDGET_TEXT:
            assert text not in markdown, f"{path}: widget text {text!r} in the Markdown copy"
        # Code blocks may show HTML (a program that reads a form); the prose may not.
        prose = FENCED_BLOCK.sub("", markdown)
        for tag in ("<table", "<svg", "<div", "<input", "<button"):
            assert tag not in prose, f"{path}: raw HTML {tag}> in the Markdown copy"
        assert not re.search(r"^#+ .*\{\s*#", markdown, re.M), f"{path}: heading attributes"


def test_markdown_copies_inline_every_snippet_a_page_embeds(site):
    checked = 0
    for source in sorted(DOCS.glob("*.md")):
        path = "/" if source.stem == "index" else f"/{source.stem}/"
        markdown = copy_of(site, path)
        for snippet, section in SNIPPET_INCLUDE.findall(source.read_text("utf-8")):
            text = (ROOT / snippet).read_text("utf-8")
            if section:
                text = text.split(f"[start:{section}]", 1)[1].split(f"[end:{section}]", 1)[0]
            lines = [line.strip() for line in text.splitlines() if "--8<--" not in line]
            longest = max(lines, key=len)
            assert longest in markdown, f"{path}: {snippet} is not inlined ({longest!r})"
            checked += 1
    assert checked >= 20


def test_markdown_copies_carry_the_facts_the_macros_render(site):
    decline_codes = copy_of(site, "/decline-codes/")
    for item in catalog.DECLINE_CODES:
        row = next(
            line for line in decline_codes.splitlines() if f"| `{item.decline_code}`" in line
        )
        assert item.customer_message in row, item.decline_code
    testing = copy_of(site, "/testing/")
    for card in catalog.TEST_CARDS:
        assert f"`{card.number}`" in testing, card.number
    go_live = copy_of(site, "/go-live/")
    titles = re.findall(r"^- \*\*(.+?)\*\*: ", go_live, re.M)
    # The 25 seed items and the 5 issue 14 added, then the 4 for EEA customers (SCA).
    assert len(titles) == 30 + 4, titles
    assert titles[30] == "Handle 3-D Secure challenges on the Direct API"
    assert "- **Use live API keys**: " in go_live
    # Links are absolute URLs of the pages (the reader of a copy may not have the site).
    assert "(https://docs.flowlix.eu/errors/#card_declined)" in copy_of(site, "/reference/")
    assert "](errors.md" not in copy_of(site, "/decline-codes/")


def test_llms_txt_lists_every_page_s_markdown_copy(site):
    text = (site / "llms.txt").read_text("utf-8")
    lines = text.splitlines()
    assert lines[0] == "# Flowlix Developer Docs"
    assert lines[1] == "" and lines[2].startswith("> Integrate Flowlix card payments")
    links = re.findall(r"^- \[([^\]]+)\]\((\S+)\)(?:: (.+))?$", text, re.M)
    targets = [url for _, url, _ in links]
    assert len(targets) == len(set(targets))
    for html_file in html_pages(site):
        expected = f"{SITE}{page_path(site, html_file).lstrip('/')}index.md"
        assert expected in targets, f"llms.txt does not list {expected}"
    for _, url, _ in links:
        assert url.startswith(SITE), url
        assert (site / url.removeprefix(SITE)).is_file(), url
    # Every link sits in an H2 section, and pages keep their navigation section.
    assert re.search(r"^## Handle errors\n\n- \[Errors\]", text, re.M)
    for name in ("openapi.json", "flowlix.postman_collection.json", "catalog.json"):
        assert f"{SITE}{name}" in targets


def test_llms_full_txt_holds_every_page(site):
    full = (site / "llms-full.txt").read_text("utf-8")
    for html_file in html_pages(site):
        markdown = copy_of(site, page_path(site, html_file))
        assert markdown.strip() in full, page_path(site, html_file)


def test_every_page_links_its_markdown_copy_and_offers_to_copy_it(site):
    for html_file in html_pages(site):
        html = html_file.read_text("utf-8")
        assert re.search(r'<a href="index.md"[^>]*title="View this page as Markdown"', html)
        assert 'data-copy-page="index.md"' in html
        assert "Copy page as Markdown" in html


# --- the OpenAPI document and the Postman collection -------------------------------------------


def test_openapi_json_is_the_mock_s_document_with_the_production_server(site, flowlix_mock):
    published = json.loads((site / "openapi.json").read_text("utf-8"))
    validate_openapi(published)
    assert published["servers"] == [
        {"url": catalog.PRODUCTION_API_BASE, "description": "Production"}
    ]
    with flowlix_mock.client("fl_test_sk_" + "0" * 32) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    served = response.json()
    assert served["servers"] != published["servers"]
    assert {**published, "servers": None} == {**served, "servers": None}


def operations(document: dict) -> Counter:
    return Counter(
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item
    )


def requests_of(collection: dict) -> list[dict]:
    found = []
    for entry in collection["item"]:
        found += requests_of(entry) if "item" in entry else [entry]
    return found


def test_postman_collection_validates_and_has_one_request_per_operation(site):
    collection = json.loads((site / "flowlix.postman_collection.json").read_text("utf-8"))
    schema = json.loads(POSTMAN_SCHEMA.read_text("utf-8"))
    jsonschema.Draft7Validator(schema).validate(collection)
    assert collection["info"]["schema"].endswith("/collection/v2.1.0/collection.json")

    document = json.loads((site / "openapi.json").read_text("utf-8"))
    requests = requests_of(collection)
    seen = Counter()
    for item in requests:
        request = item["request"]
        segments = [re.sub(r"^:(.+)$", r"{\1}", s) for s in request["url"]["path"]]
        seen[(request["method"], "/" + "/".join(segments))] += 1
        assert request["url"]["raw"].startswith("{{baseUrl}}/")
        assert request["url"]["host"] == ["{{baseUrl}}"]
        headers = {h["key"]: h["value"] for h in request["header"] if not h.get("disabled")}
        if request["method"] == "POST":
            assert headers.get("Idempotency-Key") == "{{$guid}}", item["name"]
        else:
            assert "Idempotency-Key" not in headers, item["name"]
        if "body" in request:
            json.loads(request["body"]["raw"])
            assert headers.get("Content-Type") == "application/json"
    assert seen == operations(document), "one request per operation of /openapi.json"
    assert collection["auth"] == {
        "type": "bearer",
        "bearer": [{"key": "token", "value": "{{apiKey}}", "type": "string"}],
    }
    variables = {v["key"]: v["value"] for v in collection["variable"]}
    assert variables == {"baseUrl": catalog.PRODUCTION_API_BASE, "apiKey": ""}


def test_postman_schema_rejects_a_broken_collection():
    """The vendored schema is strict enough to catch a malformed request (it can fail)."""
    schema = json.loads(POSTMAN_SCHEMA.read_text("utf-8"))
    broken = {
        "info": {"name": "x", "schema": schema["$id"]},
        "item": [{"name": "a", "request": {"method": "GET", "url": {"variable": "not a list"}}}],
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(broken)


def test_postman_create_payment_request_runs_against_the_mock(site, flowlix_mock):
    """The example body of "Create a payment", sent as Postman would, is a real payment."""
    collection = json.loads((site / "flowlix.postman_collection.json").read_text("utf-8"))
    create = next(i for i in requests_of(collection) if i["name"] == "Create a payment")
    body = json.loads(create["request"]["body"]["raw"])
    key = "fl_test_sk_" + os.urandom(16).hex()
    with flowlix_mock.client(key) as client:
        for _ in range(2):  # two presses of Send: two fresh keys, two payments
            response = client.post(
                "/payments", json=body, headers={"Idempotency-Key": os.urandom(16).hex()}
            )
            assert response.status_code == 201, response.text
            assert response.json()["status"] == "succeeded"
        assert len(client.get("/payments").json()["data"]) == 2


def test_reference_page_links_the_document_and_the_collection(site):
    html = (site / "reference" / "index.html").read_text("utf-8")
    for name in ("openapi.json", "flowlix.postman_collection.json", "llms.txt"):
        assert f'href="../{name}"' in html, name


# --- "Copy page as Markdown" in Chromium --------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/errors/", "/"])
def test_copy_page_button_puts_the_page_s_markdown_on_the_clipboard(
    browser, site, site_url, problems, path
):
    context = browser.new_context(
        base_url=site_url, permissions=["clipboard-read", "clipboard-write"]
    )
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    try:
        page = problems.watch(context.new_page())
        page.goto(path)
        button = page.get_by_role("button", name="Copy page as Markdown")
        button.click()
        status = page.locator("[data-copy-page-status]")
        status.filter(has_text="Copied this page as Markdown").wait_for()
        copied = page.evaluate("navigator.clipboard.readText()")
    finally:
        context.close()
    assert copied == copy_of(site, path)
    assert f"{site_url}{path.lstrip('/')}index.md" in requested
    origin = urlsplit(site_url).netloc
    assert all(urlsplit(url).netloc == origin for url in requested if "://" in url), requested
    assert not problems.messages, problems.messages


# --- a build under a sub-path ---------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag in ("a", "link") and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag in ("script", "img") and attributes.get("src"):
            self.links.append(attributes["src"])


@pytest.fixture(scope="module")
def subpath_site(tmp_path_factory, built_site) -> tuple[Path, str]:
    """The site built for https://example.org/docs/flowlix/ (site_url under a sub-path)."""
    site_url = "https://example.org/docs/flowlix/"
    site_dir = tmp_path_factory.mktemp("subpath") / "site"
    env = os.environ | {"FLOWLIX_SITE_URL": site_url, "NO_MKDOCS_2_WARNING": "1"}
    mkdocs = str(Path(sys.executable).with_name("mkdocs"))
    for command in (
        [mkdocs, "build", "--strict", "--site-dir", str(site_dir)],
        [sys.executable, "-m", "docs_macros.publish", "--site-dir", str(site_dir)],
    ):
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        output = result.stdout + result.stderr
        assert result.returncode == 0 and "WARNING" not in output, output
    return site_dir, site_url


def test_a_build_under_a_sub_path_has_no_broken_link(subpath_site):
    site, site_url = subpath_site
    base = urlsplit(site_url)
    parsed: dict[Path, _Links] = {}

    def parse(file: Path) -> _Links:
        if file not in parsed:
            parsed[file] = _Links()
            parsed[file].feed(file.read_text("utf-8"))
        return parsed[file]

    broken, checked = [], 0
    for html_file in [*html_pages(site), site / "404.html"]:
        folder = html_file.parent.relative_to(site).as_posix()
        page_url = site_url + ("" if folder == "." else f"{folder}/")
        for link in parse(html_file).links:
            target = urlsplit(urljoin(page_url, unescape(link)))
            if target.scheme not in ("http", "https") or target.netloc != base.netloc:
                continue
            checked += 1
            if not target.path.startswith(base.path):
                broken.append(f"{html_file.relative_to(site)}: {link} leaves {base.path}")
                continue
            relative = target.path.removeprefix(base.path)
            file = site / relative
            if relative == "" or relative.endswith("/"):
                file = file / "index.html"
            if not file.is_file():
                broken.append(f"{html_file.relative_to(site)}: {link} (no {relative})")
            elif target.fragment and file.suffix == ".html":
                if target.fragment not in parse(file).ids:
                    broken.append(f"{html_file.relative_to(site)}: {link} (no id)")
    assert checked > 500
    assert not broken, "broken links under a sub-path:\n" + "\n".join(sorted(set(broken)))
    # What the build step wrote links under the sub-path too.
    llms = (site / "llms.txt").read_text("utf-8")
    urls = re.findall(r"\]\((\S+)\)", llms)
    assert urls and all(url.startswith(site_url) for url in urls)
    assert all((site / url.removeprefix(site_url)).is_file() for url in urls)
    assert f"({site_url}errors/#card_declined)" in copy_of(site, "/reference/")


def test_the_machine_outputs_do_not_depend_on_the_site_url(site, subpath_site):
    other, _ = subpath_site
    for name in ("openapi.json", "flowlix.postman_collection.json", "catalog.json"):
        assert (site / name).read_bytes() == (other / name).read_bytes(), name


def run_build_step(site_dir: Path) -> subprocess.CompletedProcess:
    """`python -m docs_macros.publish` on a built site, as `make build` runs it."""
    return subprocess.run(
        [sys.executable, "-m", "docs_macros.publish", "--site-dir", str(site_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_build_step_fails_on_a_broken_checklist_link(site, tmp_path):
    """The checklist's link check runs in the build step: a page it links to, gone, fails it."""
    broken = tmp_path / "site"
    shutil.copytree(site, broken)
    shutil.rmtree(broken / "monitoring")
    result = run_build_step(broken)
    assert result.returncode == 1
    assert "monitoring.md is in the navigation but /monitoring/ was not built" in result.stderr
    assert "checklist: item 'log-request-id' links to /monitoring/#request-ids" in result.stderr


INLINE_STYLE = re.compile(r'<style data-flowlix-inline="stylesheets/site\.css">(.*?)</style>', re.S)


def test_every_page_carries_the_site_stylesheet_inline_and_minified(site, subpath_site):
    """The build step puts site.css into each page's <head> instead of a render-blocking link."""
    minified = (site / "stylesheets" / "site.css").read_text("utf-8").strip()
    source = (DOCS / "stylesheets" / "site.css").read_text("utf-8")
    assert "--md-primary-fg-color:#3f37c9" in minified.replace(" ", "")
    assert len(minified) < 0.8 * len(source)  # comments and spaces gone
    sub_site, _ = subpath_site
    pages = [*html_pages(site), site / "404.html", sub_site / "404.html"]
    assert len(pages) >= 21
    for file in pages:
        html = file.read_text("utf-8")
        head = html[: html.index("</head>")]
        assert INLINE_STYLE.findall(head) == [minified], file
        assert "stylesheets/site.css" not in head.replace('data-flowlix-inline="stylesheets/', "")


def test_the_build_step_fails_when_a_page_would_be_unstyled(site, tmp_path):
    """A page that neither links site.css nor carries it is reported, and the step fails."""
    broken = tmp_path / "site"
    shutil.copytree(site, broken)
    errors = broken / "errors" / "index.html"
    errors.write_text(INLINE_STYLE.sub("", errors.read_text("utf-8")), "utf-8")
    result = run_build_step(broken)
    assert result.returncode == 1
    assert "/errors/index.html does not link stylesheets/site.css" in result.stderr
    # The other pages, already inline from the first run, pass a second run unchanged.
    assert result.stderr.count("does not link") == 1
    assert (broken / "go-live" / "index.html").read_bytes() == (
        site / "go-live" / "index.html"
    ).read_bytes()


def test_the_reference_names_what_the_document_marks_test_only(site, monkeypatch):
    from docs_macros import site as site_macros

    marked = {
        "paths": {"/test_helpers/clock/advance": {"post": {"x-flowlix-test-only": True}}},
        "components": {
            "parameters": {
                "Simulate": {
                    "name": "Flowlix-Simulate",
                    "in": "header",
                    "x-flowlix-test-only": True,
                }
            }
        },
    }
    monkeypatch.setattr(site_macros, "load_openapi_document", lambda: marked)
    assert site_macros.openapi_test_only_note() == (
        "What exists in test mode only (`POST /v1/test_helpers/clock/advance` and the "
        "`Flowlix-Simulate` header) is marked `x-flowlix-test-only: true`."
    )
    # The published page says it for the published document.
    published = json.loads((site / "openapi.json").read_text("utf-8"))
    monkeypatch.setattr(site_macros, "load_openapi_document", lambda: published)
    note = site_macros.openapi_test_only_note()
    text = " ".join(
        unescape(
            re.sub(r"<[^>]+>", "", (site / "reference" / "index.html").read_text("utf-8"))
        ).split()
    )
    assert note.replace("`", "") in text
