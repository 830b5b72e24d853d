"""Cold page loads in headless Chromium: our built pages against bare Material pages of the same
text.

The baseline is `measure_site.page_baseline()`: our Markdown as the macros render it (saved during
an untimed build of our config), built by a bare Material config (no overrides, no extra CSS/JS,
default palette, system fonts, MkDocs' search) with our Markdown extensions.

Both sites are served by a local static HTTP server each, twice over: once gzip-encoding text
(what a docs host does; the headline figure) and once uncompressed (the files' own sizes).
Each load uses a new browser context with the cache off, waits for the network to go idle (so
the search index the page's worker fetches is counted), and records the bytes transferred
(response headers + bodies), the number of requests, the requests to any host other than the
page's own, and the time to DOMContentLoaded. Medians of the loads.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import io
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import measure_site
from harness import Row, ensure_chromium, median, ratio, say

PAGES = ("/go-live/", "/decline-codes/")
BYTES_TARGET = 1.2
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


class _StaticHandler(SimpleHTTPRequestHandler):
    """Serves the built site; gzip-encodes text when asked, as a docs host would."""

    compress = False

    def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        content_type = self.guess_type(str(path))
        textual = content_type.startswith("text/") or content_type.endswith(
            ("json", "javascript", "xml", "svg+xml")
        )
        if not (self.compress and accepts_gzip and textual and path.is_file()):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


@contextlib.contextmanager
def _static_site(directory: Path, *, compress: bool) -> Iterator[str]:
    handler_class = type("Handler", (_StaticHandler,), {"compress": compress})
    handler = functools.partial(handler_class, directory=str(directory))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _chromium() -> str | None:
    """Debian's chromium (installed with apt-get when missing, as the test setup does); None
    means Playwright's own build."""
    return ensure_chromium()


def _load(browser, url: str) -> dict:
    origin = urlsplit(url).netloc
    context = browser.new_context()
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        requests: list = []
        context.on("request", lambda request: requests.append(request))
        response = page.goto(url, wait_until="load")
        if response is None or response.status != 200:
            raise RuntimeError(f"{url} answered {response.status if response else 'nothing'}")
        page.wait_for_load_state("networkidle")
        dom_content_loaded = page.evaluate(
            "() => { const nav = performance.getEntriesByType('navigation')[0];"
            " return nav.domContentLoadedEventEnd - nav.startTime; }"
        )
        by_path: dict[str, int] = {}
        other_hosts = 0
        network = [r for r in requests if urlsplit(r.url).scheme not in ("data", "blob")]
        for request in network:
            if urlsplit(request.url).netloc != origin:
                other_hosts += 1
                continue
            size = 0
            with contextlib.suppress(Exception):  # a request that never finished: 0 bytes
                sizes = request.sizes()
                size = sizes["responseHeadersSize"] + sizes["responseBodySize"]
            path = urlsplit(request.url).path
            by_path[path] = by_path.get(path, 0) + size
        return {
            "bytes": sum(by_path.values()),
            "requests": len(network),
            "other_hosts": other_hosts,
            "dcl_ms": dom_content_loaded,
            "by_path": by_path,
        }
    finally:
        context.close()


