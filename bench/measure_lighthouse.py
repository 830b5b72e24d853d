"""Lighthouse 12.2.3 on our pages against bare Material pages of the same text, mobile and
desktop.

The bare pages are `measure_site.page_baseline()`, the same baseline as the page-weight rows:
our Markdown as the macros render it, built by a bare Material config. Both sites are served by
a local static HTTP server each that gzip-encodes text, as a docs host does (the server of
bench/measure_pages.py).

Every run is a pair: Lighthouse on our page, then at once on the bare page (the next pair starts
with the bare page, so neither side always goes first). Each Lighthouse run launches Debian's
Chromium with a fresh profile (`--headless --no-sandbox --disable-background-networking
--disable-gpu --user-data-dir=<new folder>`). Mobile is Lighthouse's default (a Moto G Power
screen, simulated slow 4G and a 4x slower CPU); desktop is its `--preset=desktop`. Medians of the
runs for each page and form factor.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness import CACHE, Row, ensure_lighthouse, median, ratio, say

PAGES = (
    "/",
    "/go-live/",
    "/decline-codes/",
    "/rate-limits/",
    "/hosted-payment-page/",
    "/3d-secure/",
)
FORM_FACTORS = ("mobile", "desktop")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu")
TBT_TARGET = 1.3  # mobile Total Blocking Time at most this times the bare page's
RUN_TIMEOUT = 240  # seconds for one Lighthouse run
REPORTS = CACHE / "lighthouse-reports"


def lighthouse_command(
    binary: Path | str, url: str, form_factor: str, output: Path, profile: Path
) -> list[str]:
    """The Lighthouse CLI call for one run."""
    command = [
        str(binary),
        url,
        "--output=json",
        f"--output-path={output}",
        "--quiet",
        f"--only-categories={','.join(CATEGORIES)}",
        "--disable-full-page-screenshot",  # a picture for the HTML report; nothing is scored on it
        f"--chrome-flags={' '.join((*CHROME_FLAGS, f'--user-data-dir={profile}'))}",
    ]
    if form_factor == "desktop":
        command.append("--preset=desktop")
    return command


def summarize(report: dict) -> dict:
    """The figures of one Lighthouse report (its JSON `lhr`) that the table shows."""
    if report.get("runtimeError"):
        error = report["runtimeError"]
        raise RuntimeError(f"Lighthouse: {error.get('code')}: {error.get('message')}")
    audits = report["audits"]
    scores: dict[str, int | None] = {}
    lost: dict[str, list[str]] = {}
    for name in CATEGORIES:
        category = report["categories"][name]
        score = category.get("score")
        scores[name] = None if score is None else round(score * 100)
        lost[name] = sorted(
            reference["id"]
            for reference in category["auditRefs"]
            if reference.get("weight", 0) > 0
            and audits[reference["id"]].get("score") is not None
            and audits[reference["id"]]["score"] < 1
        )
    requests = [  # data: and blob: URLs (inline icons) are not network requests
        item
        for item in audits["network-requests"].get("details", {}).get("items", [])
        if not str(item.get("url", "")).startswith(("data:", "blob:"))
    ]
    return {
        "scores": scores,
        "lost": lost,
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "bytes": audits["total-byte-weight"]["numericValue"],
        "requests": len(requests),
        # Lighthouse's own CPU speed figure for the run: low means a busy machine.
        "benchmark_index": report.get("environment", {}).get("benchmarkIndex", 0),
    }


def run_lighthouse(binary: Path, chromium: str, url: str, form_factor: str, name: str) -> dict:
    """One Lighthouse run with a new Chromium profile; its summary. The report is kept in
    bench/.cache/lighthouse-reports/<name>.json (the last run of each page, site and form)."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    output = REPORTS / f"{name}.json"
    output.unlink(missing_ok=True)
    profile = Path(tempfile.mkdtemp(prefix="lighthouse-profile-", dir=CACHE))
    try:
        result = subprocess.run(
            lighthouse_command(binary, url, form_factor, output, profile),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            env=os.environ | {"CHROME_PATH": chromium},
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if result.returncode != 0 or not output.is_file():
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"Lighthouse exited {result.returncode}: {' '.join(tail)}")
    return summarize(json.loads(output.read_text(encoding="utf-8")))


# --- the table ----------------------------------------------------------------------------------


def _mid(runs: list[dict], key: str) -> float:
    return median([run[key] for run in runs])


def median_scores(runs: list[dict]) -> dict[str, int | None]:
    scores = {}
    for name in CATEGORIES:
        values = [run["scores"][name] for run in runs if run["scores"][name] is not None]
        scores[name] = round(median(values)) if values else None
    return scores


