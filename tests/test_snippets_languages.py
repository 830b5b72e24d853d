"""The Node.js, PHP and curl programs under snippets/ run against one mock, output checked exactly.

Each program ends with its expected output, a comment block that starts with `Output:`, as a
reader sees it on the page. The programs run as a merchant runs them (`node x.mjs`,
`php x.php`, `bash x.sh`) with the key, the API base and the mock's CA in the environment, each
with its own deterministic test key on a mock started with `--seed`, so ids are exact.
They all run at once, in threads, against one mock; the tests then check each result.
`pytest --update-examples` rewrites the `Output:` blocks from what the programs printed.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from flowlix_mock import catalog
from flowlix_mock.testing import MockServer, new_test_key, start_mock

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS_DIR = ROOT / "snippets"
SUPPORT_DIR = ROOT / "tests" / "support"
MOCK_SEED = "flowlix-docs"
REQUEST_ID = re.compile(r"req_[A-Za-z0-9]{16,}")
FULL_TEST_CARDS = [card.number for card in catalog.TEST_CARDS]


@dataclass(frozen=True)
class Language:
    name: str
    suffix: str
    comment: str
    executable: str

    def command(self, program: Path, ca_file: Path | None, fast_sleep: bool = False) -> list[str]:
        """How a merchant runs the program; with `fast_sleep`, its waits are only recorded."""
        if self.name == "php":
            # PHP's curl extension trusts what php.ini's curl.cainfo names (or the system's
            # CAs): a merchant sets it there, or with -d as here; the code stays the same.
            settings = ["-d", f"curl.cainfo={ca_file}"] if ca_file else []
            if fast_sleep:  # PHP 8 lets a disabled built-in be declared again
                prepend = SUPPORT_DIR / "fast_sleep.php"
                settings += ["-d", "disable_functions=usleep", "-d", f"auto_prepend_file={prepend}"]
            return ["php", *settings, str(program)]
        if self.name == "node" and fast_sleep:
            return ["node", "--import", (SUPPORT_DIR / "fast_sleep.mjs").as_uri(), str(program)]
        return [self.executable, str(program)]

    def env(self, ca_file: Path) -> dict[str, str]:
        """How each runtime is told to trust the mock's CA, as a merchant would tell it."""
        if self.name == "node":
            return {"NODE_EXTRA_CA_CERTS": str(ca_file)}
        if self.name == "curl":
            return {"CURL_CA_BUNDLE": str(ca_file)}
        return {}


LANGUAGES = (
    Language("node", ".mjs", "//", "node"),
    Language("php", ".php", "//", "php"),
    Language("curl", ".sh", "#", "bash"),
)
BY_SUFFIX = {language.suffix: language for language in LANGUAGES}
PROGRAMS = sorted(
    path for language in LANGUAGES for path in SNIPPETS_DIR.rglob(f"*{language.suffix}")
)

# Programs that never call the API (no request id to log).
OFFLINE = {"webhooks/verify_signature"}
# Programs that wait on purpose (backoff with full jitter, Retry-After): their waits are recorded
# instead of waited (tests/support/), and must fall in these bounds, in this order, in seconds.
SLEEP_BOUNDS = {
    "errors/retry_with_backoff": [
        *[(0, 1), (0, 2), (0, 4)],  # three 500s: full jitter up to 1, 2, 4 s
        *[(1, 2), (1, 2)],  # 429 and 503 with Retry-After: 1 s, plus jitter up to 1 s
        *[(0, 1), (0, 2), (0, 4)],  # 500s until giving up after four attempts
    ],
}
# Programs written to the contract for mock features that have not landed yet.
PENDING: set[str] = set()


def relative(path: Path) -> str:
    return path.relative_to(SNIPPETS_DIR).as_posix()


def flow(path: Path) -> str:
    """The flow a program shows: its path without the language's suffix."""
    return relative(path).removesuffix(path.suffix)


def language_of(path: Path) -> Language:
    return BY_SUFFIX[path.suffix]


# --- expected output, written at the end of each program -------------------------------------


def output_block(text: str, comment: str) -> tuple[int, list[str]]:
    """Where the `Output:` block starts (line index) and the output lines it expects."""
    lines = text.splitlines()
    marker = f"{comment} Output:"
    starts = [index for index, line in enumerate(lines) if line.rstrip() == marker]
    assert starts, f"no '{marker}' block at the end of the program"
    start = starts[-1]
    expected = []
    for line in lines[start + 1 :]:
        assert line == comment or line.startswith(comment + " "), f"not an output line: {line!r}"
        expected.append(line[len(comment) + 1 :])
    return start, expected