def measure(sites: dict[str, Path | None], loads: int) -> tuple[list[Row], str]:
    """The table rows, and a per-file breakdown of the gzip page weight for BENCHMARKS.md."""
    if sites.get("ours") is None:
        return [Row("page loads", "no built site", met=False, note="the site did not build")], ""
    from playwright.sync_api import sync_playwright

    sites = {"ours": sites["ours"], "bare": measure_site.page_baseline()}
    executable = _chromium()
    rows: list[Row] = []
    breakdowns: list[str] = []
    with (
        _static_site(sites["ours"], compress=True) as ours_gzip,
        _static_site(sites["bare"], compress=True) as bare_gzip,
        _static_site(sites["ours"], compress=False) as ours_raw,
        _static_site(sites["bare"], compress=False) as bare_raw,
        sync_playwright() as playwright,
    ):
        options: dict = {"headless": True, "args": CHROMIUM_ARGS}
        if executable is not None:
            options["executable_path"] = executable
        browser = playwright.chromium.launch(**options)
        try:
            for path in PAGES:
                if not (sites["ours"] / path.strip("/") / "index.html").is_file():
                    rows.append(Row(f"page {path}", "missing from the built site", met=False))
                    continue
                say(f"pages: {loads} cold loads of {path}, ours and bare, alternating")
                runs: dict[str, list[dict]] = {
                    name: [] for name in ("ours", "bare", "ours_raw", "bare_raw")
                }
                for _ in range(loads):
                    runs["ours"].append(_load(browser, ours_gzip + path))
                    runs["bare"].append(_load(browser, bare_gzip + path))
                    runs["ours_raw"].append(_load(browser, ours_raw + path))
                    runs["bare_raw"].append(_load(browser, bare_raw + path))
                rows.extend(_rows(path, runs, loads))
                breakdowns.append(_breakdown(path, runs["ours"][0], runs["bare"][0]))
        finally:
            browser.close()
    return rows, "\n\n".join(breakdowns)


def _mid(runs: list[dict], key: str) -> float:
    return median([run[key] for run in runs])


def _bytes_row(label: str, ours: list[dict], bare: list[dict]) -> Row:
    ours_bytes, bare_bytes = _mid(ours, "bytes"), _mid(bare, "bytes")
    bytes_ratio = ratio(ours_bytes, bare_bytes)
    return Row(
        label,
        f"{ours_bytes / 1024:,.1f}",
        f"{bare_bytes / 1024:,.1f}",
        f"{bytes_ratio:.2f}x",
        f"<= {BYTES_TARGET}x bare",
        bytes_ratio <= BYTES_TARGET,
    )


def _rows(path: str, runs: dict[str, list[dict]], loads: int) -> list[Row]:
    ours, bare = runs["ours"], runs["bare"]
    other_hosts = max(run["other_hosts"] for run in ours + runs["ours_raw"])
    return [
        _bytes_row(f"page {path}: bytes transferred, cold, gzip (KiB)", ours, bare),
        _bytes_row(
            f"page {path}: bytes transferred, cold, uncompressed (KiB)",
            runs["ours_raw"],
            runs["bare_raw"],
        ),
        Row(
            f"page {path}: requests",
            f"{_mid(ours, 'requests'):.0f}",
            f"{_mid(bare, 'requests'):.0f}",
            f"{ratio(_mid(ours, 'requests'), _mid(bare, 'requests')):.2f}x",
        ),
        Row(
            f"page {path}: requests to other hosts",
            f"{other_hosts}",
            f"{max(run['other_hosts'] for run in bare)}",
            target="0",
            met=other_hosts == 0,
        ),
        Row(
            f"page {path}: DOMContentLoaded, gzip (median of {loads}, ms)",
            f"{_mid(ours, 'dcl_ms'):.0f}",
            f"{_mid(bare, 'dcl_ms'):.0f}",
            f"{ratio(_mid(ours, 'dcl_ms'), _mid(bare, 'dcl_ms')):.2f}x",
        ),
    ]


def _breakdown(path: str, ours: dict, bare: dict) -> str:
    lines = [
        f"`{path}`, one cold load, gzip (bytes incl. headers):",
        "",
        "| file | ours | bare |",
        "|---|---|---|",
    ]

    def largest_first(name: str) -> int:
        return -max(ours["by_path"].get(name, 0), bare["by_path"].get(name, 0))

    names = sorted(set(ours["by_path"]) | set(bare["by_path"]), key=largest_first)
    for name in names:
        cells = [ours["by_path"].get(name), bare["by_path"].get(name)]
        shown = [f"{value:,}" if value is not None else "—" for value in cells]
        lines.append(f"| `{name}` | {shown[0]} | {shown[1]} |")
    lines.append(f"| total | {ours['bytes']:,} | {bare['bytes']:,} |")
    return "\n".join(lines)
