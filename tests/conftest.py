"""Shared test setup: the browser the Playwright tests drive, and mock helpers."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
# What `make build` writes for the package's MCP server (gitignored; shipped in the wheel).
DOCS_BUNDLE = ROOT / "src" / "flowlix_mock" / "docs_bundle.json"


def find_chromium() -> str | None:
    """Debian's chromium where it is installed; None means Playwright's own build."""
    candidates = (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium"), "/usr/bin/chromium")
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def php_with_curl() -> bool:
    """PHP's command line with the curl extension, which the PHP snippets need."""
    if shutil.which("php") is None:
        return False
    probe = ["php", "-r", "exit(extension_loaded('curl') ? 0 : 1);"]
    return subprocess.run(probe, capture_output=True, timeout=30).returncode == 0


def missing_debian_packages() -> list[str]:
    """What the tests need from Debian and this machine lacks: a browser, PHP, jq."""
    missing = [] if find_chromium() is not None else ["chromium"]
    if not php_with_curl():
        missing += ["php-cli", "php-curl"]
    if shutil.which("jq") is None:
        missing.append("jq")
    return missing


def _install_test_tools() -> None:
    """Install what the tests need where it is missing (runs once, in the controller)."""
    missing = missing_debian_packages()
    if not missing:
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
            check=True,
            env=env,
        )
    elif "chromium" in missing:
        # GitHub Actions and other machines without root: Playwright's Chromium (the workflow
        # installs PHP and jq with apt-get before `make test`).
        subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"], check=True)


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        _install_test_tools()


# Test files whose tests are independent checks of one page each (axe-core takes seconds a
# page): `make test` spreads them over the workers one by one instead of giving each file whole
# to one worker, as `--dist loadfile` does with the others (so their module fixtures start once).
SPREAD_FILES = {"tests/test_accessibility.py"}


@pytest.hookimpl(optionalhook=True)  # known only when pytest-xdist is loaded
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadfile`, except for SPREAD_FILES, whose tests go out one by one: as one unit,
    the accessibility file kept one worker busy long after the other had finished."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class LoadFileSpreading(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.split("::", 1)[0] in SPREAD_FILES:
                return nodeid
            return super()._split_scope(nodeid)

    return LoadFileSpreading(config, log)


@pytest.fixture(scope="session")
def chromium_launch_options() -> dict:
    """Keyword arguments for `playwright.chromium.launch` on this machine."""
    options: dict = {
        "headless": True,
        "args": ["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
    }
    executable = find_chromium()
    if executable is not None:
        options["executable_path"] = executable
    return options


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built once with `mkdocs build --strict` and the build step after it, shared by
    every xdist worker (`make build` runs the same two commands).

    The first worker to get the lock builds; the others wait for it and reuse the result (or
    its failure, so a broken build is reported once per test that needs it, not rebuilt).
    """
    import fcntl

    # Under xdist every worker has its own base temp inside one per-run folder: share that.
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    site_dir = shared / "built-site"
    failure = shared / "built-site.failure"
    with open(shared / "built-site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (site_dir / "index.html").exists() and not failure.exists():
            # The console script, as `make build` runs it (`python -m mkdocs` would put the
            # repository on sys.path and hide an import problem of the macros modules).
            mkdocs = str(Path(sys.executable).with_name("mkdocs"))
            result = subprocess.run(
                [mkdocs, "build", "--strict", "--site-dir", str(site_dir)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=300,
                env=os.environ | {"NO_MKDOCS_2_WARNING": "1"},
            )
            output = result.stdout + result.stderr
            if result.returncode == 0:
                # Then the build step, as `make build` runs it (docs_macros/publish.py): the
                # files the site publishes besides its pages, and the MCP server's docs bundle.
                result = subprocess.run(
                    [sys.executable, "-m", "docs_macros.publish", "--site-dir", str(site_dir)]
                    + ["--bundle", str(DOCS_BUNDLE)],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                output += result.stdout + result.stderr
            warnings = [
                line for line in output.splitlines() if "WARNING" in line or "ERROR" in line
            ]
            if result.returncode != 0 or warnings:
                failure.write_text(output)
    if failure.exists():
        pytest.fail("mkdocs build --strict failed:\n" + failure.read_text(), pytrace=False)
    return site_dir


# --- the built site in a real Chromium (shared by the browser tests) -------------------------


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site as a static host would, without a log line per request."""

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    """The built site over HTTP on a free loopback port."""
    handler = functools.partial(_SiteHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(chromium_launch_options: dict) -> Iterator[Browser]:
    """One Chromium for this module (Debian's /usr/bin/chromium here, see tests/conftest.py).

    Module scope, not session: Playwright's sync API keeps an asyncio loop marked as running in
    this thread while it is open, which would break `asyncio.run()` in other test modules.
    """
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium_launch_options)
        yield browser
        browser.close()


# --- per-test fixtures ------------------------------------------------------------------------


class Problems:
    """Page errors and console errors of every page in a context."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def watch(self, page: Page) -> Page:
        page.on("pageerror", lambda error: self.messages.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: (
                self.messages.append(f"console {message.type}: {message.text}")
                if message.type == "error"
                else None
            ),
        )
        return page


@pytest.fixture
def problems() -> Problems:
    return Problems()


@pytest.fixture
def context(browser: Browser, site_url: str) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=site_url)
    context.set_default_timeout(5_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, problems: Problems) -> Page:
    return problems.watch(context.new_page())
