"""The layering of ARCHITECTURE.md, read from the imports themselves (ast), so that it stays.

schemas (models, failures, settings) at the bottom; stage packages that never import each other sideways; the
application layer (`archive`) on top of them with no Prefect; the edges (flows, the CLI) above it. Prefect only in
flows/. No import cycle between modules. A private module (`_name`) is used only inside its own package.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCHEMAS = {"schemas"}
STAGES = {"ocr", "storage", "classify", "catalog", "inbox", "sign"}
APPLICATION = {"archive"}
EDGES = {"flows", "sohoa", "web"}
GENERATORS = {"samples"}
PACKAGES = SCHEMAS | STAGES | APPLICATION | EDGES | GENERATORS

# What each package may import from the project (besides itself).
ALLOWED: dict[str, set[str]] = {
    "schemas": set(),
    **{stage: {"schemas"} for stage in STAGES},
    "archive": SCHEMAS | STAGES,
    "flows": SCHEMAS | STAGES | APPLICATION,
    "sohoa": SCHEMAS | STAGES | APPLICATION | GENERATORS | {"flows", "web"},
    "web": SCHEMAS | STAGES | APPLICATION | {"flows"},
    "samples": SCHEMAS,
}
THIRD_PARTY_ONLY_AT_THE_EDGE = {"prefect": {"flows"}}


def _modules() -> dict[str, Path]:
    found = {}
    for package in sorted(PACKAGES):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path, name: str, *, top_level_only: bool = False) -> list[tuple[str, int]]:
    """(imported module, line) for every import of `path`; relative imports resolved against `name`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from package import module` imports a module too: name it when it is one.
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                found.append((candidate if candidate in MODULES else module, node.lineno))
    return found


def test_the_packages_are_where_the_architecture_says():
    for package in PACKAGES:
        assert (ROOT / package / "__init__.py").is_file(), package
    assert not (ROOT / "search").exists(), "the old search package is gone (catalog/search)"


def test_no_package_imports_a_layer_it_may_not():
    forbidden = []
    for name, path in MODULES.items():
        own = name.split(".")[0]
        for imported, line in _imports(path, name):
            top = imported.split(".")[0]
            if top in PACKAGES and top != own and top not in ALLOWED[own]:
                forbidden.append(f"{path.relative_to(ROOT)}:{line} {own} -> {imported}")
            if top in THIRD_PARTY_ONLY_AT_THE_EDGE and own not in THIRD_PARTY_ONLY_AT_THE_EDGE[top]:
                forbidden.append(f"{path.relative_to(ROOT)}:{line} {own} -> {imported} (only in flows/)")
    assert not forbidden, "\n".join(forbidden)


def test_a_private_module_is_used_only_inside_its_package():
    found = []
    for name, path in MODULES.items():
        own = name.split(".")[0]
        for imported, line in _imports(path, name):
            parts = imported.split(".")
            if parts[0] in PACKAGES and parts[0] != own and any(part.startswith("_") for part in parts[1:]):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    assert not found, "\n".join(found)


def test_no_import_cycle_between_modules():
    graph = {
        name: {imported for imported, _ in _imports(path, name, top_level_only=True) if imported in MODULES}
        for name, path in MODULES.items()
    }
    # A package's __init__ importing its own modules is how packages work; a module importing its package back
    # is the cycle to catch.
    for name in graph:
        graph[name] = {target for target in graph[name] if not name.startswith(target + ".")}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append(" -> ".join(trail[trail.index(target) :] + [target]))
            elif target not in state:
                visit(target, trail + [target])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "\n".join(cycles)


@pytest.mark.parametrize("module", ["sohoa.cli", "archive.ingest", "archive.context", "inbox.watch", "web.app"])
def test_importing_the_command_line_and_the_application_layer_loads_no_prefect(module):
    completed = subprocess.run(
        [sys.executable, "-c", f"import sys, {module}; print('prefect' in sys.modules)"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "False"


def test_the_layer_rules_catch_a_forbidden_edge(tmp_path):
    """The checker itself: a stage importing another stage sideways is reported (this test cannot pass vacuously)."""
    module = tmp_path / "sideways.py"
    module.write_text("from storage import layout\nimport prefect\n", encoding="utf-8")
    imports = _imports(module, "classify.sideways")
    tops = {imported.split(".")[0] for imported, _ in imports}
    assert "storage" in tops and "storage" not in ALLOWED["classify"]
    assert "prefect" in tops and "classify" not in THIRD_PARTY_ONLY_AT_THE_EDGE["prefect"]
