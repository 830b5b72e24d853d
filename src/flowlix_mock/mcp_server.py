"""`flowlix-mock mcp`: a Model Context Protocol server for coding assistants (contract section 18).

It speaks MCP over stdio (the assistant starts it as a subprocess), is read-only and works
offline: it answers from the catalog (`flowlix_mock.catalog`) and from the docs' Markdown that the
package ships (`docs_bundle.json`, written by the docs' build step, docs_macros/publish.py, and
included in the wheel). Tools:

- `search_docs(query)`: the best-matching sections of the docs, with their URLs;
- `get_doc_page(path)`: a page's Markdown (`/errors/`, `errors`, or the page's URL);
- `lookup_decline_code(code)` and `lookup_error_code(code)`: what it means and what to do;
- `list_test_cards(scenario?)`: the test cards, all or those matching a scenario.

Built with the official MCP Python SDK (`mcp`, its high-level `MCPServer`).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from . import __version__, catalog

BUNDLE_NAME = "docs_bundle.json"
SEARCH_RESULTS = 5
TOKEN = re.compile(r"[a-z0-9_]+(?:[.-][a-z0-9_]+)*")
STOP_WORDS = frozenset(
    "a an and are as at be by can do does for from how i if in is it my of on or the to what "
    "when where which who why with you your".split()
)

INSTRUCTIONS = (
    "Flowlix is a card-payments API (https://api.flowlix.eu/v1). These tools answer from the "
    "Flowlix developer docs and the catalog of test cards, decline codes and error codes that "
    "ship with flowlix-mock. Search the docs before writing integration code, and use the exact "
    "parameter names, codes and URLs they give; do not guess fields the docs do not list."
)


class BundleMissing(RuntimeError):
    pass


def load_bundle(path: Path | None = None) -> dict[str, Any]:
    """The docs bundle: `path`, or the one packaged with flowlix_mock."""
    if path is not None:
        text = path.read_text("utf-8")
    else:
        packaged = resources.files("flowlix_mock").joinpath(BUNDLE_NAME)
        if not packaged.is_file():
            raise BundleMissing(
                f"this installation of flowlix-mock has no {BUNDLE_NAME}. In a checkout of the "
                "docs repository, `make build` writes it; a wheel built with `make dist` has it."
            )
        text = packaged.read_text("utf-8")
    bundle = json.loads(text)
    if bundle.get("format") != 1 or not bundle.get("pages"):
        raise BundleMissing(f"{BUNDLE_NAME} is not a docs bundle this version can read")
    return bundle


def stem(word: str) -> str:
    """A plural and its singular count as one word: keys/key, retries/retry (not 'access')."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    return [stem(word) for word in TOKEN.findall(text.lower()) if word not in STOP_WORDS]


@dataclass
class Section:
    page_title: str
    title: str
    url: str
    markdown: str
    terms: Counter
    length: int


