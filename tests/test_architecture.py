"""The package's architecture as tests: no import cycles, no upward imports, no private reach-ins.

The folder tree of ``include/safegov/`` is the architecture diagram: domain areas below, the
Airflow, web and command-line edges on top, developer tools beside. These tests walk every
``import`` statement with :mod:`ast` (function-level imports included: a lazy import is still
a dependency) and fail when the tree and the imports disagree.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "include" / "safegov"

# The edges of the system: only they may import Airflow plumbing, the web app or the CLI.
EDGES = ("safegov.airflow", "safegov.web", "safegov.cli")
DOMAIN = (
    "safegov.core",
    "safegov.db",
    "safegov.register",
    "safegov.org",
    "safegov.intake",
    "safegov.evaluation",
    "safegov.accountability",
    "safegov.notification",
    "safegov.reports",
)
# Fault points are no-ops unless a test sets SAFEGOV_FAULT_*; the product calls them at the
# moments a crash would hurt most, so this one developer tool is reachable from the domain.
DOMAIN_MAY_IMPORT_DEVTOOLS = ("safegov.devtools.faults",)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(p): p
        for p in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in p.parts or p.parent.name == "migrations"
    }


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES.get(name, Path()).name == "__init__.py"


def _imports(name: str, path: Path) -> list[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) for every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = name if _is_package(name) else name.rpartition(".")[0]
    out: list[tuple[str, str | None, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            out += [(module, alias.name, node.lineno) for alias in node.names]
    return out


def _graph() -> dict[str, dict[str, int]]:
    """Module → {safegov module it imports: line}; ``from pkg import mod`` points at ``pkg.mod``."""
    graph: dict[str, dict[str, int]] = defaultdict(dict)
    for name, path in MODULES.items():
        for module, imported, line in _imports(name, path):
            if not module.startswith("safegov"):
                continue
            target = f"{module}.{imported}" if imported and f"{module}.{imported}" in MODULES else module
            if target != name:
                graph[name].setdefault(target, line)
    return graph


GRAPH = _graph()


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(set(graph) | {w for targets in graph.values() for w in targets}):
        if v not in index:
            visit(v)
    return found


def _area(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_the_walk_sees_the_package():
    assert {"safegov.core.periods", "safegov.evaluation.engine", "safegov.airflow.tasks"} <= set(MODULES)
    assert GRAPH["safegov.evaluation.engine"], "the import walk found no imports: the walker is broken"


def test_no_import_cycles():
    assert _cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("area", DOMAIN)
def test_domain_never_imports_the_edges(area):
    upward = [
        f"{m}:{line} imports {target}"
        for m, targets in GRAPH.items()
        if _area(m) == area
        for target, line in targets.items()
        if _area(target) in EDGES or (_area(target) == "safegov.devtools" and target not in DOMAIN_MAY_IMPORT_DEVTOOLS)
    ]
    assert upward == []


def test_core_depends_on_nothing_else_in_the_package():
    outside = [
        f"{m} imports {t}"
        for m, targets in GRAPH.items()
        if _area(m) == "safegov.core"
        for t in targets
        if _area(t) not in ("safegov.core", "safegov")
    ]
    assert outside == []


def _private_reach_ins(files: dict[str, Path]) -> list[str]:
    found = []
    for name, path in files.items():
        for module, imported, line in _imports(name, path):
            if not module.startswith("safegov") or module == name:
                continue
            if imported and imported.startswith("_") and not imported.startswith("__"):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}.{imported}")
    return found


def test_nothing_imports_another_modules_private_names():
    dags = {f"dags.{p.stem}": p for p in (ROOT / "dags").glob("*.py")}
    plugins = {f"plugins.{p.stem}": p for p in (ROOT / "plugins").glob("*.py")}
    assert _private_reach_ins(MODULES | dags | plugins) == []


def test_dag_files_import_only_the_airflow_edge_and_core():
    """A DAG file is a wiring sheet: its safegov imports are Airflow plumbing and the light core
    (the cadences), never a domain module that pulls in the database, pandas or GX."""
    wrong = []
    for path in sorted((ROOT / "dags").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module level only: task bodies import lazily on purpose
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("safegov"):
                if _area(node.module) not in ("safegov.airflow", "safegov.core"):
                    wrong.append(f"{path.name}:{node.lineno} {node.module}")
    assert wrong == []
