"""Dependencies inside `src/flowlix_mock` run one way, with no import circle.

Every import between the package's modules counts: at the top, inside functions, and under
`if TYPE_CHECKING:`. The layers, lowest first: the catalog; the models; the HTTP plumbing; the
feature modules (each exporting its routes); the route table; the OpenAPI builder; the app; the
command line and the testing helpers. A module may import its own layer or a lower one.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "flowlix_mock"

LAYERS: dict[str, int] = {
    "catalog": 0,
    "redact": 0,
    "models": 1,
    "errors": 2,
    "storage": 2,
    "idempotency": 2,
    "ratelimit": 2,
    "plumbing": 2,
    "gc_pauses": 2,
    "tls": 2,
    "payments": 3,
    "checkout": 3,
    "hosted": 3,
    "webhooks": 3,
    "test_helpers": 3,
    "three_d_secure": 3,
    "routes": 4,
    "openapi": 5,
    "app": 6,
    "server": 6,
    "cli": 7,
    "mcp_server": 7,
    "testing": 7,
    "pytest_plugin": 7,
    "__main__": 7,
    "__init__": 0,
}


def imports_of(package: Path, package_name: str) -> dict[str, set[tuple[str, str | None]]]:
    """module -> {(imported module, imported name or None)} for every intra-package import."""
    modules = {path.stem for path in package.glob("*.py")}
    found: dict[str, set[tuple[str, str | None]]] = {name: set() for name in modules}
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):  # every node: function bodies and TYPE_CHECKING blocks too
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = node.module or ""
                elif node.module and node.module.split(".")[0] == package_name:
                    base = node.module.removeprefix(package_name).lstrip(".")
                else:
                    continue
                target = base.split(".")[0] if base else ""
                for alias in node.names:
                    if not target and alias.name in modules:
                        found[path.stem].add((alias.name, None))
                    elif target:
                        found[path.stem].add((target, alias.name))
                    else:
                        found[path.stem].add(("__init__", alias.name))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split(".")
                    if parts[0] == package_name and len(parts) > 1:
                        found[path.stem].add((parts[1], None))
    return found


def cycle_in(imports: dict[str, set[tuple[str, str | None]]]) -> list[str] | None:
    graph = {
        module: {target for target, _ in targets if target != module}
        for module, targets in imports.items()
    }
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        return list(error.args[1])
    return None


def test_no_import_circle_in_the_package():
    imports = imports_of(PACKAGE, "flowlix_mock")
    assert sum(len(targets) for targets in imports.values()) > 40  # the walk saw the imports
    assert cycle_in(imports) is None


def test_every_import_goes_to_the_same_or_a_lower_layer():
    imports = imports_of(PACKAGE, "flowlix_mock")
    assert set(imports) <= set(LAYERS), f"give new modules a layer: {set(imports) - set(LAYERS)}"
    upward = [
        f"{module} (layer {LAYERS[module]}) imports {target} (layer {LAYERS[target]})"
        for module, targets in imports.items()
        for target, _ in targets
        if target in LAYERS and LAYERS[target] > LAYERS[module]
    ]
    assert upward == []


def test_no_module_imports_another_modules_private_names():
    imports = imports_of(PACKAGE, "flowlix_mock")
    private = [
        f"{module} imports {target}.{name}"
        for module, targets in imports.items()
        for target, name in targets
        if name is not None and name.startswith("_") and not name.startswith("__")
    ]
    assert private == []


@pytest.mark.parametrize(
    "cycle_source",
    [
        "from . import a\n",
        "def later():\n    from .a import thing\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import Thing\n",
    ],
    ids=["top-level", "function-local", "type-checking"],
)
def test_the_check_sees_every_kind_of_import(tmp_path: Path, cycle_source: str):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text(cycle_source)
    cycle = cycle_in(imports_of(package, "pkg"))
    assert cycle is not None and {"a", "b"} <= set(cycle)
