"""One walk over a parsed module that records what rules look for.

Rules never walk the tree themselves: they iterate over these lists, which costs one
traversal per file whatever the number of rules.
"""

from __future__ import annotations

import bisect
import functools
import itertools
from collections.abc import Iterator, Sequence

import libcst as cst

from lintnn.static.syntax.children import (
    _CHILD_FIELDS,
    _NODE_TYPES,
    child_fields,
    is_node,
    iter_children,
    subtree_depth,
)
from lintnn.static.syntax.imports import ImportMap

_UNKNOWN = object()


# Exact node classes (``type(node) in``): isinstance on libcst's classes, which are ABCs,
# is slow where it fails, and the walks up the tree fail at most nodes. Made on first use
# (libcst is loaded only when a file is parsed).
@functools.cache
def _scopes() -> frozenset[type]:
    return frozenset({cst.FunctionDef, cst.ClassDef, cst.Lambda})


@functools.cache
def _statements() -> frozenset[type]:
    """Every concrete libcst statement class (small or compound)."""
    found: set[type] = set()
    todo: list[type] = [cst.BaseSmallStatement, cst.BaseCompoundStatement]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if not getattr(cls, "__abstractmethods__", None):
            found.add(cls)
    return frozenset(found)
# The node lists of an index (what :meth:`NodeIndex.within` is asked about).
_LISTS = ("calls", "functions", "classes", "loops", "withs", "returns", "assignments")