def _score_text(scores: dict[str, int | None]) -> str:
    return " / ".join("—" if scores[name] is None else str(scores[name]) for name in CATEGORIES)


def cls_is_zero(cls: float) -> bool:
    """CLS as Lighthouse shows it (three decimals) is 0."""
    return round(cls, 3) == 0


def lighthouse_rows(
    page: str, form_factor: str, ours: list[dict], bare: list[dict], *, pairs: int
) -> list[Row]:
    """Three rows for one page and form factor: scores, timings and CLS, weight."""
    prefix = f"Lighthouse {form_factor} {page}"
    ours_scores, bare_scores = median_scores(ours), median_scores(bare)
    others = ("accessibility", "best-practices", "seo")
    others_full = all(ours_scores[name] == 100 for name in others)
    lost = sorted(
        {f"{name}: {audit}" for run in ours for name in others for audit in run["lost"][name]}
    )
    if form_factor == "mobile":
        performance_ok = (
            ours_scores["performance"] is not None
            and bare_scores["performance"] is not None
            and ours_scores["performance"] >= bare_scores["performance"]
        )
        score_target = "performance >= bare; the others 100"
        score_met = performance_ok and others_full
    else:
        score_target = "accessibility, best practices, SEO 100"
        score_met = others_full
    performance_delta = (
        f"{ours_scores['performance'] - bare_scores['performance']:+d} performance"
        if ours_scores["performance"] is not None and bare_scores["performance"] is not None
        else "—"
    )
    ours_tbt, bare_tbt = _mid(ours, "tbt_ms"), _mid(bare, "tbt_ms")
    ours_lcp, bare_lcp = _mid(ours, "lcp_ms"), _mid(bare, "lcp_ms")
    ours_cls, bare_cls = _mid(ours, "cls"), _mid(bare, "cls")
    tbt_ratio = f"{ratio(ours_tbt, bare_tbt):.2f}x" if bare_tbt else "—"
    if form_factor == "mobile":
        timing_target = f"TBT <= {TBT_TARGET}x bare; CLS 0"
        timing_met = ours_tbt <= TBT_TARGET * bare_tbt and cls_is_zero(ours_cls)
    else:
        timing_target = "CLS 0"
        timing_met = cls_is_zero(ours_cls)
    ours_bytes, bare_bytes = _mid(ours, "bytes"), _mid(bare, "bytes")
    ours_requests, bare_requests = _mid(ours, "requests"), _mid(bare, "requests")
    return [
        Row(
            f"{prefix}: performance / accessibility / best practices / SEO (median of {pairs})",
            _score_text(ours_scores),
            _score_text(bare_scores),
            performance_delta,
            score_target,
            score_met,
            ("lost points: " + ", ".join(lost)) if lost else "",
        ),
        Row(
            f"{prefix}: LCP (ms) / TBT (ms) / CLS (median of {pairs})",
            f"{ours_lcp:,.0f} / {ours_tbt:,.0f} / {ours_cls:.3f}",
            f"{bare_lcp:,.0f} / {bare_tbt:,.0f} / {bare_cls:.3f}",
            f"LCP {ratio(ours_lcp, bare_lcp):.2f}x / TBT {tbt_ratio}",
            timing_target,
            timing_met,
        ),
        Row(
            f"{prefix}: bytes (KiB) / requests (median of {pairs})",
            f"{ours_bytes / 1024:,.1f} / {ours_requests:.0f}",
            f"{bare_bytes / 1024:,.1f} / {bare_requests:.0f}",
            f"{ratio(ours_bytes, bare_bytes):.2f}x / {ratio(ours_requests, bare_requests):.2f}x",
        ),
    ]


