"""The package's import graph stays a ladder: no module imports another that
imports it back, directly or around a circle, and no package does either (a
package importing one that imports it is an import running back up a layer).
Imports inside functions count: they may load lazily, not hide a circle."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "assistant"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every module of the package that `path` imports, anywhere in the file."""
    name = _module(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:  # "from . import store" imports a module
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in modules and m != name}


def _graph(node_of) -> dict[str, set[str]]:
    files = sorted(PACKAGE.rglob("*.py"))
    modules = {_module(f) for f in files}
    graph: dict[str, set[str]] = {}
    for f in files:
        source = node_of(_module(f))
        graph.setdefault(source, set()).update(
            node_of(m) for m in _imports(f, modules) if node_of(m) != source and not node_of(source).startswith(m + "."))
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _room(module: str) -> str:
    """A package below `assistant` is one room; a top-level module is its own."""
    parts = module.split(".")
    return ".".join(parts[:2])


def test_no_module_imports_around_a_circle():
    assert _cycle(_graph(lambda m: m)) is None


def test_no_package_imports_one_that_imports_it():
    graph = {room: {r for r in targets if r != room} for room, targets in _graph(_room).items()}
    assert _cycle(graph) is None


def test_the_check_finds_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