class NodeIndex:
    """Parents, and every call, function, class, loop, ``with`` and ``return`` of a module.

    ``parents`` iterates in pre-order: its keys are every node but the module, in source
    order, so ``enumerate(index.parents)`` numbers nodes for before/after questions.
    """

    def __init__(self, imports: ImportMap) -> None:
        self.imports = imports
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self.calls: list[cst.Call] = []
        self.functions: list[cst.FunctionDef] = []
        self.classes: list[cst.ClassDef] = []
        self.loops: list[cst.For | cst.While] = []
        self.withs: list[cst.With] = []
        self.returns: list[cst.Return] = []
        self.assignments: list[cst.Assign] = []
        self.assigned_names: set[str] = set()
        self.root: cst.CSTNode | None = None
        # Levels of the deepest node below the root (whitespace and punctuation not
        # counted): how deep libcst's recursive walks of this tree go.
        self.depth = 0
        self._order: dict[cst.CSTNode, int] | None = None
        self._nodes: list[cst.CSTNode] | None = None
        self._spans: dict[cst.CSTNode, tuple[int, int]] = {}
        self._list_orders: dict[int, tuple[Sequence[cst.CSTNode], list[int]]] = {}
        self._function_of: dict[cst.CSTNode, cst.FunctionDef | None] = {}
        self._pieces: dict[int, _Piece] = {}  # id(top-level statement) -> its walk
        # A view (:meth:`restricted_to`): id of each of its lists -> the whole index's list.
        self._whole: dict[int, Sequence[cst.CSTNode]] = {}
        self._whole_index: NodeIndex | None = None

    @classmethod
    def build(cls, module: cst.Module, imports: ImportMap,
              pieces: IndexPieces | None = None) -> NodeIndex:
        """The index of ``module``; ``pieces``: the walks of its top-level statements kept
        from an earlier build (an edited buffer's unchanged statements are the same
        objects), which give the same index as a walk of the whole module."""
        index = cls(imports)
        index.root = module
        if pieces is None:
            index._walk(module)
        else:
            pieces.join(index, module)
        imports.shadow(index.assigned_names)
        return index

    @property
    def whole(self) -> NodeIndex:
        """The whole file's index (this one, unless it is a view)."""
        return self._whole_index if self._whole_index is not None else self

    def restricted_to(self, tops: list[cst.CSTNode]) -> NodeIndex:
        """A view whose node lists hold only the nodes inside ``tops`` (top-level
        statements); parents, imports, assigned names, pre-order numbers and
        :meth:`within` (asked of anything but the module) stay the whole file's."""
        view = NodeIndex(ImportMap(self.imports.module_name, self.imports.is_package))
        for top in tops:
            piece = self._pieces.get(id(top))
            if piece is not None and piece.top is top:
                view._add_lists(piece)
            else:
                view._walk(top)
        view.parents = self.parents
        view.imports = self.imports
        view.assigned_names = self.assigned_names
        view.depth = self.depth
        view._whole_index = self
        view._whole = {id(getattr(view, name)): getattr(self, name) for name in _LISTS}
        return view

    def _walk(self, root: cst.CSTNode) -> None:
        parents = self.parents
        deepest = self.depth
        stack: list[tuple[cst.CSTNode, cst.CSTNode | None, int]] = [(root, None, 0)]
        push, pop = stack.append, stack.pop
        known_fields, node_types = _CHILD_FIELDS, _NODE_TYPES
        while stack:
            node, parent, depth = pop()
            if depth > deepest:
                deepest = depth
            if parent is not None:
                # Recorded when popped: ``parents`` iterates in pre-order (source order).
                parents[node] = parent
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
            elif kind is cst.Return:
                self.returns.append(node)  # type: ignore[arg-type]
            elif kind is cst.Assign:
                self.assignments.append(node)  # type: ignore[arg-type]
            elif kind is cst.Import:
                self.imports.add_import(node)  # type: ignore[arg-type]
                deepest = max(deepest, depth + subtree_depth(node))
                continue
            elif kind is cst.ImportFrom:
                self.imports.add_import_from(node)  # type: ignore[arg-type]
                deepest = max(deepest, depth + subtree_depth(node))
                continue
            elif kind is cst.AssignTarget:
                target = node.target  # type: ignore[attr-defined]
                if type(target) is cst.Name:
                    self.assigned_names.add(target.value)
            # ``iter_children``, inlined (a third of the walk), pushed last child first so
            # that nodes are popped (and lists filled) in source order.
            depth += 1
            fields = known_fields.get(kind)
            if fields is None:
                fields = child_fields(kind)
            for name in reversed(fields):
                value = getattr(node, name)
                value_kind = type(value)
                if value_kind is tuple or value_kind is list:
                    for item in reversed(value):
                        item_kind = type(item)
                        known = node_types.get(item_kind)
                        if known or (known is None and is_node(item_kind)):
                            push((item, node, depth))
                else:
                    known = node_types.get(value_kind)
                    if known or (known is None and is_node(value_kind)):
                        push((value, node, depth))
        self.depth = deepest

    def _add(self, piece: _Piece, parent: cst.CSTNode, depth: int) -> None:
        """``piece`` (the walk of a statement) as a child of ``parent`` at ``depth``."""
        self.parents[piece.top] = parent
        self.parents.update(piece.parents)
        self._add_lists(piece)
        self.assigned_names |= piece.assigned_names
        for node in piece.recorded:
            if type(node) is cst.Import:
                self.imports.add_import(node)  # type: ignore[arg-type]
            else:
                self.imports.add_import_from(node)  # type: ignore[arg-type]
        self.depth = max(self.depth, depth + piece.depth)

    def _add_lists(self, piece: _Piece) -> None:
        self.calls += piece.calls
        self.functions += piece.functions
        self.classes += piece.classes
        self.loops += piece.loops
        self.withs += piece.withs
        self.returns += piece.returns
        self.assignments += piece.assignments

    # Navigation -----------------------------------------------------------------

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        current = self.parents.get(node)
        while current is not None:
            yield current
            current = self.parents.get(current)

    def before(self, first: cst.CSTNode, second: cst.CSTNode) -> bool:
        """Whether ``first`` starts before ``second`` in the source."""
        return self.order.get(first, 0) < self.order.get(second, 0)

    def exclusive(self, first: cst.CSTNode, second: cst.CSTNode) -> bool:
        """Whether ``first`` and ``second`` sit in different arms of one ``if``/``elif``/
        ``else`` (no single pass runs both, unless a loop around the ``if`` does)."""
        above_first = set(self.ancestors(first))
        for ancestor in self.ancestors(second):
            if ancestor in above_first:
                return type(ancestor) is cst.If
        return False

    def enclosing(self, node: cst.CSTNode, kinds: type | tuple[type, ...]) -> cst.CSTNode | None:
        """The nearest ancestor of one of ``kinds`` (concrete node classes), not crossing a
        function or class."""
        wanted = set(kinds) if isinstance(kinds, tuple) else {kinds}
        scopes = _scopes()
        for ancestor in self.ancestors(node):
            kind = type(ancestor)
            if kind in wanted:
                return ancestor
            if kind in scopes:
                return None
        return None

    def enclosing_function(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        found = self._function_of.get(node, _UNKNOWN)
        if found is _UNKNOWN:  # remembered: rules ask this of every call, many times
            found = None
            for ancestor in self.ancestors(node):
                if type(ancestor) is cst.FunctionDef:
                    found = ancestor
                    break
            self._function_of[node] = found
        return found  # type: ignore[return-value]

    def enclosing_class(self, node: cst.CSTNode) -> cst.ClassDef | None:
        """The class whose method (at any depth of nesting in it) contains ``node``."""
        for ancestor in self.ancestors(node):
            if type(ancestor) is cst.ClassDef:
                return ancestor
        return None

    def enclosing_loops(self, node: cst.CSTNode) -> list[cst.For | cst.While]:
        """Loops around ``node`` inside its function, innermost first."""
        loops: list[cst.For | cst.While] = []
        scopes = _scopes()
        for ancestor in self.ancestors(node):
            kind = type(ancestor)
            if kind in scopes:
                break
            if kind is cst.For or kind is cst.While:
                loops.append(ancestor)  # type: ignore[arg-type]
        return loops

    def innermost_loop(self, node: cst.CSTNode) -> cst.For | cst.While | None:
        """The loop nearest around ``node`` inside its function, or None."""
        loops = self.enclosing_loops(node)
        return loops[0] if loops else None

    def statement_of(self, node: cst.CSTNode) -> cst.CSTNode:
        """The simple or compound statement that contains an expression."""
        current: cst.CSTNode = node
        kinds = _statements()
        while type(current) not in kinds:
            parent = self.parents.get(current)
            if parent is None:
                return current
            current = parent
        return current

    # Containment in O(1): pre-order numbers --------------------------------------

    def is_inside(self, node: cst.CSTNode, container: cst.CSTNode) -> bool:
        if node is container:
            return True
        number = self.order.get(node)
        if number is None:  # the module, or a name inside an import (not indexed)
            return any(a is container for a in self.ancestors(node))
        first, last = self.span(container)
        return first < number <= last

    @property
    def order(self) -> dict[cst.CSTNode, int]:
        """Every indexed node's pre-order number (built on first use)."""
        if self._order is None:
            self._order = self._whole_index.order if self._whole_index is not None \
                else dict(zip(self.parents, itertools.count()))
        return self._order

    @property
    def nodes(self) -> list[cst.CSTNode]:
        """Every indexed node in pre-order: ``nodes[order[n]] is n``."""
        if self._nodes is None:
            self._nodes = list(self.parents)
        return self._nodes

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        """Pre-order numbers of ``node`` and of its last indexed descendant."""
        cached = self._spans.get(node)
        if cached is None:
            order = self.order
            first = order.get(node, -1)
            if node is self.root:
                cached = (-1, len(order) - 1)
            elif first == -1:  # not in this tree (or inside an import): contains nothing
                cached = (-1, -2)
            else:
                last = node
                while (children := [c for c in iter_children(last) if c in order]):
                    last = children[-1]
                cached = (first, order.get(last, first))
            self._spans[node] = cached
        return cached

    def within(self, nodes: Sequence[cst.CSTNode], container: cst.CSTNode) -> Sequence[cst.CSTNode]:
        """The members of ``nodes`` (an index list, in source order) inside ``container``.

        A view answers from the whole file's list (the same answer for a container inside
        the view; the true one for a container elsewhere, which a rule's helpers may ask
        about), except for the module: its members in the view."""
        whole = self._whole.get(id(nodes)) if self._whole else None
        if whole is not None and type(container) is not cst.Module:
            return self._whole_index.within(whole, container)  # type: ignore[union-attr]
        entry = self._list_orders.get(id(nodes))
        if entry is None or entry[0] is not nodes:
            entry = (nodes, list(map(self.order.__getitem__, nodes)))
            self._list_orders[id(nodes)] = entry
        numbers = entry[1]
        first, last = self.span(container)
        return nodes[bisect.bisect_left(numbers, first):bisect.bisect_right(numbers, last)]


class _Imports:
    """Stands in for an :class:`ImportMap` while a statement is walked alone: keeps the
    import statements, in order, for the module's map."""

    def __init__(self) -> None:
        self.nodes: list[cst.CSTNode] = []

    def add_import(self, node: cst.Import) -> None:
        self.nodes.append(node)

    def add_import_from(self, node: cst.ImportFrom) -> None:
        self.nodes.append(node)


class _Piece(NodeIndex):
    """The walk of one top-level statement (``top``), to be joined into a module's index;
    its depths count from ``top``, its ``parents`` leave ``top`` out."""

    def __init__(self, top: cst.CSTNode) -> None:
        recorded = _Imports()
        super().__init__(recorded)  # type: ignore[arg-type]
        self.top = top
        self._walk(top)
        self.recorded = recorded.nodes


class IndexPieces:
    """The walks of a buffer's top-level statements, kept from one build to the next (the
    language server's; an unchanged statement is the same object after a re-parse).
    Only the last build's statements are kept."""

    def __init__(self) -> None:
        self._pieces: dict[int, _Piece] = {}
        self.reused = 0  # statements whose walk was reused, for tests

    def join(self, index: NodeIndex, module: cst.Module) -> None:
        """Fill ``index`` (empty) as :meth:`NodeIndex._walk` of ``module`` would."""
        kept: dict[int, _Piece] = {}
        for top in module.body:
            piece = self._pieces.get(id(top))
            if piece is None or piece.top is not top:
                piece = _Piece(top)
            else:
                self.reused += 1
            kept[id(top)] = piece
            index._add(piece, module, 1)
        self._pieces = index._pieces = kept
