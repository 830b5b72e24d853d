"""The test suite: wall time of one `make test` (the environment is already installed, since
`make bench` depends on it), and the median time per snippet test from its JUnit XML."""

from __future__ import annotations

import os
import subprocess
import time
import xml.etree.ElementTree as ElementTree

from harness import CACHE, ROOT, Row, median, say

SUITE_LIMIT_SECONDS = 180  # CONTEXT: the whole suite stays under 3 minutes on 2 cores
SNIPPET_TESTS = "tests.test_snippets"


def measure() -> list[Row]:
    CACHE.mkdir(parents=True, exist_ok=True)
    junit = CACHE / "junit.xml"
    junit.unlink(missing_ok=True)
    say("tests: one `make test`")
    env = os.environ | {"PYTEST_ADDOPTS": f"--junitxml={junit}"}
    started = time.perf_counter()
    result = subprocess.run(
        ["make", "--no-print-directory", "test"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wall = time.perf_counter() - started
    (CACHE / "make-test.log").write_text(result.stdout)
    summary = next(
        (line.strip("= ") for line in reversed(result.stdout.splitlines()) if " in " in line),
        f"exit status {result.returncode}",
    )
    rows = [
        Row(
            "`make test` wall time, installed environment (s)",
            f"{wall:.1f}",
            target=f"< {SUITE_LIMIT_SECONDS} s",
            met=wall < SUITE_LIMIT_SECONDS and result.returncode == 0,
            note=summary if result.returncode == 0 else f"FAILED: {summary}",
        )
    ]
    snippet_times = []
    if junit.is_file():
        for case in ElementTree.parse(junit).iter("testcase"):
            if case.get("classname", "").startswith(SNIPPET_TESTS):
                snippet_times.append(float(case.get("time", "0")))
    if snippet_times:
        rows.append(
            Row(
                f"time per snippet test, median of {len(snippet_times)} (s)",
                f"{median(snippet_times):.2f}",
                note=f"slowest {max(snippet_times):.2f} s",
            )
        )
    else:
        rows.append(Row("time per snippet test", "no tests/test_snippets.py results", met=False))
    return rows
