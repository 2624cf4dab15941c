"""The package's imports form no cycle.

Every module under ``publisher/`` is read with ``ast`` (nothing is imported): each ``import``
and ``from ... import``, at module level or inside a function, under ``if TYPE_CHECKING`` or
not, relative ones resolved against the module's package, is an edge to the most specific
module of the package it names (``from publisher.writers import pdf`` is an edge to
``publisher.writers.pdf``; ``from publisher.diagnostics import error`` to
``publisher.diagnostics``). So is a string that names a module of the package, alone or as
``"module:function"`` (what ``importlib`` imports by name): a cycle cannot hide behind one.
A cycle in that graph fails the test, which names it.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

PACKAGE = "publisher"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__``)."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _resolve(name: str, level: int, module: str, is_package: bool) -> str:
    """The absolute name an import of ``name`` at ``level`` dots means inside ``module``."""
    if not level:
        return name
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def imported(module: str, path: Path, known: set[str]) -> Iterator[tuple[str, int]]:
    """The package's modules that ``module`` imports anywhere in its text, with the line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            named = node.value.partition(":")[0]  # "module" or "module:function"
            targets = [named] if named in known else []
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node.module or "", node.level, module, is_package)
            targets = [f"{base}.{alias.name}" for alias in node.names]
            targets = [t if t in known else base for t in targets]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import publisher.x.y` where y is a name
                target = target.rpartition(".")[0]
            if target and target != module:
                yield target, node.lineno


def graph() -> dict[str, dict[str, int]]:
    """Each module → the modules it imports, each with the line of its first import."""
    found = modules()
    edges: dict[str, dict[str, int]] = {}
    for name, path in found.items():
        edges[name] = {}
        for target, line in imported(name, path, set(found)):
            edges[name].setdefault(target, line)
    return edges


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as a cycle
    through its members, in the graph's order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(_path(edges, set(component)))

    for node in edges:
        if node not in index:
            visit(node)
    return components


def _path(edges: dict[str, dict[str, int]], members: set[str]) -> list[str]:
    """One cycle inside a strongly connected component: from its first member back to it."""
    start = min(members)
    previous: dict[str, str] = {}
    todo = [start]
    while todo:  # breadth first, so the cycle named is a short one
        node = todo.pop(0)
        for nxt in edges[node]:
            if nxt == start:
                cycle = [node]
                while cycle[-1] != start:
                    cycle.append(previous[cycle[-1]])
                return [*reversed(cycle), start]
            if nxt in members and nxt not in previous:
                previous[nxt] = node
                todo.append(nxt)
    return sorted(members)


def describe(edges: dict[str, dict[str, int]], cycle: list[str]) -> str:
    steps = (f"{a} (line {edges[a][b]})" for a, b in itertools.pairwise(cycle))
    return " → ".join([*steps, cycle[-1]])


def test_the_package_has_no_import_cycle() -> None:
    edges = graph()
    found = [describe(edges, cycle) for cycle in cycles(edges)]
    assert not found, "import cycles:\n" + "\n".join(found)


def test_the_walk_sees_function_local_and_relative_imports(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "sub" / "__init__.py").write_text("from . import a\n")
    (root / "sub" / "a.py").write_text("def f():\n    from ..b import thing\n")
    (root / "b.py").write_text("import pkg.sub.a as a\n")
    (root / "c.py").write_text("from pkg.sub import a\nNAMED = 'pkg.b:thing'\n")
    found = modules(root)
    edges = {name: {t: line for t, line in imported(name, path, set(found))}
             for name, path in found.items()}
    assert edges == {"pkg": {}, "pkg.sub": {"pkg.sub.a": 1}, "pkg.sub.a": {"pkg.b": 2},
                     "pkg.b": {"pkg.sub.a": 1}, "pkg.c": {"pkg.sub.a": 1, "pkg.b": 2}}
    (cycle,) = cycles(edges)
    assert cycle == ["pkg.b", "pkg.sub.a", "pkg.b"]
    assert describe(edges, cycle) == "pkg.b (line 1) → pkg.sub.a (line 2) → pkg.b"

