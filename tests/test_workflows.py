"""The CI workflows: valid, free of zizmor findings, and running the README's own commands.

Each check has a negative twin that feeds it a broken copy of the real workflow, so a check
that silently stopped checking would fail here instead of passing forever.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS_DIR = REPO / ".github" / "workflows"
WORKFLOW_FILES = sorted([*WORKFLOWS_DIR.glob("*.yml"), *WORKFLOWS_DIR.glob("*.yaml")])
DOCS_WORKFLOW = WORKFLOWS_DIR / "docs.yml"
ZIZMOR_CONFIG = REPO / ".github" / "zizmor.yml"
BIN = Path(sys.executable).parent
CHECK_JSONSCHEMA = BIN / "check-jsonschema"
ZIZMOR = BIN / "zizmor"

# Files and folders whose changes must trigger CI: the tests and the site build read them all.
CI_INPUTS = {
    "docs/**",
    "docs_macros/**",
    "overrides/**",
    "snippets/**",
    "src/**",
    "tests/**",
    "mkdocs.yml",
    "pyproject.toml",
    "uv.lock",
    "Makefile",
    "README.md",
    ".ci/**",
    ".github/**",
}
DEPLOYS_ON = "github.event_name == 'push' && github.ref == 'refs/heads/main'"
SEVERITY_RANK = {"Unknown": 0, "Informational": 1, "Low": 2, "Medium": 3, "High": 4}


def load_workflow(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the bare key `on` as the boolean True.
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def run_lines(job: dict) -> list[str]:
    return [step["run"].strip() for step in job.get("steps", []) if "run" in step]


def commands_in(script: str) -> list[str]:
    """Each shell command line of a script, comments and blank lines dropped, normalised."""
    commands = []
    for line in script.splitlines():
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError:  # not shell (say, a Python line with an apostrophe): not a command
            continue
        if tokens:
            commands.append(shlex.join(tokens))
    return commands


def readme_commands() -> list[str]:
    """Every command line inside README.md's fenced code blocks (a leading `$ ` prompt dropped)."""
    readme = REPO / "README.md"
    if not readme.exists():
        pytest.fail("README.md is missing: it must show the serve and test commands")
    blocks = re.findall(r"^ *(```|~~~)[^\n]*\n(.*?)^ *\1", readme.read_text(), re.M | re.S)
    commands = []
    for _, body in blocks:
        for line in body.splitlines():
            line = re.sub(r"^\s*\$\s+", "", line)
            commands.extend(commands_in(line))
    return commands


def readme_command(verb: str) -> str:
    """The one command README.md gives for `make <verb>`."""
    found = sorted({c for c in readme_commands() if shlex.split(c)[:2] == ["make", verb]})
    assert len(found) == 1, (
        f"README.md should give exactly one `make {verb}` command, found {found}"
    )
    return found[0]


def run_zizmor(*workflows: Path) -> list[dict]:
    """zizmor's findings at medium severity or above, offline (no token reaches it)."""
    tokens = {"GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN"}
    env = {name: value for name, value in os.environ.items() if name not in tokens}
    result = subprocess.run(
        [
            str(ZIZMOR),
            "--offline",
            "--no-exit-codes",
            "--no-progress",
            "--format=json",
            "--min-severity=medium",
            f"--config={ZIZMOR_CONFIG}",
            *map(str, workflows),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout)
    return [f for f in findings if SEVERITY_RANK[f["determinations"]["severity"]] >= 3]


def describe(findings: list[dict]) -> str:
    return "\n".join(
        f"{f['ident']} ({f['determinations']['severity']}): {f['desc']} at "
        + ", ".join(loc.get("concrete", {}).get("feature", "?").strip() for loc in f["locations"])
        for f in findings
    )


def check_jsonschema(*workflows: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(CHECK_JSONSCHEMA),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, workflows),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def mutated_workflow(tmp_path: Path, name: str, *replacements: tuple[str, str]) -> Path:
    """A copy of docs.yml with each (old, new) replacement applied at every occurrence."""
    text = DOCS_WORKFLOW.read_text()
    for old, new in replacements:
        assert old in text, f"docs.yml no longer contains {old!r}; update this negative case"
        text = text.replace(old, new)
    path = tmp_path / f"{name}.yml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def workflow() -> dict:
    return load_workflow(DOCS_WORKFLOW)


# --- (a) every workflow is valid against the GitHub workflow schema ---------------------------


def test_there_is_a_docs_workflow():
    assert DOCS_WORKFLOW in WORKFLOW_FILES


def test_every_workflow_validates_against_the_github_workflow_schema():
    result = check_jsonschema(*WORKFLOW_FILES)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "breakage",
    [
        pytest.param(("permissions: {}", "permissions: read-everything"), id="bad-permissions"),
        pytest.param(("    runs-on: ubuntu-latest\n", ""), id="jobs-without-runs-on"),
        pytest.param(("timeout-minutes: 20", "timeout-minutes: twenty"), id="bad-timeout"),
    ],
)
def test_schema_check_rejects_a_broken_workflow(tmp_path, breakage):
    broken = mutated_workflow(tmp_path, "broken", breakage)
    result = check_jsonschema(broken)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Schema validation errors were encountered" in result.stdout + result.stderr


