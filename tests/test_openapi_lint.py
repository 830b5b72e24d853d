"""Standard linters agree that the OpenAPI document the mock serves is clean.

Spectral with its `spectral:oas` ruleset and Redocly with its `recommended` ruleset, both pinned
and installed from npm into `.cache/npm-tools/` the first time (see tests/openapi_tools.py), lint
the document served at `GET /v1/openapi.json`: no error and no warning.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from flowlix_mock.testing import MockServer
from openapi_tools import npm_tools


@pytest.fixture(scope="module")
def served_document(flowlix_mock: MockServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    with flowlix_mock.client("fl_test_sk_" + "l" * 24) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["servers"] == [
        {"url": flowlix_mock.base_url, "description": "This flowlix-mock"}
    ]
    path = tmp_path_factory.mktemp("openapi") / "openapi.json"
    path.write_text(json.dumps(document, indent=2), "utf-8")
    return path


@pytest.fixture(scope="module")
def tools() -> Path:
    return npm_tools()


def test_spectral_oas_finds_nothing(served_document: Path, tools: Path, tmp_path: Path):
    ruleset = tmp_path / ".spectral.yaml"
    ruleset.write_text('extends: ["spectral:oas"]\n', "utf-8")
    result = subprocess.run(
        [
            str(tools / "spectral"),
            "lint",
            "--ruleset",
            str(ruleset),
            "--format",
            "json",
            "--quiet",
            str(served_document),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    findings = json.loads(result.stdout or "[]")
    problems = [
        f"{item['code']} at {'.'.join(map(str, item['path']))}: {item['message']}"
        for item in findings
    ]
    assert problems == [], "\n".join(problems)
    assert result.returncode == 0, result.stderr


def test_redocly_recommended_finds_nothing(served_document: Path, tools: Path, tmp_path: Path):
    config = tmp_path / "redocly.yaml"
    config.write_text("extends:\n  - recommended\n", "utf-8")
    result = subprocess.run(
        [
            str(tools / "redocly"),
            "lint",
            "--config",
            str(config),
            "--format",
            "json",
            str(served_document),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ | {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"},
    )
    report = json.loads(result.stdout)
    problems = [
        f"{item['ruleId']} ({item['severity']}): {item['message']}" for item in report["problems"]
    ]
    assert problems == [], "\n".join(problems)
    assert report["totals"]["errors"] == 0 and report["totals"]["warnings"] == 0
    assert result.returncode == 0, result.stderr
