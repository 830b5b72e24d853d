"""snippets/coverage.yml maps every go-live checklist item to the snippets that show it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COVERAGE_FILE = ROOT / "snippets" / "coverage.yml"

# The checklist's item ids (the contract shared by the checklist, the docs and this map).
CHECKLIST_ITEMS = (
    "use-live-keys",
    "idempotency-key-on-post",
    "store-payment-id",
    "amounts-in-minor-units",
    "tolerate-api-changes",
    "handle-all-error-types",
    "friendly-decline-messages",
    "retry-5xx",
    "no-retry-4xx",
    "respect-rate-limits",
    "secret-keys-server-side",
    "https-everywhere",
    "validate-webhooks",
    "never-log-card-numbers",
    "pci-dss",
    "dashboard-security",
    "test-payment-scenarios",
    "test-idempotency",
    "test-error-handling",
    "test-hpp-redirect",
    "log-request-id",
    "monitor-decline-rates",
    "set-up-alerts",
    "handle-disputes",
    "obtain-live-key",
    "set-live-key",
    "live-webhook-endpoint",
    "real-card-test-payment",
    "monitor-first-transactions",
    "rollback-plan",
)

# The "For EEA customers" items (Strong Customer Authentication), beside the 25 above.
EEA_ITEMS = (
    "eea-handle-3ds-challenges",
    "eea-verify-after-return",
    "eea-record-liability-shift",
    "eea-test-3ds-outcomes",
)


def problems(mapping: object, items: tuple[str, ...], root: Path) -> list[str]:
    """Everything wrong with a coverage map; empty when it is complete and consistent."""
    if not isinstance(mapping, dict):
        return ["the coverage map is not a mapping of item id -> snippets"]
    found: list[str] = []
    for item in items:
        if item not in mapping:
            found.append(f"{item}: not in the map")
    mapped: set[Path] = set()
    for item, entry in mapping.items():
        if item not in items:
            found.append(f"{item}: not a checklist item")
        if isinstance(entry, dict) and set(entry) == {"operational"}:
            reason = entry["operational"]
            if not isinstance(reason, str) or not reason.strip() or "\n" in reason.strip():
                found.append(f"{item}: an operational item needs a one-line reason")
            continue
        if not isinstance(entry, list) or not entry:
            found.append(f"{item}: no snippets")
            continue
        for name in entry:
            path = root / str(name)
            if not str(name).startswith("snippets/") or not path.is_file():
                found.append(f"{item}: {name} does not exist")
            mapped.add(path.resolve())
    for snippet in sorted((root / "snippets").rglob("*.py")):
        if snippet.resolve() not in mapped:
            found.append(f"{snippet.relative_to(root)}: mapped to no checklist item")
    return found


def load_map() -> tuple[dict, dict]:
    """The checklist part of the map, and its `flows` part (each flow in every language)."""
    mapping = yaml.safe_load(COVERAGE_FILE.read_text(encoding="utf-8"))
    flows = mapping.pop("flows", None)
    return mapping, flows


def test_coverage_map_is_complete() -> None:
    mapping, _ = load_map()
    assert problems(mapping, CHECKLIST_ITEMS + EEA_ITEMS, ROOT) == []


LANGUAGES = {"python": ".py", "node": ".mjs", "php": ".php", "curl": ".sh"}


def flow_problems(flows: object, root: Path) -> list[str]:
    """Everything wrong with the flows map; empty when every flow is shown in every language."""
    if not isinstance(flows, dict) or not flows:
        return ["the map has no flows: flow -> {python, node, php, curl: [files]}"]
    found: list[str] = []
    listed: set[Path] = set()
    for name, languages in flows.items():
        if not isinstance(languages, dict) or set(languages) != set(LANGUAGES):
            found.append(f"{name}: needs exactly {sorted(LANGUAGES)}")
            continue
        for language, files in languages.items():
            if not isinstance(files, list) or not files:
                found.append(f"{name}: no {language} program")
                continue
            for file in files:
                path = root / str(file)
                if not path.is_file() or path.suffix != LANGUAGES[language]:
                    found.append(f"{name}: {file} is not a {language} program that exists")
                listed.add(path.resolve())
    for suffix in (".mjs", ".php", ".sh"):
        for program in sorted((root / "snippets").rglob(f"*{suffix}")):
            if program.resolve() not in listed:
                found.append(f"{program.relative_to(root)}: in no flow")
    return found


def test_every_flow_is_shown_in_every_language() -> None:
    _, flows = load_map()
    assert flow_problems(flows, ROOT) == []


@pytest.mark.parametrize(
    ("text", "files", "expected"),
    [
        (
            "f: {python: [snippets/a.py], node: [snippets/a.mjs], php: [snippets/a.php]}",
            (),
            "exactly",
        ),
        (
            "f: {python: [snippets/a.py], node: [], php: [snippets/a.php], curl: [snippets/a.sh]}",
            ("a.py", "a.php", "a.sh"),
            "no node program",
        ),
        (
            "f: {python: [snippets/a.py], node: [snippets/a.py], php: [snippets/a.php],"
            " curl: [snippets/a.sh]}",
            ("a.py", "a.php", "a.sh"),
            "is not a node program",
        ),
        (
            "f: {python: [snippets/a.py], node: [snippets/a.mjs], php: [snippets/a.php],"
            " curl: [snippets/a.sh]}",
            ("a.py", "a.mjs", "a.php", "a.sh", "b.mjs"),
            "b.mjs: in no flow",
        ),
    ],
)
def test_the_flow_check_fails_on_bad_maps(
    tmp_path: Path, text: str, files: tuple[str, ...], expected: str
) -> None:
    for name in files:
        (tmp_path / "snippets").mkdir(exist_ok=True)
        (tmp_path / "snippets" / name).write_text("x\n")
    found = flow_problems(yaml.safe_load(text), tmp_path)
    assert any(expected in problem for problem in found), found


def test_operational_items_are_few() -> None:
    mapping, _ = load_map()
    operational = sorted(item for item, entry in mapping.items() if isinstance(entry, dict))
    # Dashboard settings, disputes (no API in v1) and the rollback decision have no API call.
    assert operational == [
        "dashboard-security",
        "handle-disputes",
        "obtain-live-key",
        "rollback-plan",
    ]


def test_the_checklist_data_uses_the_same_ids() -> None:
    data_file = ROOT / "docs" / "data" / "checklist.yml"
    if not data_file.exists():
        pytest.skip("docs/data/checklist.yml is not written yet")
    ids = set(re.findall(r"\bid:\s*['\"]?([a-z0-9-]+)", data_file.read_text(encoding="utf-8")))
    assert set(CHECKLIST_ITEMS + EEA_ITEMS) <= ids


def write_map(tmp_path: Path, text: str, snippets: tuple[str, ...] = ("a/one.py",)) -> object:
    for name in snippets:
        (tmp_path / "snippets" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "snippets" / name).write_text("print(1)\n")
    return yaml.safe_load(text)


@pytest.mark.parametrize(
    ("text", "snippets", "expected"),
    [
        ("x: [snippets/a/one.py]\n", ("a/one.py",), "y: not in the map"),
        ("x: [snippets/a/one.py]\ny: []\n", ("a/one.py",), "y: no snippets"),
        (
            "x: [snippets/a/one.py]\ny: [snippets/a/gone.py]\n",
            ("a/one.py",),
            "does not exist",
        ),
        (
            "x: [snippets/a/one.py]\ny: [snippets/a/one.py]\n",
            ("a/one.py", "b/two.py"),
            "b/two.py",
        ),
        (
            "x: [snippets/a/one.py]\ny: {operational: ''}\n",
            ("a/one.py",),
            "one-line reason",
        ),
    ],
)
def test_the_map_check_fails_on_bad_maps(
    tmp_path: Path, text: str, snippets: tuple[str, ...], expected: str
) -> None:
    mapping = write_map(tmp_path, text, snippets)
    found = problems(mapping, ("x", "y"), tmp_path)
    assert any(expected in problem for problem in found), found


def test_the_map_check_accepts_a_good_map(tmp_path: Path) -> None:
    mapping = write_map(tmp_path, "x: [snippets/a/one.py]\ny: {operational: Done by hand.}\n")
    assert problems(mapping, ("x", "y"), tmp_path) == []