# --- (b) zizmor finds nothing at medium severity or above -------------------------------------


def test_zizmor_reports_nothing_at_medium_or_above():
    findings = run_zizmor(*WORKFLOW_FILES)
    assert findings == [], describe(findings)


@pytest.mark.parametrize(
    ("replacements", "audit"),
    [
        pytest.param(
            [("permissions: {}", "permissions: write-all")],
            "excessive-permissions",
            id="write-all",
        ),
        pytest.param(
            [
                ("  pull_request:\n", "  pull_request_target:\n"),
                (
                    "          persist-credentials: false\n",
                    "          persist-credentials: false\n"
                    "          ref: ${{ github.event.pull_request.head.sha }}\n",
                ),
            ],
            "dangerous-triggers",
            id="pull-request-target-checking-out-the-pr-head",
        ),
        pytest.param(
            [("@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2", "@v4.2.2")],
            "unpinned-uses",
            id="action-pinned-by-tag",
        ),
        pytest.param(
            [("        with:\n          persist-credentials: false\n", "")],
            "artipacked",
            id="checkout-keeps-credentials",
        ),
    ],
)
def test_zizmor_flags_an_unsafe_workflow(tmp_path, replacements, audit):
    unsafe = mutated_workflow(tmp_path, audit, *replacements)
    findings = run_zizmor(unsafe)
    assert audit in {f["ident"] for f in findings}, describe(findings) or "no findings"


# --- (c) the README's commands are the ones CI runs -------------------------------------------


