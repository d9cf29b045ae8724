"""libcst visitors: declared without loading libcst, and run without rebuilding the tree.

``class Finder(cst.CSTVisitor)`` at module level reads ``cst.CSTVisitor`` when the module
is imported, which loads libcst. :func:`cst_visitor` takes the class written without bases
and makes the real subclass of ``libcst.CSTVisitor`` (the same name and methods) on the
first instantiation, when a tree, and with it libcst, is already there.

``node.visit(visitor)`` rebuilds every node it passes (libcst's visit returns a new tree,
even for a visitor that changes nothing): on a function body it costs about as much as
parsing it. :func:`walk` calls the same ``visit_*`` and ``leave_*`` methods in the same
order, reading the children where they are, for visitors of the code's structure (not of
whitespace and punctuation, which the walk does not enter); any other visitor is run by
libcst.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from collections.abc import Callable
from typing import Any, TypeVar

import libcst as cst

from lintnn.static.syntax.children import child_fields, is_node, node_classes

T = TypeVar("T")
_SKIPPED = ("__dict__", "__weakref__")


def cst_visitor(written: type[T]) -> Callable[..., T]:
    """A constructor of ``written`` as a ``libcst.CSTVisitor`` subclass (made once)."""
    made: list[type] = []

    def construct(*args: Any, **kwargs: Any) -> T:
        if not made:
            members = {k: v for k, v in vars(written).items() if k not in _SKIPPED}
            made.append(type(written.__name__, (cst.CSTVisitor,), members))
        return made[0](*args, **kwargs)

    construct.__name__ = construct.__qualname__ = written.__name__
    construct.__doc__ = written.__doc__
    return construct


_LIBCST_HOOKS = ("on_visit", "on_leave", "on_visit_attribute", "on_leave_attribute")


def walk(root: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """``root.visit(visitor)``, without rebuilding the nodes: the same ``visit_<Node>``
    calls in pre-order (a False answer skips the node's children), then ``leave_<Node>``,
    children in libcst's order (source order)."""
    hooks = _hooks(type(visitor))
    if hooks is None or not _order_readable():
        root.visit(visitor)
        return
    visits, leaves = hooks
    stack: list[tuple[cst.CSTNode, bool]] = [(root, False)]
    push, pop = stack.append, stack.pop
    while stack:
        node, leaving = pop()
        name = type(node).__name__
        if leaving:
            leave = leaves.get(name)
            if leave is not None:
                leave(visitor, node)
            continue
        visit = visits.get(name)
        push((node, True))
        if visit is not None and visit(visitor, node) is False:
            continue
        for field in reversed(_visit_fields(type(node))):
            value = getattr(node, field)
            kind = type(value)
            if kind is tuple or kind is list:
                for item in reversed(value):
                    if is_node(type(item)):
                        push((item, False))
            elif is_node(kind):
                push((value, False))


@functools.cache
def _hooks(kind: type) -> tuple[dict[str, Callable[..., Any]],
                                dict[str, Callable[..., Any]]] | None:
    """The ``visit_<Node>`` and ``leave_<Node>`` methods of a visitor class by node class
    name; None when :func:`walk` cannot stand in for libcst's visit (hooks of libcst's
    own, of a node's attribute, or of a node the walk does not enter)."""
    if any(getattr(kind, hook) is not getattr(cst.CSTVisitor, hook) for hook in _LIBCST_HOOKS):
        return None
    entered = _entered_classes()
    visits: dict[str, Callable[..., Any]] = {}
    leaves: dict[str, Callable[..., Any]] = {}
    for attribute in dir(kind):
        prefix, _, node = attribute.partition("_")
        if prefix not in ("visit", "leave") or not node:
            continue
        method = getattr(kind, attribute)
        if method is getattr(cst.CSTVisitor, attribute, None):
            continue  # libcst's own no-op
        if node not in entered:
            return None
        (visits if prefix == "visit" else leaves)[node] = method
    return visits, leaves


@functools.cache
def _entered_classes() -> frozenset[str]:
    """Names of the node classes :func:`walk` may meet: those some child field it reads
    can hold (not whitespace, punctuation or operators)."""
    from libcst._nodes.base import CSTNode  # libcst-internal, stable since 0.3

    kinds = node_classes(CSTNode)
    skipped = {"libcst._nodes.whitespace", "libcst._nodes.op"}
    tokens = {"LeftParen", "RightParen", "LeftSquareBracket", "RightSquareBracket",
              "LeftCurlyBrace", "RightCurlyBrace", "Asynchronous", "ParamStar", "ParamSlash"}
    return frozenset(k.__name__ for k in kinds
                     if k.__module__ not in skipped and k.__name__ not in tokens)


@functools.cache
def _order_readable() -> bool:
    """Whether libcst's visiting order can be read from its source (an install without
    its ``.py`` files cannot say it: libcst then visits)."""
    return _visiting_order(cst.FunctionDef)[:2] == ["leading_lines", "decorators"]


@functools.cache
def _visit_fields(kind: type) -> tuple[str, ...]:
    """The fields of ``kind`` that may hold code (``children.child_fields``), in the
    order libcst visits them: the order its ``_visit_and_replace_children`` names them."""
    worth = child_fields(kind)
    named = [name for name in _visiting_order(kind) if name in worth]
    return (*named, *(name for name in worth if name not in named))


def _visiting_order(kind: type) -> list[str]:
    try:
        source = textwrap.dedent(inspect.getsource(kind._visit_and_replace_children))
    except (AttributeError, OSError, TypeError):
        return []
    calls = [node for node in ast.walk(ast.parse(source))
             if type(node) is ast.Call and type(node.func) is ast.Name
             and node.func.id.startswith("visit_") and len(node.args) >= 2
             and type(node.args[1]) is ast.Constant and type(node.args[1].value) is str]
    calls.sort(key=lambda call: (call.lineno, call.col_offset))
    return list(dict.fromkeys(call.args[1].value for call in calls))  # type: ignore[attr-defined]