class DocsIndex:
    """BM25 over the docs' sections; a word of the section's title counts as SECTION_TITLE
    occurrences, a word of its page's title as PAGE_TITLE."""

    K1, B, SECTION_TITLE, PAGE_TITLE = 1.2, 0.75, 6, 2

    def __init__(self, bundle: dict[str, Any]):
        self.bundle = bundle
        self.pages = {page["path"]: page for page in bundle["pages"]}
        self.sections: list[Section] = []
        for page in bundle["pages"]:
            for section in page["sections"]:
                terms = Counter(tokens(section["markdown"]))
                for word in tokens(section["title"]):
                    terms[word] += self.SECTION_TITLE
                for word in tokens(page["title"]):
                    terms[word] += self.PAGE_TITLE
                self.sections.append(
                    Section(
                        page["title"],
                        section["title"],
                        section["url"],
                        section["markdown"],
                        terms,
                        sum(terms.values()),
                    )
                )
        self.average_length = sum(s.length for s in self.sections) / max(len(self.sections), 1)
        document_frequency: Counter = Counter()
        for section in self.sections:
            document_frequency.update(section.terms.keys())
        count = len(self.sections)
        self.idf = {
            word: math.log(1 + (count - n + 0.5) / (n + 0.5))
            for word, n in document_frequency.items()
        }

    def search(self, query: str, limit: int = SEARCH_RESULTS) -> list[tuple[float, Section]]:
        words = tokens(query)
        scored = []
        for section in self.sections:
            score = 0.0
            for word in words:
                frequency = section.terms.get(word, 0)
                if frequency:
                    norm = 1 - self.B + self.B * section.length / self.average_length
                    score += (
                        self.idf[word] * frequency * (self.K1 + 1) / (frequency + self.K1 * norm)
                    )
            if score > 0:
                scored.append((score, section))
        scored.sort(key=lambda pair: pair[0], reverse=True)
        return scored[:limit]

    def page(self, path: str) -> dict[str, Any] | None:
        """A page by `/errors/`, `errors`, `errors.md`, `/errors/index.md` or its URL."""
        raw = path.strip()
        parts = urlsplit(raw)
        if parts.scheme:
            site = urlsplit(self.bundle["site_url"])
            raw = parts.path.removeprefix(site.path.rstrip("/"))
        raw = raw.split("#", 1)[0].strip("/")
        raw = re.sub(r"(^|/)index(\.md|\.html)?$", "", raw)
        raw = re.sub(r"\.(md|html)$", "", raw)
        return self.pages.get("/" if raw == "" else f"/{raw}/")


def excerpt(markdown: str, words: list[str], width: int = 320) -> str:
    """The section's text around the first query word, code fences flattened."""
    text = " ".join(markdown.split())
    lowered = text.lower()
    hits = [lowered.find(word) for word in words if word in lowered]
    start = max(min(hits) - width // 4, 0) if hits else 0
    snippet = text[start : start + width]
    return ("..." if start else "") + snippet + ("..." if start + width < len(text) else "")


def decline_entry(item: catalog.DeclineCode) -> dict[str, Any]:
    cards = [card.number for card in catalog.TEST_CARDS if card.decline_code == item.decline_code]
    return asdict(item) | {
        "show_customer": item.customer_message,
        "never_reveal_reason": item.decline_code in catalog.FRAUD_DECLINE_CODES,
        "test_cards": cards,
        "doc_url": catalog.doc_url(item.code, item.decline_code),
    }


def card_entry(card: catalog.TestCard) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "number": card.number,
        "brand": card.brand,
        "scenario": card.scenario,
        "outcome": card.outcome,
        "cvc_digits": card.cvc_length,
        "expiry": "any future month and year",
    }
    if card.outcome == "success":
        entry["direct_api_result"] = "201, status succeeded"
        entry["doc_url"] = f"{catalog.DOCS_BASE_URL}/testing/#test-cards"
    else:
        status = catalog.ERROR_CODES_BY_CODE[card.code].status
        entry["direct_api_result"] = f"{status} {card.code}, decline_code {card.decline_code}"
        entry["code"], entry["decline_code"] = card.code, card.decline_code
        entry["doc_url"] = catalog.doc_url(card.code, card.decline_code)
    if card.hosted_page:
        entry["hosted_payment_page"] = card.hosted_page
    return entry


