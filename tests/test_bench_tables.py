"""`make bench`'s pure logic: how figures become rows, targets and verdicts (no timing here)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

# bench/ is a folder of scripts, not a package.
import harness  # noqa: E402
import measure_api  # noqa: E402
import measure_lighthouse  # noqa: E402
import measure_memory  # noqa: E402
import measure_tests  # noqa: E402
import run  # noqa: E402


def lighthouse_report(
    *,
    performance: float = 1.0,
    accessibility: float = 1.0,
    lcp: float = 1200.0,
    tbt: float = 0.0,
    cls: float = 0.0,
    weight: float = 150_000.0,
    requests: int = 10,
) -> dict:
    """The parts of a Lighthouse JSON report (`lhr`) that bench/measure_lighthouse.py reads."""
    audits = {
        "largest-contentful-paint": {"score": 1, "numericValue": lcp},
        "total-blocking-time": {"score": 1, "numericValue": tbt},
        "cumulative-layout-shift": {"score": 1, "numericValue": cls},
        "total-byte-weight": {"score": 1, "numericValue": weight},
        "network-requests": {
            "score": None,
            "details": {
                "items": [{"url": "http://127.0.0.1/x"}] * requests
                + [{"url": "data:image/svg+xml;charset=utf-8,<svg/>"}]
            },
        },
        "color-contrast": {"score": 1 if accessibility == 1 else 0},
        "image-alt": {"score": None},  # not applicable: never counts as lost
        "diagnostics": {"score": 0},  # weight 0: never counts as lost
    }
    return {
        "audits": audits,
        "categories": {
            "performance": {
                "score": performance,
                "auditRefs": [
                    {"id": "total-blocking-time", "weight": 30},
                    {"id": "diagnostics", "weight": 0},
                ],
            },
            "accessibility": {
                "score": accessibility,
                "auditRefs": [
                    {"id": "color-contrast", "weight": 7},
                    {"id": "image-alt", "weight": 10},
                ],
            },
            "best-practices": {"score": 1, "auditRefs": []},
            "seo": {"score": 1, "auditRefs": []},
        },
    }


def test_a_lighthouse_report_is_summarized():
    summary = measure_lighthouse.summarize(
        lighthouse_report(accessibility=0.93, lcp=2500.4, tbt=120, cls=0.044, requests=13)
    )
    assert summary["scores"] == {
        "performance": 100,
        "accessibility": 93,
        "best-practices": 100,
        "seo": 100,
    }
    assert summary["lost"]["accessibility"] == ["color-contrast"]
    assert summary["lost"]["performance"] == []
    assert (summary["lcp_ms"], summary["tbt_ms"], summary["cls"]) == (2500.4, 120, 0.044)
    assert summary["requests"] == 13


def test_a_failed_lighthouse_run_is_an_error_not_a_score():
    report = lighthouse_report() | {
        "runtimeError": {"code": "NO_FCP", "message": "The page did not paint"}
    }
    with pytest.raises(RuntimeError, match="NO_FCP"):
        measure_lighthouse.summarize(report)


def summaries(**figures) -> list[dict]:
    return [measure_lighthouse.summarize(lighthouse_report(**figures))]


def test_mobile_rows_meet_their_targets_when_ours_is_as_good_as_bare():
    rows = measure_lighthouse.lighthouse_rows(
        "/go-live/",
        "mobile",
        summaries(performance=0.98, tbt=130, cls=0.0004),
        summaries(performance=0.98, tbt=100),
        pairs=1,
    )
    scores, timings, weight = rows
    assert scores.ours == "98 / 100 / 100 / 100"
    assert scores.ratio == "+0 performance"
    assert scores.met is True
    assert timings.ours == "1,200 / 130 / 0.000"  # CLS as Lighthouse shows it: 0
    assert timings.ratio == "LCP 1.00x / TBT 1.30x"
    assert timings.met is True
    assert weight.ours == "146.5 / 10" and weight.met is None


def test_mobile_rows_miss_when_performance_tbt_cls_or_accessibility_fall_short():
    scores, timings, _ = measure_lighthouse.lighthouse_rows(
        "/",
        "mobile",
        summaries(performance=0.86, accessibility=0.95, tbt=210, cls=0.044),
        summaries(performance=0.9, tbt=100),
        pairs=1,
    )
    assert scores.met is False
    assert scores.ratio == "-4 performance"
    assert "accessibility: color-contrast" in scores.note
    assert timings.met is False
    assert timings.ratio == "LCP 1.00x / TBT 2.10x"


def test_desktop_performance_has_no_target_but_cls_does():
    scores, timings, _ = measure_lighthouse.lighthouse_rows(
        "/",
        "desktop",
        summaries(performance=0.7, tbt=500),
        summaries(performance=1.0, tbt=0),
        pairs=1,
    )
    assert scores.met is True
    assert timings.met is True
    assert timings.ratio == "LCP 1.00x / TBT —"  # no ratio to a bare TBT of 0


def test_medians_of_three_lighthouse_runs():
    ours = [
        measure_lighthouse.summarize(lighthouse_report(performance=p, tbt=t))
        for p, t in ((0.9, 300), (0.97, 100), (0.95, 150))
    ]
    scores, timings, _ = measure_lighthouse.lighthouse_rows(
        "/", "mobile", ours, summaries(performance=0.95, tbt=150), pairs=3
    )
    assert scores.ours.startswith("95 / ") and "median of 3" in scores.metric
    assert timings.ours == "1,200 / 150 / 0.000"


def test_a_page_that_is_not_built_gets_a_row_saying_so():
    row = measure_lighthouse.not_built_row("/3d-secure/", ["ours", "bare"])
    assert (row.ours, row.met) == ("not built", False)
    assert "/3d-secure/" in row.metric and "ours and bare" in row.note


def test_lighthouse_is_called_with_a_fresh_profile_and_desktop_preset(tmp_path):
    mobile = measure_lighthouse.lighthouse_command(
        "lighthouse", "http://127.0.0.1:1/", "mobile", tmp_path / "r.json", tmp_path / "p"
    )
    desktop = measure_lighthouse.lighthouse_command(
        "lighthouse", "http://127.0.0.1:1/", "desktop", tmp_path / "r.json", tmp_path / "p"
    )
    flags = next(argument for argument in mobile if argument.startswith("--chrome-flags="))
    assert f"--user-data-dir={tmp_path / 'p'}" in flags and "--headless" in flags
    assert "--preset=desktop" not in mobile and "--preset=desktop" in desktop


def wrk(rps: float, p99_ms: float, **problems: int) -> dict[str, float]:
    return {
        "rps": rps,
        "p50_us": p99_ms * 500,
        "p99_us": p99_ms * 1000,
        "unexpected_status": problems.get("unexpected_status", 0),
        "timeouts": problems.get("timeouts", 0),
    }


def test_mock_rows_against_both_peers():
    results = {}
    for endpoint in measure_api.ENDPOINTS:
        for connections in measure_api.CONNECTIONS:
            results[(endpoint, connections, "ours-http")] = wrk(5000, 2)
            results[(endpoint, connections, "ours-https")] = wrk(4000, 3)
            results[(endpoint, connections, "prism")] = wrk(1000, 10)
            results[(endpoint, connections, "localstripe")] = wrk(900, 2.5)
    rows = {row.metric: row for row in measure_api.api_rows(results)}
    assert len(rows) == 2 * 2 * 2 * 2 * 2  # transports, endpoints, connections, peers, rows
    prism = rows["POST /v1/payments, 32 conn, ours over HTTP vs Prism: requests/s"]
    assert (prism.ratio, prism.target, prism.met) == ("5.0x", ">= 5x Prism", True)
    https = rows["POST /v1/payments, 32 conn, ours over HTTPS vs Prism: requests/s"]
    assert (https.ratio, https.met) == ("4.0x", False)
    peer = rows["GET /v1/payments/{id}, 1 conn, ours over HTTP vs localstripe: requests/s"]
    assert (peer.baseline, peer.target, peer.met) == ("900", "> localstripe", True)
    latency = rows[
        "GET /v1/payments/{id}, 1 conn, ours over HTTPS vs localstripe: p50 / p99 latency (ms)"
    ]
    assert (latency.target, latency.met) == ("p99 < localstripe's", False)  # 3 ms vs 2.5 ms


def test_a_mock_row_with_errors_fails_whatever_its_speed():
    results = {}
    for endpoint in measure_api.ENDPOINTS:
        for connections in measure_api.CONNECTIONS:
            for name in ("ours-http", "ours-https", "prism"):
                results[(endpoint, connections, name)] = wrk(9000 if "ours" in name else 10, 1)
    results[("POST /v1/payments", 1, "ours-http")] = wrk(9000, 1, unexpected_status=3)
    rows = {row.metric: row for row in measure_api.api_rows(results)}
    broken = rows["POST /v1/payments, 1 conn, ours over HTTP vs Prism: requests/s"]
    assert broken.met is False and "3 unexpected statuses" in broken.note
    assert not any("localstripe" in metric for metric in rows)  # a peer that was not measured


def test_the_localstripe_payment_is_one_create_and_confirm_call():
    form = measure_api.localstripe_payment_form("pm_123")
    assert form == (
        "amount=4999&currency=eur&payment_method=pm_123&confirm=true"
        "&metadata%5Breference%5D=order-bench"
    )


def capped(requests: int, created: int, capacity_reached: int, **problems: int) -> dict:
    return {
        "requests": requests,
        "created": created,
        "capacity_reached": capacity_reached,
        "unexpected_status": problems.get("unexpected_status", 0),
        "timeouts": problems.get("timeouts", 0),
    }


def test_memory_is_bounded_at_max_objects_when_nothing_grows_past_capacity():
    rows = measure_memory.max_objects_rows(
        20_000,
        {"fill": capped(30_000, 10_000, 20_000), "held": capped(20_000, 0, 20_000)},
        {"start": 40 * 1024, "fill": 80 * 1024, "held": 81 * 1024},
    )
    fill, held = rows
    assert "10,000 created" in fill.metric and fill.ratio == "+4,194 B/payment created"
    assert (held.ours, held.ratio, held.met) == ("81.0", "+1.0 MiB", True)


@pytest.mark.parametrize(
    ("held", "rss_after", "problem"),
    [
        (capped(20_000, 0, 20_000), 90, ""),  # grew 10 MiB at capacity
        (capped(20_000, 5, 19_995), 80, "5 created past capacity"),
        (capped(20_000, 0, 19_000, unexpected_status=1_000), 80, "statuses other than 201/503"),
    ],
)
def test_memory_is_not_bounded_when_it_grows_or_creates_past_capacity(held, rss_after, problem):
    rows = measure_memory.max_objects_rows(
        20_000,
        {"fill": capped(30_000, 10_000, 20_000), "held": held},
        {"start": 40 * 1024, "fill": 80 * 1024, "held": rss_after * 1024},
    )
    assert rows[1].met is False
    assert problem in rows[1].note


def test_snippets_are_discovered_by_language_and_timed_by_their_tests(tmp_path):
    for name in (
        "payments/create_payment.py",
        "payments/create_payment.mjs",
        "payments/create_payment.php",
        "payments/create_payment.sh",
        "payments/notes.md",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    snippets = measure_tests.discover_snippets(tmp_path)
    assert snippets == {
        "payments/create_payment.mjs": "Node",
        "payments/create_payment.php": "PHP",
        "payments/create_payment.py": "Python",
        "payments/create_payment.sh": "curl",
    }
    cases = [
        ("tests.test_snippets::test_snippet[payments/create_payment.py]", 1.5),
        ("tests.test_snippets::test_card_numbers[payments/create_payment.py]", 0.25),
        ("tests.test_snippets::test_snippet[payments/create_payment.py.bak]", 9.0),
        ("tests.test_node::test_node_snippet[snippets/payments/create_payment.mjs]", 2.0),
        ("tests.test_other::test_x[other_payments/create_payment.php]", 9.0),
    ]
    times = measure_tests.snippet_times(snippets, cases)
    assert times == {"payments/create_payment.py": 1.75, "payments/create_payment.mjs": 2.0}
    rows = {row.metric.split(":")[0]: row for row in measure_tests.snippet_rows(snippets, times)}
    assert rows["time per snippet, Python"].ours == "1.75"
    assert rows["time per snippet, Node"].ours == "2.00"
    assert rows["time per snippet, PHP"].ours == "1 snippets, no test names them"
    assert rows["time per snippet, PHP"].met is False


def test_languages_without_snippets_yet_are_reported_not_failed():
    rows = measure_tests.snippet_rows({"a.py": "Python"}, {"a.py": 0.5})
    by_language = {row.metric.split(":")[0]: row for row in rows}
    assert by_language["time per snippet, Node"].ours == "no Node snippets yet"
    assert by_language["time per snippet, Node"].met is None
    assert by_language["time per snippet, Python"].ours == "0.50"


def test_missed_targets_are_listed_with_their_figures():
    rows = [
        harness.Row("build (s)", "1.6", "1.0", "1.60x", "<= 1.3x bare", False),
        harness.Row("requests", "13", "6", "2.17x"),
        harness.Row("a11y", "100", target="100", met=True),
        harness.Row("max objects", "option not available", met=False, note="no option"),
    ]
    text = run.missed_targets(rows)
    assert text.startswith("## Targets not met in this run (2 of 3)")
    assert (
        "- build (s): ours 1.6, baseline 1.0, ratio 1.60x against the target <= 1.3x bare" in text
    )
    assert "- max objects: ours option not available (no option)" in text
    assert "requests" not in text
    assert run.missed_targets(rows[1:3]) == ""


def test_the_table_escapes_pipes_and_shows_verdicts():
    table = harness.markdown_table(
        [harness.Row("a | b", "1", met=True), harness.Row("c", "2", met=False, note="why")]
    )
    lines = table.splitlines()
    assert lines[2] == "| a \\| b | 1 | — | — | — | yes |"
    assert lines[3] == "| c | 2 | — | — | — | **no** (why) |"


def test_a_program_timed_outside_its_test_reports_its_own_seconds(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.test_snippets_languages" '
        'name="test_program[payments/create_payment.php]" time="4.000">'
        '<properties><property name="snippet_seconds" value="0.750"/></properties>'
        "</testcase>"
        '<testcase classname="tests.test_snippets" name="test_snippet[payments/a.py]" '
        'time="1.250"/>'
        "</testsuite></testsuites>"
    )
    assert measure_tests.junit_cases(junit) == [
        ("tests.test_snippets_languages::test_program[payments/create_payment.php]", 0.75),
        ("tests.test_snippets::test_snippet[payments/a.py]", 1.25),
    ]