def details_table(results: dict[tuple[str, str], tuple[list[dict], list[dict]]]) -> str:
    """Every measured page and form factor on one line each, medians, "ours / bare"."""
    lines = [
        "Medians, each cell ours / bare. Scores 0-100; LCP and TBT in ms; KiB as Lighthouse's "
        "total byte weight (transferred, gzip); CPU is Lighthouse's benchmark index of the "
        "machine during the runs (higher is faster: a low one means other work was running).",
        "",
        "| page | form | performance | accessibility | best practices | SEO | LCP | TBT | CLS "
        "| KiB | requests | CPU |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (page, form_factor), (ours, bare) in results.items():
        ours_scores, bare_scores = median_scores(ours), median_scores(bare)
        cells = [f"`{page}`", form_factor]
        for name in CATEGORIES:
            cells.append(f"{ours_scores[name]} / {bare_scores[name]}")
        cells.append(f"{_mid(ours, 'lcp_ms'):,.0f} / {_mid(bare, 'lcp_ms'):,.0f}")
        cells.append(f"{_mid(ours, 'tbt_ms'):,.0f} / {_mid(bare, 'tbt_ms'):,.0f}")
        cells.append(f"{_mid(ours, 'cls'):.3f} / {_mid(bare, 'cls'):.3f}")
        cells.append(f"{_mid(ours, 'bytes') / 1024:,.1f} / {_mid(bare, 'bytes') / 1024:,.1f}")
        cells.append(f"{_mid(ours, 'requests'):.0f} / {_mid(bare, 'requests'):.0f}")
        cells.append(f"{_mid(ours, 'benchmark_index'):.0f} / {_mid(bare, 'benchmark_index'):.0f}")
        lines.append("| " + " | ".join(cells) + " |")
    lost = {}
    for (page, form_factor), (ours, bare) in results.items():
        for site, runs in (("ours", ours), ("bare", bare)):
            for name in CATEGORIES[1:]:
                for audit in sorted({audit for run in runs for audit in run["lost"][name]}):
                    lost.setdefault((site, name, audit), []).append(f"{page} {form_factor}")
    if lost:
        lines += ["", "Audits that cost accessibility, best-practices or SEO points:", ""]
        for (site, name, audit), where in sorted(lost.items()):
            lines.append(f"- {site}, {name}: `{audit}` on {', '.join(where)}")
    return "\n".join(lines)


# --- the run ------------------------------------------------------------------------------------


def _slug(page: str) -> str:
    return page.strip("/").replace("/", "-") or "home"


def measure(sites: dict[str, Path | None], runs: int) -> tuple[list[Row], str]:
    """The table rows, and the details table for BENCHMARKS.md."""
    if sites.get("ours") is None:
        return [Row("Lighthouse", "no built site", met=False, note="the site did not build")], ""
    import measure_pages
    import measure_site

    binary = ensure_lighthouse()
    chromium = measure_pages._chromium()
    if chromium is None:
        raise RuntimeError(
            "Lighthouse needs a Chromium: install Debian's (apt-get install chromium)"
        )
    roots = {"ours": sites["ours"], "bare": measure_site.page_baseline()}
    missing = {
        page: [name for name, root in roots.items() if not _built(root, page)] for page in PAGES
    }
    present = [page for page in PAGES if not missing[page]]
    collected: dict[tuple[str, str], dict[str, list[dict]]] = {
        (page, form): {"ours": [], "bare": []} for page in present for form in FORM_FACTORS
    }
    failures: dict[tuple[str, str], str] = {}
    with contextlib.ExitStack() as stack:
        origins = {
            name: stack.enter_context(measure_pages._static_site(root, compress=True))
            for name, root in roots.items()
        }
        for number in range(runs):
            order = ("ours", "bare") if number % 2 == 0 else ("bare", "ours")
            for page in present:
                for form in FORM_FACTORS:
                    if (page, form) in failures:
                        continue
                    say(
                        f"lighthouse: run {number + 1}/{runs}, {form} {page}: "
                        + " then ".join(order)
                    )
                    try:
                        for name in order:
                            collected[(page, form)][name].append(
                                run_lighthouse(
                                    binary,
                                    chromium,
                                    origins[name] + page,
                                    form,
                                    f"{name}-{form}-{_slug(page)}",
                                )
                            )
                    except (RuntimeError, subprocess.TimeoutExpired, KeyError) as error:
                        failures[(page, form)] = str(error)[:300]
    rows: list[Row] = []
    results: dict[tuple[str, str], tuple[list[dict], list[dict]]] = {}
    for page in PAGES:
        if missing[page]:
            rows.append(not_built_row(page, missing[page]))
            continue
        for form in FORM_FACTORS:
            runs_by_site = collected[(page, form)]
            if (page, form) in failures:
                rows.append(
                    Row(
                        f"Lighthouse {form} {page}",
                        "could not be measured",
                        met=False,
                        note=failures[(page, form)],
                    )
                )
                continue
            ours, bare = runs_by_site["ours"], runs_by_site["bare"]
            results[(page, form)] = (ours, bare)
            rows.extend(lighthouse_rows(page, form, ours, bare, pairs=runs))
    return rows, details_table(results) if results else ""


def not_built_row(page: str, sites: list[str]) -> Row:
    """The row of a page that one of the sites does not have (yet)."""
    return Row(
        f"Lighthouse {page}",
        "not built",
        met=False,
        note=f"{page} is not in the {' and '.join(sites)} site: nothing to measure",
    )


def _built(root: Path, page: str) -> bool:
    return (root / page.strip("/") / "index.html").is_file()