def build_server(bundle: dict[str, Any]) -> MCPServer:
    """The MCP server with its five read-only tools."""
    index = DocsIndex(bundle)
    server = MCPServer(
        "flowlix-docs",
        title="Flowlix developer docs",
        instructions=INSTRUCTIONS,
        website_url=bundle["site_url"],
        version=__version__,
        log_level="WARNING",  # stderr is the assistant's log: no INFO line per request
    )
    read_only = ToolAnnotations(
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
    )

    @server.tool(annotations=read_only)
    def search_docs(query: str) -> dict[str, Any]:
        """Search the Flowlix docs; the best-matching sections, each with its URL and an excerpt.

        Use words from the question ("refund part of a payment", "webhook signature",
        "Idempotency-Key retention"). Read a whole page with get_doc_page.
        """
        results = index.search(query)
        words = tokens(query)
        return {
            "query": query,
            "results": [
                {
                    "title": f"{section.page_title} > {section.title}"
                    if section.title != section.page_title
                    else section.title,
                    "url": section.url,
                    "score": round(score, 2),
                    "excerpt": excerpt(section.markdown, words),
                }
                for score, section in results
            ],
        }

    @server.tool(annotations=read_only)
    def get_doc_page(path: str) -> str:
        """A page of the Flowlix docs as Markdown: give its path (`/errors/`) or its URL."""
        page = index.page(path)
        if page is None:
            known = ", ".join(sorted(index.pages))
            raise ToolError(f"no page {path!r}; the pages are: {known}")
        return f"<!-- {page['url']} -->\n\n{page['markdown']}"

    @server.tool(annotations=read_only)
    def lookup_decline_code(code: str) -> dict[str, Any]:
        """What a `decline_code` means, whether to retry, what to tell the customer, what to do.

        An unknown decline code must be handled as `generic_decline` (contract: versioning).
        """
        wanted = code.strip().lower()
        item = catalog.DECLINE_CODES_BY_CODE.get(wanted)
        if item is not None:
            return {"known": True} | decline_entry(item)
        return {
            "known": False,
            "decline_code": code,
            "advice": "Not a decline code Flowlix documents. Handle an unknown decline_code "
            "like generic_decline: show its customer message and offer another card.",
            "handle_as": decline_entry(catalog.DECLINE_CODES_BY_CODE["generic_decline"]),
            "known_codes": [d.decline_code for d in catalog.DECLINE_CODES],
        }

    @server.tool(annotations=read_only)
    def lookup_error_code(code: str) -> dict[str, Any]:
        """What an error `code` means: its HTTP status, error type, meaning and what to do."""
        wanted = code.strip().lower()
        item = catalog.ERROR_CODES_BY_CODE.get(wanted)
        if item is None:
            if wanted in catalog.DECLINE_CODES_BY_CODE:
                return {
                    "known": False,
                    "code": code,
                    "advice": f"{code} is a decline_code, not an error code: use "
                    "lookup_decline_code.",
                }
            return {
                "known": False,
                "code": code,
                "advice": "Not an error code Flowlix documents; branch on the error `type` "
                "(see the error types) and log the request id.",
                "known_codes": [e.code for e in catalog.ERROR_CODES],
            }
        error_type = next(t for t in catalog.ERROR_TYPES if t.type == item.type)
        return (
            {"known": True}
            | asdict(item)
            | {
                "retry": error_type.retry,
                "doc_url": catalog.doc_url(item.code),
            }
        )

    @server.tool(annotations=read_only)
    def list_test_cards(scenario: str | None = None) -> dict[str, Any]:
        """The Flowlix test cards (test mode and flowlix-mock), all or those matching a scenario.

        `scenario` matches words of the scenario, the brand, the outcome or the decline code,
        such as "insufficient funds", "amex", "success" or "expired_card".
        """
        cards = [card_entry(card) for card in catalog.TEST_CARDS]
        if scenario and scenario.strip():
            words = tokens(scenario.replace("_", " "))

            def haystack(entry: dict[str, Any]) -> str:
                fields = ("scenario", "brand", "outcome", "decline_code", "code")
                return " ".join(str(entry.get(name, "")) for name in fields).replace("_", " ")

            cards = [c for c in cards if all(w in haystack(c).lower() for w in words)]
        return {
            "scenario": scenario,
            "cards": cards,
            "any_expiry": "any future month and year; any CVC of the right length",
            "doc_url": f"{catalog.DOCS_BASE_URL}/testing/#test-cards",
        }

    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="flowlix-mock mcp",
        description="A Model Context Protocol server (stdio) that answers from the Flowlix "
        "docs and catalog, read-only and offline. Add it to your coding assistant's MCP "
        "configuration as the command `flowlix-mock mcp`.",
    )
    parser.add_argument(
        "--docs-bundle",
        type=Path,
        help=f"read the docs from this {BUNDLE_NAME} instead of the packaged one",
    )
    arguments = parser.parse_args(argv)
    try:
        bundle = load_bundle(arguments.docs_bundle)
    except (BundleMissing, OSError, ValueError) as error:
        print(f"flowlix-mock mcp: {error}", file=sys.stderr)
        return 2
    build_server(bundle).run("stdio")
    return 0
