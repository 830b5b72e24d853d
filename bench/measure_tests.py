"""The test suite: wall time of one `make test` (the environment is already installed, since
`make bench` depends on it), and the time per snippet from its JUnit XML, by language.

Snippets are discovered under snippets/ by file type (Python, Node, PHP, curl); a snippet's time
is the sum of every test case whose id names its path (running it against the mock, linting,
checking its card numbers...), setup and teardown included. A language with no snippets yet
gets a row saying so.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from harness import CACHE, ROOT, Row, median, say

SUITE_LIMIT_SECONDS = 180  # CONTEXT: the whole suite stays under 3 minutes on 2 cores
SNIPPETS = ROOT / "snippets"
LANGUAGES = {  # file type -> language of the per-snippet rows
    ".py": "Python",
    ".js": "Node",
    ".mjs": "Node",
    ".cjs": "Node",
    ".ts": "Node",
    ".php": "PHP",
    ".sh": "curl",
    ".curl": "curl",
}


def discover_snippets(folder: Path = SNIPPETS) -> dict[str, str]:
    """Every snippet program under `folder`: its path relative to it -> its language."""
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): LANGUAGES[path.suffix]
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.suffix in LANGUAGES
    }


SECONDS_PROPERTY = "snippet_seconds"


def junit_cases(junit: Path) -> list[tuple[str, float]]:
    """(class name and test id, seconds) of every test case in a JUnit XML file.

    A test whose program ran outside it (tests/test_snippets_languages.py runs every Node, PHP
    and curl program at once in a fixture) records the program's own wall time as the property
    `snippet_seconds`, which is taken instead of the test case's time."""
    cases = []
    for case in ElementTree.parse(junit).iter("testcase"):
        seconds = float(case.get("time") or 0)
        for prop in case.iter("property"):
            if prop.get("name") == SECONDS_PROPERTY:
                seconds = float(prop.get("value") or 0)
        cases.append((f"{case.get('classname', '')}::{case.get('name', '')}", seconds))
    return cases


def snippet_times(snippets: dict[str, str], cases: list[tuple[str, float]]) -> dict[str, float]:
    """Seconds per snippet: the sum over the test cases whose id names the snippet's path.

    A path matches only as a whole: `payments/pay.py` does not match inside `payments/pay.py.bak`
    or `other_payments/pay.py`, and a leading `snippets/` is allowed."""
    times: dict[str, float] = {}
    for path in snippets:
        pattern = re.compile(rf"(?<![\w.]){re.escape(path)}(?![\w.])")
        matched = [
            seconds for name, seconds in cases if pattern.search(name.replace("snippets/", ""))
        ]
        if matched:
            times[path] = sum(matched)
    return times


def snippet_rows(snippets: dict[str, str], times: dict[str, float]) -> list[Row]:
    """One row per language: the median time per snippet and the slowest."""
    rows: list[Row] = []
    for language in dict.fromkeys(LANGUAGES.values()):
        paths = [path for path, lang in snippets.items() if lang == language]
        timed = {path: times[path] for path in paths if path in times}
        if not paths:
            rows.append(Row(f"time per snippet, {language}", f"no {language} snippets yet"))
            continue
        if not timed:
            rows.append(
                Row(
                    f"time per snippet, {language}",
                    f"{len(paths)} snippets, no test names them",
                    met=False,
                    note="no JUnit test case id carries their paths",
                )
            )
            continue
        slowest = max(timed, key=timed.get)
        untimed = len(paths) - len(timed)
        note = f"slowest {timed[slowest]:.2f} s, {slowest}"
        if untimed:
            note += f"; {untimed} of {len(paths)} snippets not named by any test"
        rows.append(
            Row(
                f"time per snippet, {language}: median of {len(timed)} (s, all its tests)",
                f"{median(list(timed.values())):.2f}",
                note=note,
            )
        )
    return rows


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
    snippets = discover_snippets()
    cases = junit_cases(junit) if junit.is_file() else []
    rows.extend(snippet_rows(snippets, snippet_times(snippets, cases)))
    return rows
