"""One walk over a parsed module that records what rules look for.

Rules never walk the tree themselves: they iterate over these lists, which costs one
traversal per file whatever the number of rules.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from lintnn.static.imports import ImportMap

LOOP_TYPES = (cst.For, cst.While)
SCOPE_TYPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


class NodeIndex(cst.CSTVisitor):
    """Parents, and every call, function, class, loop and ``with`` of a module."""

    def __init__(self, imports: ImportMap) -> None:
        self.imports = imports
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self.calls: list[cst.Call] = []
        self.functions: list[cst.FunctionDef] = []
        self.classes: list[cst.ClassDef] = []
        self.loops: list[cst.For | cst.While] = []
        self.withs: list[cst.With] = []
        self.assigned_names: set[str] = set()
        self._stack: list[cst.CSTNode] = []

    @classmethod
    def build(cls, module: cst.Module, imports: ImportMap) -> NodeIndex:
        index = cls(imports)
        module.visit(index)
        imports.shadow(index.assigned_names)
        return index

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self._stack:
            self.parents[node] = self._stack[-1]
        self._stack.append(node)
        kind = type(node)
        if kind is cst.Call:
            self.calls.append(node)  # type: ignore[arg-type]
        elif kind is cst.FunctionDef:
            self.functions.append(node)  # type: ignore[arg-type]
            self.assigned_names.add(node.name.value)  # type: ignore[attr-defined]
        elif kind is cst.ClassDef:
            self.classes.append(node)  # type: ignore[arg-type]
            self.assigned_names.add(node.name.value)  # type: ignore[attr-defined]
        elif kind is cst.For or kind is cst.While:
            self.loops.append(node)  # type: ignore[arg-type]
        elif kind is cst.With:
            self.withs.append(node)  # type: ignore[arg-type]
        elif kind is cst.Import:
            self.imports.add_import(node)  # type: ignore[arg-type]
            return False
        elif kind is cst.ImportFrom:
            self.imports.add_import_from(node)  # type: ignore[arg-type]
            return False
        elif kind is cst.AssignTarget:
            target = node.target  # type: ignore[attr-defined]
            if isinstance(target, cst.Name):
                self.assigned_names.add(target.value)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._stack.pop()

    # Navigation -----------------------------------------------------------------

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        current = self.parents.get(node)
        while current is not None:
            yield current
            current = self.parents.get(current)

    def enclosing(self, node: cst.CSTNode, kinds: type | tuple[type, ...]) -> cst.CSTNode | None:
        """The nearest ancestor of one of ``kinds``, not crossing a function or class."""
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, kinds):
                return ancestor
            if isinstance(ancestor, SCOPE_TYPES):
                return None
        return None

    def enclosing_function(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.FunctionDef):
                return ancestor
        return None

    def enclosing_class(self, node: cst.CSTNode) -> cst.ClassDef | None:
        """The class whose method (at any depth of nesting in it) contains ``node``."""
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.ClassDef):
                return ancestor
        return None

    def enclosing_loops(self, node: cst.CSTNode) -> list[cst.For | cst.While]:
        """Loops around ``node`` inside its function, innermost first."""
        loops: list[cst.For | cst.While] = []
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, SCOPE_TYPES):
                break
            if isinstance(ancestor, LOOP_TYPES):
                loops.append(ancestor)
        return loops

    def statement_of(self, node: cst.CSTNode) -> cst.CSTNode:
        """The simple or compound statement that contains an expression."""
        current: cst.CSTNode = node
        while not isinstance(current, (cst.BaseSmallStatement, cst.BaseCompoundStatement)):
            parent = self.parents.get(current)
            if parent is None:
                return current
            current = parent
        return current

    def is_inside(self, node: cst.CSTNode, container: cst.CSTNode) -> bool:
        return node is container or any(a is container for a in self.ancestors(node))
