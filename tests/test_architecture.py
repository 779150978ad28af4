"""The package map holds: no import cycles in harness/ (CLI included), no forbidden edges
(core code importing the sim, the evidence importing its renderers, pure modules importing
I/O libraries), small modules, and a package list in pyproject that matches the tree."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "harness"

# Pure logic: rules, naming, normalisation, verdicts, rendering, configuration. They (and
# every harness module they import) import no I/O library and no test framework.
PURE = ("harness.errors", "harness.clock", "harness.redact", "harness.naming", "harness.guard",
        "harness.topology", "harness.rto", "harness.evidence.journal", "harness.gate.types",
        "harness.drill.acceptance", "harness.rollback.datacheck", "harness.backend.faults",
        "harness.cli.options", "harness.pytest.markers", "harness.report.format",
        "harness.report.history", "harness.report.svg", "harness.report.html",
        "harness.report.markdown", "harness.report.junit", "harness.report.gate",
        "harness.report.outcome", "harness.report.notice", "harness.workflows.model",
        "harness.workflows.contract", "harness.workflows.shell", "harness.workflows.commands",
        "harness.migrations.rules", "harness.migrations.txmode", "harness.migrations.lint",
        "harness.io.db.schema", "harness.cli.exits", "harness.undo.record", "harness.undo.summary")
IO_LIBRARIES = ("boto3", "botocore", "moto", "psycopg", "pgserver", "testcontainers", "httpx",
                "requests", "urllib3", "urllib.request", "http.client", "socket", "subprocess",
                "pytest", "pytest_bdd", "_pytest")
# Modules allowed to import the sim: the backend registry (lazily, by name) and the sim itself.
SIM = "harness.backend.sim"
SIM_IMPORTERS = ("harness.backend.registry",)
MAX_TOP_LEVEL_MODULES = 15
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking_lines(tree: ast.Module) -> set[int]:
    """Lines inside ``if TYPE_CHECKING:`` blocks: imports there never run."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports(path: Path, name: str) -> Iterator[str]:
    """Every module ``name`` imports (dotted names, harness modules resolved to modules)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{a.name}" for a in node.names)


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        found = set()
        for imported in imports(path, name):
            if imported in known and imported != name:
                found.add(imported)
                # Importing a submodule runs its packages' __init__ first.
                parent = imported.rpartition(".")[0]
                while parent and parent != name.rpartition(".")[0] and parent in known:
                    if parent != name:
                        found.add(parent)
                    parent = parent.rpartition(".")[0]
        edges[name] = found
    return edges


def external(name: str) -> set[str]:
    return {i for i in imports(modules()[name], name) if not i.startswith("harness")}


def test_no_import_cycles() -> None:
    edges = graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt):], nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_only_the_registry_imports_the_sim() -> None:
    offenders = [f"{name} -> {dep}" for name, deps in graph().items() for dep in deps
                 if dep.startswith(SIM) and not name.startswith(SIM) and name not in SIM_IMPORTERS]
    assert not offenders, offenders


def test_the_evidence_never_imports_its_renderers() -> None:
    offenders = [f"{name} -> {dep}" for name, deps in graph().items() for dep in deps
                 if name.startswith("harness.evidence") and dep.startswith("harness.report")]
    assert not offenders, offenders


def test_pure_modules_import_no_io_library_even_indirectly() -> None:
    edges = graph()
    offenders = []
    for name in PURE:
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            todo += edges[current]
        for module in sorted(seen):
            bad = sorted(lib for lib in external(module)
                         if any(lib == io or lib.startswith(io + ".") for io in IO_LIBRARIES))
            if bad:
                offenders.append(f"{name} (via {module}): {', '.join(bad)}")
    assert not offenders, offenders


def test_pytest_and_argparse_live_only_in_their_adapters() -> None:
    adapters = ("harness.pytest", "harness.cli", "harness.backend.sim")
    offenders = []
    for name in modules():
        if name.startswith(adapters):
            continue
        used = {lib for lib in external(name) if lib.split(".")[0] in ("pytest", "_pytest",
                                                                         "argparse", "pytest_bdd")}
        if used:
            offenders.append(f"{name}: {', '.join(sorted(used))}")
    assert not offenders, offenders


def test_a_small_package_map() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top
    long = {module_name(p): n for p in [*PACKAGE.rglob("*.py"), *(ROOT / "steps").glob("*.py")]
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, long


def test_pyproject_ships_every_package_with_the_features_and_steps() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    on_disk = {module_name(p.parent) for p in PACKAGE.rglob("__init__.py")}
    declared = set(config["packages"])
    assert on_disk | {"harness.steps", "harness.features"} == declared
    assert config["package-dir"] == {"harness.steps": "steps", "harness.features": "features"}


@pytest.mark.parametrize("name", ["harness.cli.main", "harness.pytest.plugin"])
def test_the_graph_sees_the_fronts(name: str) -> None:
    # The checks above are only as good as the graph: the fronts must show their edges.
    assert graph()[name], f"{name} imports nothing the graph can see"