def with_output(text: str, comment: str, output: str) -> str:
    start, _ = output_block(text, comment)
    lines = text.splitlines()[: start + 1]
    lines += [f"{comment} {line}".rstrip() for line in output.splitlines()]
    return "\n".join(lines) + "\n"


# --- running the programs --------------------------------------------------------------------


def base_env() -> dict[str, str]:
    """A clean environment: no Flowlix settings or CA overrides leak in from the caller."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    return {name: os.environ[name] for name in keep if name in os.environ}


def run(
    program: Path, env: dict[str, str], ca_file: Path | None
) -> subprocess.CompletedProcess[str]:
    language = language_of(program)
    fast_sleep = "SLEEP_LOG" in env
    if fast_sleep and language.name == "curl":  # the recording `sleep` first on PATH
        env = env | {"PATH": f"{SUPPORT_DIR}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        language.command(program, ca_file, fast_sleep),
        env=base_env() | env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=program.parent,
    )


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    sleeps: list[float]
    mock_log: str = ""


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with start_mock(seed=MOCK_SEED) as server:
        yield server


def program_env(mock: MockServer, program: Path) -> dict[str, str]:
    env = {
        "FLOWLIX_API_KEY": new_test_key(seed=relative(program)),
        "FLOWLIX_API_BASE": mock.base_url,
    }
    return env | language_of(program).env(mock.ca_file)


@pytest.fixture(scope="module")
def results(mock: MockServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Result]:
    """Every program, run once, all at the same time against the shared mock."""
    missing = [lang.executable for lang in LANGUAGES if shutil.which(lang.executable) is None]
    assert not missing, f"not installed: {missing} (tests/conftest.py installs them as root)"
    sleep_logs = tmp_path_factory.mktemp("sleeps")

    def one(program: Path) -> Result:
        env = program_env(mock, program)
        sleep_log = sleep_logs / relative(program).replace("/", "-")
        if flow(program) in SLEEP_BOUNDS:
            sleep_log.touch()
            env["SLEEP_LOG"] = str(sleep_log)
        started = time.monotonic()
        completed = run(program, env, mock.ca_file)
        seconds = time.monotonic() - started
        sleeps = (
            [float(line) for line in sleep_log.read_text().split()] if "SLEEP_LOG" in env else []
        )
        return Result(completed.returncode, completed.stdout, completed.stderr, seconds, sleeps)

    # The longest first, so that the run ends sooner.
    ordered = sorted(PROGRAMS, key=lambda path: flow(path) not in SLEEP_BOUNDS)
    with ThreadPoolExecutor(max_workers=6) as pool:
        done = dict(zip(map(relative, ordered), pool.map(one, ordered), strict=True))
    log = mock.log_text()
    for result in done.values():
        result.mock_log = log
    return done


def program_params() -> list:
    params = []
    for path in PROGRAMS:
        marks = []
        if flow(path) in PENDING:
            marks.append(pytest.mark.xfail(reason="the mock does not serve this yet", strict=True))
        params.append(pytest.param(path, id=relative(path), marks=marks))
    return params


@pytest.mark.parametrize("path", program_params())
def test_program(
    path: Path,
    results: dict[str, Result],
    request: pytest.FixtureRequest,
    record_property,
) -> None:
    result = results[relative(path)]
    # The programs run together in the `results` fixture, so the JUnit time of this test is not
    # the program's: `make bench` reads the program's own wall time from this property.
    record_property("snippet_seconds", f"{result.seconds:.3f}")
    language = language_of(path)
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stderr}"
    text = path.read_text(encoding="utf-8")
    if request.config.getoption("update_examples"):
        text = with_output(text, language.comment, result.stdout)
        path.write_text(text, encoding="utf-8")
    _, expected = output_block(text, language.comment)
    assert result.stdout.splitlines() == expected
    if flow(path) not in OFFLINE:
        assert REQUEST_ID.search(result.stderr), "the program never logged a Flowlix-Request-Id"
    bounds = SLEEP_BOUNDS.get(flow(path), [])
    assert len(result.sleeps) == len(bounds), result.sleeps
    for seconds, (low, high) in zip(result.sleeps, bounds, strict=True):
        assert low <= seconds <= high, (result.sleeps, bounds)
    for number in FULL_TEST_CARDS:
        assert number not in result.stdout + result.stderr
        assert number not in result.mock_log


def test_every_flow_in_every_language() -> None:
    flows = {flow(path) for path in PROGRAMS}
    for name in flows:
        for language in LANGUAGES:
            assert (SNIPPETS_DIR / f"{name}{language.suffix}").is_file(), (
                name,
                language.name,
            )
        assert (SNIPPETS_DIR / f"{name}.py").is_file() or name in PYTHON_ELSEWHERE, name


# Flows whose Python version is spread over other files (the coverage map names them).
PYTHON_ELSEWHERE = {"three_d_secure/direct_api_payment"}  # create_payment.py, return_handler.py


# --- the output check itself can fail --------------------------------------------------------


def test_a_wrong_expected_output_fails() -> None:
    text = "console.log(1);\n// Output:\n// 2\n"
    _, expected = output_block(text, "//")
    assert "1\n".splitlines() != expected
    assert with_output(text, "//", "1\n") == "console.log(1);\n// Output:\n// 1\n"


def test_an_output_block_must_be_there() -> None:
    with pytest.raises(AssertionError, match="no '# Output:' block"):
        output_block("echo 1\n", "#")
    with pytest.raises(AssertionError, match="not an output line"):
        output_block("echo 1\n# Output:\necho 2\n", "#")


# --- facts the programs hard-code match the catalog ------------------------------------------

MESSAGE_PAIRS = {
    "node": re.compile(r'^\s*"([a-z_]+)": (GENERIC_MESSAGE|"[^"]*"),?$', re.M),
    "php": re.compile(r"^\s*'([a-z_]+)' => (GENERIC_MESSAGE|\"[^\"]*\"),?$", re.M),
    "curl": re.compile(r'^\s*([a-z_]+)\) echo (\$GENERIC_MESSAGE|"[^"]*") ;;$', re.M),
}


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.name)
def test_decline_messages_match_the_catalog(language: Language) -> None:
    text = (SNIPPETS_DIR / f"payments/create_payment{language.suffix}").read_text()
    generic = f'"{catalog.GENERIC_DECLINE_MESSAGE}"'
    assert generic in text
    messages = {
        code: (catalog.GENERIC_DECLINE_MESSAGE if "GENERIC_MESSAGE" in value else value.strip('"'))
        for code, value in MESSAGE_PAIRS[language.name].findall(text)
    }
    expected = {code.decline_code: code.customer_message for code in catalog.DECLINE_CODES}
    assert messages == expected


# --- bad input: no key, no network -----------------------------------------------------------


def assert_one_line_failure(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 1, result
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.name)
def test_missing_key_and_unreachable_api_are_one_clear_line(
    language: Language, mock: MockServer
) -> None:
    program = SNIPPETS_DIR / f"payments/create_payment{language.suffix}"
    env = program_env(mock, program)
    with socket.socket() as probe:  # a loopback port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with ThreadPoolExecutor(max_workers=2) as pool:
        no_key = pool.submit(run, program, {"FLOWLIX_API_BASE": mock.base_url}, mock.ca_file)
        unreachable = pool.submit(
            run,
            program,
            env | {"FLOWLIX_API_BASE": f"https://127.0.0.1:{port}/v1"},
            mock.ca_file,
        )
        assert_one_line_failure(no_key.result(), "FLOWLIX_API_KEY")
        assert_one_line_failure(unreachable.result(), "could not reach Flowlix")


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.name)
def test_the_mock_is_trusted_only_through_the_ca_setting(
    language: Language, mock: MockServer
) -> None:
    """Without the CA setting the program refuses the mock's certificate: TLS is verified."""
    program = SNIPPETS_DIR / f"payments/create_payment{language.suffix}"
    env = {key: value for key, value in program_env(mock, program).items() if "CA" not in key}
    assert_one_line_failure(run(program, env, None), "could not reach Flowlix")


POLICY = {
    "node": r"const {name} = (?P<value>[^;]+);",
    "php": r"const {name} = (?P<value>[^;]+);",
    "curl": r"^{name}=(?P<value>\([^)]*\)|\S+)",
}


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.name)
def test_retry_policy_matches_the_catalog(language: Language) -> None:
    """The one retry policy (catalog.LIMITS), the same numbers in every language."""
    text = (SNIPPETS_DIR / f"errors/retry_with_backoff{language.suffix}").read_text()

    def value(name: str) -> str:
        match = re.search(POLICY[language.name].format(name=name), text, re.M)
        assert match, f"no {name}"
        return match["value"]

    limits = catalog.LIMITS
    assert re.findall(r"\d+", value("BACKOFF_SECONDS")) == [
        str(seconds) for seconds in limits.retry_backoff_seconds
    ]
    assert value("MAX_ATTEMPTS") == str(limits.retry_max_attempts)
    assert value("TOTAL_SECONDS") == str(limits.retry_total_seconds)
