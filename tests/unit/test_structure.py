"""The house's floors, written once: an import may only go down a floor, never up or sideways.

Read from the source's own imports (every ``import`` and ``from ... import`` in a file, those
inside functions and under ``TYPE_CHECKING`` too), so the test fails the moment a module
imports one above it, two modules import each other, or a file or function grows past the
size a newcomer can read at once.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "selaras"

# Lowest first. A module may import its own top-level package and any package on a lower
# floor; packages that share a floor may not import each other.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("catalogue",),  # error codes and every text people read, as data
    ("domain",),  # entities, rules, sync decisions: no I/O
    ("views",),  # domain results as people read them (pure)
    ("store", "sources"),  # adapters: the database; snapshot files and HTTP sources
    ("jobs", "simulation"),  # adapters: task engines; generated data and simulated sources
    ("usecases",),  # each thing a user can do, one unit of work each
    ("web",),  # entry point: pages and the JSON API
    ("cli",),  # entry point: the command line, workers and the server's launcher
)
FLOOR_OF = {name: level for level, names in enumerate(FLOORS) for name in names}
MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """Every ``selaras`` module that ``name`` imports, with the line of the import."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield (sub if sub in MODULES else target), node.lineno


def _edges() -> dict[str, set[tuple[str, int]]]:
    edges: dict[str, set[tuple[str, int]]] = {}
    for name, path in MODULES.items():
        edges[name] = {
            (target, line)
            for target, line in _imports(name, path)
            if target.split(".")[0] == PACKAGE and target in MODULES and target != name
        }
    return edges


EDGES = _edges()


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_top_level_package_has_a_floor() -> None:
    tops = {_top(m) for m in MODULES} - {""}
    assert tops <= set(FLOOR_OF), f"packages without a floor: {sorted(tops - set(FLOOR_OF))}"


@pytest.mark.parametrize("floor", [name for names in FLOORS for name in names])
def test_imports_go_down_a_floor(floor: str) -> None:
    wrong = []
    for module, targets in EDGES.items():
        if _top(module) != floor:
            continue
        for target, line in sorted(targets):
            top = _top(target)
            if top in ("", floor):
                continue
            if FLOOR_OF.get(top, -1) >= FLOOR_OF[floor]:
                wrong.append(f"{MODULES[module].relative_to(SRC)}:{line} imports {target}")
    assert not wrong, "imports that climb a floor or cross to a neighbour:\n" + "\n".join(wrong)


def _circles() -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w, _ in EDGES[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(EDGES):
        if v not in index:
            visit(v)
    return found


def test_no_two_modules_import_each_other() -> None:
    circles = _circles()
    assert not circles, "modules in a circle of imports:\n" + "\n".join(" <-> ".join(c) for c in circles)


def test_no_file_is_too_long_to_read() -> None:
    long = [
        f"{path.relative_to(SRC)}: {n} lines"
        for path in MODULES.values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES
    ]
    assert not long, f"files over {MAX_FILE_LINES} lines:\n" + "\n".join(long)


def test_no_function_is_too_long_to_read() -> None:
    long = []
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                n = (node.end_lineno or node.lineno) - start + 1
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name}: {n} lines")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(long)


def test_the_checker_sees_a_climbing_import(tmp_path: Path) -> None:
    """The reading of imports itself: a relative import from the domain to the web is seen."""
    path = tmp_path / "x.py"
    path.write_text("from ..web import app\nfrom . import rules\n", encoding="utf-8")
    seen = {t for t, _ in _imports("selaras.domain.x", path)}
    assert "selaras.web.app" in seen and "selaras.domain.rules" in seen
