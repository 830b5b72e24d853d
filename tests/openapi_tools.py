"""Pinned npm linters for the OpenAPI tests, installed once into a cache folder of the repository.

Spectral and Redocly come from npm at fixed versions into `.cache/npm-tools/` (gitignored) the
first time a test needs them, the way `bench/harness.py` installs Prism; later runs reuse them.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"
NPM_PREFIX = CACHE / "npm-tools"
NPM_PACKAGES = {"@stoplight/spectral-cli": "6.16.3", "@redocly/cli": "2.77.0"}
# Written after an install whose linters started; an interrupted install never has it.
VERIFIED = NPM_PREFIX / "verified"


def _installed(package: str) -> str | None:
    manifest = NPM_PREFIX / "node_modules" / package / "package.json"
    if not manifest.is_file():
        return None
    return json.loads(manifest.read_text("utf-8")).get("version")


def _works(binaries: Path) -> bool:
    """Both linters start: an interrupted or half-extracted install (seen once: a dependency
    without its build folder) is caught here rather than as a confusing lint failure. Checked
    once after installing (each start costs seconds of Node), then remembered in VERIFIED."""
    for tool in ("spectral", "redocly"):
        if not (binaries / tool).exists():
            return False
        probe = subprocess.run(
            [str(binaries / tool), "--version"], capture_output=True, timeout=120
        )
        if probe.returncode != 0:
            return False
    return True


def npm_tools() -> Path:
    """The `node_modules/.bin` folder holding `spectral` and `redocly` at the pinned versions."""
    CACHE.mkdir(exist_ok=True)
    binaries = NPM_PREFIX / "node_modules" / ".bin"
    with open(CACHE / "npm-tools.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers install once, one at a time
        wanted = [f"{name}@{version}" for name, version in NPM_PACKAGES.items()]
        pinned = all(_installed(name) == version for name, version in NPM_PACKAGES.items())
        if pinned and VERIFIED.is_file():
            return binaries
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is not installed (apt-get install nodejs npm)")
        for _attempt in range(2):  # a broken install is wiped and made again, once
            shutil.rmtree(NPM_PREFIX, ignore_errors=True)
            NPM_PREFIX.mkdir(parents=True)
            subprocess.run(
                [
                    npm,
                    "install",
                    "--prefix",
                    str(NPM_PREFIX),
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                    "--save-exact",
                    *wanted,
                ],
                check=True,
                capture_output=True,
                timeout=300,
            )
            if _works(binaries):
                VERIFIED.write_text(" ".join(wanted) + "\n", "utf-8")
                return binaries
        raise RuntimeError(f"spectral or redocly does not start after installing {wanted}")
