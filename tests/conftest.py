"""Shared test setup: the browser the Playwright tests drive, and mock helpers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def find_chromium() -> str | None:
    """Debian's chromium where it is installed; None means Playwright's own build."""
    candidates = (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium"), "/usr/bin/chromium")
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def _install_chromium() -> None:
    """Install a browser for Playwright where none is present (runs once, in the controller)."""
    if find_chromium() is not None:
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
            check=True,
            env=env,
        )
    else:  # GitHub Actions and other machines without root: Playwright's Chromium
        subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"], check=True)


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        _install_chromium()


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
    """The site built once with `mkdocs build --strict`, shared by every xdist worker.

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
            warnings = [
                line for line in output.splitlines() if "WARNING" in line or "ERROR" in line
            ]
            if result.returncode != 0 or warnings:
                failure.write_text(output)
    if failure.exists():
        pytest.fail("mkdocs build --strict failed:\n" + failure.read_text(), pytrace=False)
    return site_dir
