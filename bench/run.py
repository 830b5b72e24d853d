"""`make bench`: every benchmark against its baseline, measured in the same run.

Prints one Markdown table (metric, ours, baseline, ratio, target, met?) and writes it, with the
machine it ran on and how each figure was taken, to BENCHMARKS.md. Installs what it needs:
wrk (apt-get, when root), Prism 5.14.2 and Lighthouse 12.2.3 (npm, into bench/.cache),
localstripe 1.15.10 (PyPI, into its own environment in bench/.cache) and Chromium (as the tests
do).

    make bench                                        # everything, about 30-35 minutes
    .venv/bin/python bench/run.py --only api,memory   # some sections; BENCHMARKS.md untouched
    .venv/bin/python bench/run.py --quick             # every row, shorter runs (about 12
    BENCH_QUICK=1 make bench                          # minutes); BENCHMARKS.md untouched
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback

from harness import CACHE, ROOT, Row, machine, markdown_table, say, tool_version

SECTIONS = ("site", "pages", "lighthouse", "api", "memory", "tests")
BUSY_LOAD = 0.5  # a 1-minute load average above this before we start means someone else is busy

METHOD = """\
## How each figure is taken

Everything runs on this one machine in one `make bench`, ours and the baseline back to back (or
alternating), so that a busy machine slows both alike. Load generators run on CPU 0 and servers
on CPU 1 (`taskset`). Code: `bench/`.

- **Site build**: wall time of `mkdocs build --strict` (our `mkdocs.yml`: macros, mkdocstrings,
  snippets, hooks) against a generated config that inherits ours and turns off only our plugins
  (macros, mkdocstrings) and any hooks: same `docs/`, theme settings and
  overrides, extra CSS/JS and Markdown extensions (so `--8<--` snippets are included and
  highlighted alike), MkDocs' default search kept, strict off. Without the macros their
  `{{ ... }}` calls stay literal, so the baseline pages carry less text than ours (the checklist,
  the decline-code and error tables are what the macros write): that is the issue's "same
  Markdown with our plugins off". One untimed build of each, then alternating timed builds;
  medians. Then, untimed, our build step (`python -m docs_macros.publish`, as `make build`
  runs it: it minifies our CSS and JS), so the page and Lighthouse rows see the published site.
