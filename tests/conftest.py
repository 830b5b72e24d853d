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
    for candidate in (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium"), "/usr/bin/chromium"):
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
