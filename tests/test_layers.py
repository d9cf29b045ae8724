"""The package's layers: every import points down (or sideways within a layer), none forms a
circle. Every import counts, at module level, in a function or under ``TYPE_CHECKING``.

The picture is in CONTRIBUTING.md; this test is what keeps it true.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lintnn"

# Top to bottom. A module may import its own layer and the layers below it. Names ending in
# "." take the whole subpackage; others are exact module names.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("entry points", ("lintnn", "lintnn.__main__", "lintnn.torch", "lintnn.jax",
                      "lintnn.pytest_plugin", "lintnn.lightning", "lintnn.transformers",
                      "lintnn.keras")),
    ("commands", ("lintnn.cli", "lintnn.cli.")),
    ("language server", ("lintnn.lsp", "lintnn.lsp.")),
    ("formatters", ("lintnn.report", "lintnn.report.")),
    ("catalog", ("lintnn.catalog",)),
    ("engine", ("lintnn.static.engine", "lintnn.static.engine.")),
    ("rules", ("lintnn.static.rules", "lintnn.static.rules.")),
    ("analyses", ("lintnn.static.analyses", "lintnn.static.analyses.")),
    ("syntax", ("lintnn.static.syntax", "lintnn.static.syntax.")),
    ("knowledge", ("lintnn.static.knowledge", "lintnn.static.knowledge.")),
    ("runtime", ("lintnn.runtime", "lintnn.runtime.")),
    ("core", ("lintnn.static", "lintnn.config", "lintnn.diagnostics", "lintnn.version")),
]
# The two halves share only the core: the static half never sees the runtime, and back.
SEPARATE = [("lintnn.static", "lintnn.runtime"), ("lintnn.runtime", "lintnn.static")]


def module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The lintnn modules ``name`` imports (a ``from X import y`` of a submodule counts as
    the submodule)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in known else base)
    return {f for f in found if f in known and f != name}


def layer_of(module: str) -> int:
    best, depth = None, -1
    for position, (_, patterns) in enumerate(LAYERS):
        for pattern in patterns:
            matches = module.startswith(pattern) if pattern.endswith(".") else module == pattern
            if matches and len(pattern) > depth:
                best, depth = position, len(pattern)
    assert best is not None, f"{module} is in no layer: add it to LAYERS and CONTRIBUTING.md"
    return best


MODULES = module_names()
GRAPH = {name: imports_of(name, path, set(MODULES)) for name, path in MODULES.items()}


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        layer_of(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module: str) -> None:
    upward = [f"{target} ({LAYERS[layer_of(target)][0]})" for target in sorted(GRAPH[module])
              if layer_of(target) < layer_of(module)]
    assert not upward, f"{module} ({LAYERS[layer_of(module)][0]}) imports upward: {upward}"


@pytest.mark.parametrize(("source", "target"), SEPARATE)
def test_static_and_runtime_halves_stay_apart(source: str, target: str) -> None:
    crossing = [(m, t) for m, targets in GRAPH.items() if m.startswith(source)
                for t in targets if t.startswith(target)]
    assert not crossing


def test_no_import_circle() -> None:
    """Tarjan's strongly connected components: any component of two or more modules is a
    circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    assert not circles


def test_the_check_sees_real_imports() -> None:
    """The parser behind the other tests finds what a module really imports."""
    assert "lintnn.static.syntax.context" in GRAPH["lintnn.static.analyses.losses"]
    assert "lintnn.cli.exits" in GRAPH["lintnn.cli.check"]
    assert layer_of("lintnn.static.rules.base") < layer_of("lintnn.static.syntax.context")
