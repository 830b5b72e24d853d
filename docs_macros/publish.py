"""The build step after the site generator: the files the site publishes besides its pages.

    python -m docs_macros.publish [--site-dir site] [--site-url URL] [--bundle PATH]

`make build`, `make serve` (through `docs_macros.serve`), the tests (`built_site` in
tests/conftest.py) and CI run it after `mkdocs build`. It needs only the built HTML folder and
the repository, not MkDocs' plugin events or hooks, so the same step works after any generator
that reads mkdocs.yml. Into the site folder it writes:

- `/catalog.json`: the catalog, for the dashboard and for scripts;
- `/openapi.json`: the mock's OpenAPI document with `servers` set to the production API
  (contract section 18);
- `/flowlix.postman_collection.json`: a Postman v2.1 collection generated from that document;
- `/<page>/index.md`: a Markdown copy of every page (`docs_macros.markdown_copy`);
- `/llms.txt` (llmstxt.org: title, summary, a section per navigation section linking every
  page's Markdown copy) and `/llms-full.txt` (every page's copy in one file).

It also minifies the site's own stylesheets and scripts in place (`/stylesheets/*.css`,
`/javascripts/*.js`, with rcssmin and rjsmin), so the sources stay readable in docs/, and writes
the minified `/stylesheets/site.css` into every page's <head> in place of its <link>: the first
paint then waits for Material's stylesheet alone, not for a second request (about 2.5 KiB
gzipped on each page, against one round trip on a phone's network).

It then checks what a broken build would otherwise publish silently: every checklist item's
guide link resolves to a built page and anchor, and every page of the navigation was built. It
prints each problem and exits 1 if there is one.

With `--bundle`, it also writes the docs bundle that the `flowlix-mock` package ships for its MCP
server (`flowlix-mock mcp`): every page's Markdown cut into sections, with their URLs.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from docs_macros import markdown_copy, postman
from docs_macros.checklist import Renderer, load_groups
from flowlix_mock import catalog

ROOT = Path(__file__).resolve().parent.parent
CATALOG_JSON = "catalog.json"
OPENAPI_JSON = "openapi.json"
POSTMAN_JSON = "flowlix.postman_collection.json"
LLMS_TXT = "llms.txt"
LLMS_FULL_TXT = "llms-full.txt"
BUNDLE_FORMAT = 1


def write_text(path: Path, text: str) -> None:
    """Write atomically: a reader (or a parallel build) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as handle:
        handle.write(text)
    os.chmod(handle.name, 0o644)  # a published file, readable by the web server
    os.replace(handle.name, path)


def write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def production_openapi_document() -> dict[str, Any]:
    """The mock's OpenAPI document, for the public: `servers` is the production API only."""
    from flowlix_mock.openapi import openapi_document

    document = copy.deepcopy(openapi_document())
    document["servers"] = [{"url": catalog.PRODUCTION_API_BASE, "description": "Production"}]
    return document


def llms_txt(config: dict[str, Any], pages: list[markdown_copy.Page]) -> str:
    """llmstxt.org: H1 title, a summary quote, then a list of links per section."""
    site_url = config["site_url"]
    lines = [
        f"# {config.get('site_name', 'Documentation')}",
        "",
        f"> {' '.join(str(config.get('site_description', '')).split())}",
        "",
        "Each link is the Markdown copy of a page of the docs (the HTML page is the same URL "
        f"without `index.md`). Everything in one file: {site_url}{LLMS_FULL_TXT}. The API's base "
        f"URL is {catalog.PRODUCTION_API_BASE}; test keys start with `fl_test_sk_`.",
    ]
    sections: dict[str, list[markdown_copy.Page]] = {}
    for page in pages:
        sections.setdefault(page.section or "Docs", []).append(page)
    for section, members in sections.items():
        lines += ["", f"## {section}", ""]
        for page in members:
            note = f": {page.description}" if page.description else ""
            lines.append(f"- [{page.title}]({site_url}{page.markdown_path}){note}")
    lines += [
        "",
        "## Machine-readable",
        "",
        f"- [OpenAPI document]({site_url}{OPENAPI_JSON}): the API v1, OpenAPI 3.1, "
        "production server",
        f"- [Postman collection]({site_url}{POSTMAN_JSON}): one request per operation, "
        "Postman Collection v2.1",
        f"- [Catalog]({site_url}{CATALOG_JSON}): test cards, decline codes with customer "
        "messages, currencies, error codes, limits, as JSON",
    ]
    return "\n".join(lines) + "\n"


def llms_full_txt(config: dict[str, Any], pages: list[markdown_copy.Page]) -> str:
    parts = [
        f"# {config.get('site_name', 'Documentation')}\n\n"
        f"> {' '.join(str(config.get('site_description', '')).split())}\n"
    ]
    for page in pages:
        parts.append(f"<!-- {config['site_url']}{page.url} -->\n\n{page.markdown}")
    return "\n\n".join(parts)