- **Lighthouse** 12.2.3 (npm, Node 20) with Debian's Chromium (`--headless --no-sandbox
  --disable-background-networking --disable-gpu`, a fresh `--user-data-dir` per run) on `/`,
  `/go-live/`, `/decline-codes/`, `/rate-limits/`, `/hosted-payment-page/` and `/3d-secure/`,
  mobile (Lighthouse's default: simulated slow 4G, 4x CPU slowdown) and desktop
  (`--preset=desktop`), 3 runs each. Every run of ours is paired back to back with a run on the
  bare Material page of the same text (the page-weight baseline below; the pair's order
  alternates), both served locally with gzip. Performance, accessibility, best-practices and
  SEO scores, LCP, TBT, CLS, total byte weight and requests; medians and ratios. A page one of
  the sites lacks gets a "not built" row. Reports: `bench/.cache/lighthouse-reports/`.
- **Mock API**: wrk, one thread, 1 and 32 connections, 2 s warm-up then one timed run per cell,
  `bench/payments.lua` giving every POST a fresh `Idempotency-Key` and reading p50/p99 from
  wrk's latency histogram; `--rate-limit` far above what wrk can send, so no 429s, and
  `--max-objects` lifted where the mock has it. The first baseline is Prism 5.14.2,
  `prism mock openapi.json` fed `flowlix_mock.openapi.openapi_document()` (Prism routes
  the document's paths as written, `/payments`, without the servers' `/v1`).
  Prism speaks plain HTTP only, so the like-for-like rows ("ours over HTTP") run the shipped
  `flowlix-mock` command with TLS taken off and each request marked as TLS-terminated in front
  of it (`bench/plain_http_mock.py`; without that mark the mock answers plain HTTP with 403, as
  the contract says). The "ours over HTTPS" rows are the real command, TLS included, against
  the same Prism-over-HTTP figures: a comparison tilted against us. The second baseline is
  localstripe 1.15.10 (PyPI, in its own environment: Python 3.11, aiohttp 3.14.5, no patches
  needed), a stateful fake of another payments API, with the same wrk script and transport.
  Its nearest equivalent of `POST /v1/payments` is one `POST /v1/payment_intents` with amount,
  currency, a card PaymentMethod created once beforehand and `confirm=true` (form-encoded, a
  fresh `Idempotency-Key` each, which localstripe ignores: it has no idempotency store, where
  ours stores every response for 24 h); that one call creates and confirms a payment intent, its
  charge, a balance transaction and an event, where ours validates the raw card, creates a
  payment and its events and stores the idempotent response. `GET /v1/payments/{id}` maps to
  `GET /v1/payment_intents/{id}`. Differences: localstripe does not validate a card number per
  request (the PaymentMethod does once), answers 200 with pretty-printed JSON (ours 201,
  compact), and exports each charge with its refunds found by scanning every object it holds,
  so its time per request grows with what it stores: each of its runs starts from an emptied
  store (`DELETE /_config/data`), the best case for it. It runs through
  `bench/localstripe_server.py`: localstripe's own app and access log, bound to 127.0.0.1, with
  its pickle dump of the whole store to `/tmp` after every write turned off (our mock keeps
  state in memory only). localstripe has no HTTPS, so, as with Prism, the "ours over HTTPS"
  rows compare our real TLS mock against its plain-HTTP figures (a TLS-terminating proxy in
  front of it would add a hop and a process of its own, measuring the proxy as much as
  localstripe). Every server logs one line per request, as it does by default. Any response
  other than the expected 200/201, or a wrk timeout, fails the row.
- **Memory**: VmRSS of the real HTTPS mock (`/proc/PID/status`) at start, after 100,000
  `POST /v1/payments` with unique keys, and after the account clock is advanced past the 24 h
  key retention and 100,000 more. Payments and their events are the account's data and stay,
  so that phase still grows by their share. Then twice: clock +24 h and 50,000 refunds of a
  payment that does not exist (stored 404s that create nothing, so only keys come and go); the
  second of these swaps like-sized keys for expired ones and must not grow. This soak lifts
  `--max-objects`. Then a second mock started with `--max-objects 20,000`: 30,000 creates (it
  fills up, then answers 503 `capacity_reached`) and 20,000 more at capacity, which must create
  nothing and leave RSS within 2 MiB. A mock without the option gets an "option not available"
  row.
- **Pages**: headless Chromium (Playwright, Debian's chromium), a new context per load, cache
  disabled, waiting for network idle so the search index fetched by Material's worker counts;
  each built site served locally, once gzip-encoding text (as a docs host does) and once
  uncompressed. Bytes are response headers plus bodies. The bare page has the same text: an
  untimed build of our config with a bench-only hook (`bench/rendered_markdown_hook.py`, after
  the macros) saves every page's rendered Markdown and the other files, and a bare Material
  config builds that folder (no `custom_dir`, logo, palette or features of ours, no extra
  CSS/JS, system fonts, MkDocs' search, our Markdown extensions and nav). HTML the macros emit
  (checklist controls, tables) is part of that text. Requests to any other host are counted
  (they must be 0).
- **Tests**: one `make test` after installation, timed end to end; per-snippet times from its
  JUnit XML, by language: every program under `snippets/` (Python `.py`, Node `.js`/`.mjs`,
  PHP `.php`, curl `.sh`) is timed as the sum of the test cases whose id names its path (setup
  and teardown included); medians per language, and the slowest. Python snippets run in the
  test process; the Node, PHP and curl programs run as their own processes, six at a time, in
  one fixture, so each of their run tests records the program's own wall time
  (`snippet_seconds`), which is taken instead of the test's.
"""


def _section(name: str, rows: list[Row], action) -> object:
    started = time.perf_counter()
    try:
        return action()
    except Exception as error:  # one broken section must not hide the others' figures
        traceback.print_exc(file=sys.stderr)
        rows.append(Row(f"{name}", "could not be measured", met=False, note=str(error)[:300]))
        return None
    finally:
        say(f"{name}: {time.perf_counter() - started:.0f} s")


def main(argv: list[str] | None = None) -> int:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--only", help=f"comma-separated sections of {', '.join(SECTIONS)}")
    arguments.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get("BENCH_QUICK", "") not in ("", "0"),
        help="every row, shorter runs, BENCHMARKS.md untouched (also: BENCH_QUICK=1)",
    )
    options = arguments.parse_args(argv)
    chosen = SECTIONS if not options.only else tuple(options.only.split(","))
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        arguments.error(f"unknown sections: {', '.join(sorted(unknown))}")

    CACHE.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    host = machine()
    busy = os.getloadavg()[0] > BUSY_LOAD
    if busy:
        say(f"the machine is busy (load {os.getloadavg()[0]:.2f}): figures will be noisy")

    import measure_api
    import measure_lighthouse
    import measure_memory
    import measure_pages
    import measure_site
    import measure_tests

    rows: list[Row] = []
    details = ""
    lighthouse_details = ""
    sites: dict = {"ours": None, "bare": None}
    if {"site", "pages", "lighthouse"} & set(chosen):
        result = _section(
            "site build", rows, lambda: measure_site.measure(3 if options.quick else 5)
        )
        if result is not None:
            site_rows, sites = result
            if "site" in chosen:
                rows.extend(site_rows)
    if "pages" in chosen:
        result = _section(
            "pages", rows, lambda: measure_pages.measure(sites, 2 if options.quick else 5)
        )
        if result is not None:
            page_rows, details = result
            rows.extend(page_rows)
    if "lighthouse" in chosen:
        result = _section(
            "lighthouse", rows, lambda: measure_lighthouse.measure(sites, 1 if options.quick else 3)
        )
        if result is not None:
            lighthouse_rows, lighthouse_details = result
            rows.extend(lighthouse_rows)
    if "api" in chosen:
        result = _section("mock API", rows, lambda: measure_api.measure(3 if options.quick else 6))
        rows.extend(result or [])
    if "memory" in chosen:
        if options.quick:
            measure_memory.REQUESTS_PER_PHASE = 20_000
            measure_memory.CHURN_REQUESTS = 10_000
            measure_memory.MAX_OBJECTS = 5_000
        rows.extend(_section("memory soak", rows, measure_memory.measure) or [])
    if "tests" in chosen:
        rows.extend(_section("tests", rows, measure_tests.measure) or [])

    table = markdown_table(rows)
    print(table)
    missed = missed_targets(rows)
    if missed:
        print("\n" + missed)
    elapsed = time.perf_counter() - started
    say(f"done in {elapsed / 60:.1f} min")
    if chosen == SECTIONS and not options.quick:
        _write_report(host, table, details, lighthouse_details, missed, busy, elapsed)
        say(f"wrote {(ROOT / 'BENCHMARKS.md').relative_to(ROOT)}")
    return 0


def _write_report(
    host: dict[str, str],
    table: str,
    details: str,
    lighthouse_details: str,
    missed: str,
    busy: bool,
    elapsed: float,
) -> None:
    tools = {
        "mkdocs-material": _package_version("mkdocs-material"),
        "uvicorn": _package_version("uvicorn"),
        "wrk": tool_version(["wrk", "--version"]).split(" Copyright")[0],
        "Prism": tool_version([str(CACHE / "prism/node_modules/.bin/prism"), "--version"]),
        "Lighthouse": tool_version(
            [str(CACHE / "lighthouse/node_modules/.bin/lighthouse"), "--version"]
        ),
        "localstripe": _localstripe_version(),
        "node": tool_version(["node", "--version"]),
        "Chromium": tool_version(["chromium", "--version"]),
    }
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run.py`); do not edit by hand, run it again. "
        f"The run took {elapsed / 60:.1f} minutes.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in host.items()),
        *(f"| {name} | {value} |" for name, value in tools.items()),
        "",
    ]
    if busy:
        lines += [
            "> **The machine was busy when this run started** (see the load average): other "
            "work shared the two cores, so absolute figures are low and noisy. Ratios are "
            "steadier, since each pair was measured back to back.",
            "",
        ]
    lines += ["## Results", "", table, ""]
    if missed:
        lines += [missed, ""]
    lines += [METHOD]
    if lighthouse_details:
        lines += ["## Lighthouse by page", "", lighthouse_details, ""]
    if details:
        lines += ["## Page weight by file", "", details, ""]
    (ROOT / "BENCHMARKS.md").write_text("\n".join(lines))


def missed_targets(rows: list[Row]) -> str:
    """A list of the rows whose target was not met, with the figures that miss it."""
    missed = [row for row in rows if row.met is False]
    if not missed:
        return ""
    lines = [
        f"## Targets not met in this run ({len(missed)} of "
        f"{sum(row.met is not None for row in rows)})",
        "",
    ]
    for row in missed:
        figures = f"ours {row.ours}"
        if row.baseline != "—":
            figures += f", baseline {row.baseline}"
        if row.ratio != "—":
            figures += f", ratio {row.ratio}"
        target = f" against the target {row.target}" if row.target != "—" else ""
        note = f" ({row.note})" if row.note else ""
        lines.append(f"- {row.metric}: {figures}{target}{note}")
    return "\n".join(lines)


def _localstripe_version() -> str:
    python = CACHE / "localstripe-venv" / "bin" / "python"
    return tool_version(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('localstripe'))"]
    )


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


if __name__ == "__main__":
    sys.exit(main())
