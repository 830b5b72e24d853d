"""The project's own Python passes the pinned ruff, as lint and as format."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUFF = str(Path(sys.executable).with_name("ruff"))
CODE = ["src", "tests", "docs_macros", "bench"]


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=" ".join)
def test_ruff(command: list[str]):
    paths = [path for path in CODE if (ROOT / path).exists()]
    result = subprocess.run(
        [RUFF, *command, *paths],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"RUFF_OUTPUT_FORMAT": "concise", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