def docs_bundle(config: dict[str, Any], pages: list[markdown_copy.Page]) -> dict[str, Any]:
    """What `flowlix-mock mcp` answers from: every page, whole and cut into sections."""
    site_url = config["site_url"]
    return {
        "format": BUNDLE_FORMAT,
        "site_url": site_url,
        "pages": [
            {
                "path": "/" + page.url,
                "url": site_url + page.url,
                "title": page.title,
                "section": page.section,
                "description": page.description,
                "markdown": page.markdown,
                "sections": [
                    {
                        "title": section["title"],
                        "level": section["level"],
                        "url": site_url
                        + page.url
                        + ("" if section["level"] == 1 else f"#{section['anchor']}"),
                        "markdown": section["markdown"],
                    }
                    for section in page.sections()
                ],
            }
            for page in pages
        ],
    }


def minify_assets(site_dir: Path) -> list[Path]:
    """Minify our CSS and JavaScript in the built site (Material's own assets come minified)."""
    import rcssmin
    import rjsmin

    minified = []
    for folder, pattern, minify in (
        ("stylesheets", "*.css", rcssmin.cssmin),
        ("javascripts", "*.js", rjsmin.jsmin),
    ):
        for path in sorted((site_dir / folder).glob(pattern)):
            write_text(path, minify(path.read_text(encoding="utf-8")))
            minified.append(path)
    return minified


INLINE_STYLESHEET = "stylesheets/site.css"
_INLINE_MARK = f'<style data-flowlix-inline="{INLINE_STYLESHEET}">'


def inline_stylesheet(site_dir: Path) -> list[str]:
    """Put the (minified) site.css into every page in place of its <link>; the problems.

    MkDocs links it relatively (`stylesheets/site.css`, `../stylesheets/site.css`) or, on
    404.html, by the site_url's path (`/stylesheets/site.css`, `/docs/stylesheets/site.css`).
    A page that neither links it nor has it inline already (from an earlier run of this step)
    would be unstyled: that is reported, not skipped.
    """
    css_path = site_dir / INLINE_STYLESHEET
    if not css_path.is_file():
        return [f"{INLINE_STYLESHEET} was not built, so no page can carry it"]
    css = css_path.read_text(encoding="utf-8").strip()
    if "</style" in css.lower() or "<!--" in css:
        return [f"{INLINE_STYLESHEET} contains markup that would end an inline <style>"]
    link = re.compile(
        r'<link rel="stylesheet" href="(?:[^":]*/)?' + re.escape(INLINE_STYLESHEET) + r'">'
    )
    problems = []
    for page in sorted(site_dir.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        inlined, count = link.subn(lambda _: f"{_INLINE_MARK}{css}</style>", html, count=1)
        if count:
            write_text(page, inlined)
        elif _INLINE_MARK not in html:
            where = page.relative_to(site_dir).as_posix()
            problems.append(f"/{where} does not link {INLINE_STYLESHEET}")
    return problems


def publish(
    site_dir: Path,
    project: Path = ROOT,
    *,
    site_url: str | None = None,
    bundle: Path | None = None,
) -> list[str]:
    """Write every published file into `site_dir`; return the problems found (none: success)."""
    config, pages = markdown_copy.render_site(project, site_url)
    problems = []
    for page in pages:
        if not (site_dir / page.url / "index.html").is_file():
            problems.append(f"{page.src} is in the navigation but /{page.url} was not built")
        write_text(site_dir / page.markdown_path, page.markdown)
    write_json(site_dir / CATALOG_JSON, catalog.as_json())
    document = production_openapi_document()
    write_json(site_dir / OPENAPI_JSON, document)
    write_json(site_dir / POSTMAN_JSON, postman.collection(document, catalog.PRODUCTION_API_BASE))
    write_text(site_dir / LLMS_TXT, llms_txt(config, pages))
    write_text(site_dir / LLMS_FULL_TXT, llms_full_txt(config, pages))
    minify_assets(site_dir)
    problems += inline_stylesheet(site_dir)
    if bundle is not None:
        write_json(bundle, docs_bundle(config, pages))
    checklist = Renderer(load_groups(config["docs_dir"]))
    problems += [f"checklist: {problem}" for problem in checklist.broken_links(site_dir)]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m docs_macros.publish", description=__doc__)
    parser.add_argument("--site-dir", type=Path, default=ROOT / "site")
    parser.add_argument("--site-url", help="the site's URL, if not mkdocs.yml's site_url")
    parser.add_argument("--bundle", type=Path, help="also write the MCP server's docs bundle")
    arguments = parser.parse_args(argv)
    problems = publish(
        arguments.site_dir.resolve(), site_url=arguments.site_url, bundle=arguments.bundle
    )
    for problem in problems:
        print(f"ERROR   -  publish: {problem}", file=sys.stderr)
    if not problems:
        print(f"INFO    -  publish: machine-readable files written to {arguments.site_dir}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