def test_readme_gives_the_serve_and_test_commands():
    serve, test = readme_command("serve"), readme_command("test")
    # Both are real Makefile targets that do what the README says they do (`make serve` is
    # `mkdocs serve` with the build step after each rebuild: docs_macros/serve.py).
    for command, does in ((serve, "-m docs_macros.serve"), (test, "pytest")):
        dry_run = subprocess.run(
            ["make", "--dry-run", *shlex.split(command)[1:]],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert dry_run.returncode == 0, dry_run.stderr
        assert does in dry_run.stdout, f"`{command}` should run {does}:\n{dry_run.stdout}"


def test_ci_run_invokes_exactly_the_readme_test_command():
    script = (REPO / ".ci" / "run").read_text()
    assert os.access(REPO / ".ci" / "run", os.X_OK), ".ci/run must be executable"
    # Setting shell options and moving to the repository root are not commands of their own.
    commands = [c for c in commands_in(script) if shlex.split(c)[0] not in {"set", "cd"}]
    assert commands == [readme_command("test")]


def test_the_test_job_runs_the_readme_test_command(workflow):
    assert readme_command("test") in [
        shlex.join(shlex.split(line)) for line in run_lines(workflow["jobs"]["test"])
    ]


def make_recipe(target: str) -> list[list[str]]:
    """The commands of a Makefile target, split like a shell would ($(VAR)s left as they are)."""
    makefile = (REPO / "Makefile").read_text()
    match = re.search(rf"^{target}:[^\n]*\n((?:\t[^\n]*\n)+)", makefile, re.M)
    assert match, f"the Makefile has no {target} target"
    return [shlex.split(line.strip()) for line in match.group(1).splitlines()]


def test_the_build_job_builds_the_site_strictly(workflow):
    # `make build`: the strict MkDocs build, then the build step that writes what the site
    # publishes besides its pages (llms.txt, openapi.json, ...): the same as the tests run.
    assert ["make", "build"] in [shlex.split(line) for line in run_lines(workflow["jobs"]["build"])]
    recipe = make_recipe("build")
    assert ["$(VENV)/bin/mkdocs", "build", "--strict"] == recipe[0]
    assert recipe[1][:3] == ["$(VENV)/bin/python", "-m", "docs_macros.publish"]
    assert recipe[1][3:5] == ["--site-dir", "site"]


def test_the_uploaded_site_is_the_folder_mkdocs_builds(workflow):
    mkdocs_yml = REPO / "mkdocs.yml"
    text = mkdocs_yml.read_text() if mkdocs_yml.exists() else ""
    site_dir = re.search(r"^site_dir:\s*['\"]?([^'\"\s#]+)", text, re.M)
    uploads = [
        step["with"]["path"]
        for step in workflow["jobs"]["build"]["steps"]
        if step.get("uses", "").startswith("actions/upload-pages-artifact@")
    ]
    assert uploads == [site_dir.group(1) if site_dir else "site"]


# --- the workflow's shape: triggers, privileges, pins, the gate -------------------------------


def test_triggers_cover_every_ci_input(workflow):
    on = workflow["on"]
    assert set(on["pull_request"]["paths"]) == CI_INPUTS
    assert on["push"]["paths"] == on["pull_request"]["paths"]
    assert on["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in on
    [schedule] = on["schedule"]
    minute, hour, day_of_month, month, day_of_week = schedule["cron"].split()
    assert (day_of_month, month) == ("*", "*") and day_of_week.isdigit(), "weekly"


def test_superseded_pull_request_runs_are_cancelled(workflow):
    concurrency = workflow["concurrency"]
    assert "github.ref" in concurrency["group"]
    assert concurrency["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"


def test_only_the_deploy_job_may_write(workflow):
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        granted = job.get("permissions", {})
        writes = {scope for scope, level in granted.items() if level == "write"}
        expected = {"pages", "id-token"} if name == "deploy" else set()
        assert writes == expected, name
        assert set(granted.values()) <= {"read", "write"}, name


def test_every_job_has_a_timeout(workflow):
    for name, job in workflow["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), name


def test_checkouts_do_not_keep_credentials(workflow):
    checkouts = [
        step
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if step.get("uses", "").startswith("actions/checkout@")
    ]
    assert checkouts
    assert all(step["with"]["persist-credentials"] is False for step in checkouts)


def test_every_action_is_pinned_to_a_commit_with_its_version_alongside():
    uses_lines = re.findall(r"^\s*(?:-\s*)?uses:\s*(.+)$", DOCS_WORKFLOW.read_text(), re.M)
    assert uses_lines
    for line in uses_lines:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", line), line


def test_deploy_runs_only_for_pushes_to_main_after_tests_and_build(workflow):
    deploy = workflow["jobs"]["deploy"]
    assert deploy["if"] == DEPLOYS_ON
    assert set(deploy["needs"]) == {"test", "build"}
    assert deploy["environment"]["name"] == "github-pages"
    assert any(step.get("uses", "").startswith("actions/deploy-pages@") for step in deploy["steps"])


def test_the_gate_waits_for_every_job(workflow):
    gate = workflow["jobs"]["all-green"]
    assert gate["if"] == "always()"
    assert set(gate["needs"]) == set(workflow["jobs"]) - {"all-green"}
    [step] = gate["steps"]
    assert step["env"]["DEPLOY_EXPECTED"] == "${{ " + DEPLOYS_ON + " }}"


@pytest.mark.parametrize(
    ("results", "deploy_expected", "green"),
    [
        pytest.param(("success", "success", "success"), True, True, id="push-to-main-all-pass"),
        pytest.param(("success", "success", "skipped"), False, True, id="pull-request-all-pass"),
        pytest.param(("success", "success", "skipped"), True, False, id="push-to-main-no-deploy"),
        pytest.param(("failure", "success", "skipped"), False, False, id="test-failed"),
        pytest.param(("success", "cancelled", "skipped"), False, False, id="build-cancelled"),
        pytest.param(("skipped", "success", "skipped"), False, False, id="test-skipped"),
        pytest.param(("success", "success", "failure"), True, False, id="deploy-failed"),
    ],
)
def test_the_gate_passes_only_when_every_job_did_its_part(
    workflow, results, deploy_expected, green
):
    [step] = workflow["jobs"]["all-green"]["steps"]
    needs = {
        job: {"result": result, "outputs": {}}
        for job, result in zip(("test", "build", "deploy"), results, strict=True)
    }
    gate = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        env={
            "PATH": os.environ["PATH"],
            "NEEDS": json.dumps(needs),
            "DEPLOY_EXPECTED": "true" if deploy_expected else "false",
        },
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (gate.returncode == 0) is green, gate.stdout + gate.stderr
    for job, result in zip(("test", "build", "deploy"), results, strict=True):
        assert f"{job}: {result}" in gate.stdout
