"""Small, pure helpers over libcst nodes: arguments, literals, names."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from lintnn.static.syntax.imports import dotted_name
from lintnn.static.syntax.index import iter_children

__all__ = [
    "argument",
    "bool_value",
    "dotted_name",
    "int_value",
    "keyword",
    "method_name",
    "positional",
    "string_value",
    "target_names",
]


def positional(call: cst.Call) -> list[cst.BaseExpression]:
    """Positional arguments up to the first ``*args`` (after it, positions are unknown)."""
    out: list[cst.BaseExpression] = []
    for arg in call.args:
        if arg.keyword is not None or arg.star == "**":
            continue
        if arg.star == "*":
            break
        out.append(arg.value)
    return out


def keyword(call: cst.Call, name: str) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def keyword_arg(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def has_star_args(call: cst.Call) -> bool:
    return any(arg.star for arg in call.args)


def argument(
    call: cst.Call, position: int | None, name: str | None = None
) -> cst.BaseExpression | None:
    """The argument passed for a parameter, by keyword first, then by position."""
    if name is not None:
        value = keyword(call, name)
        if value is not None:
            return value
    if position is not None:
        args = positional(call)
        if position < len(args):
            return args[position]
    return None


def method_name(call: cst.Call) -> str | None:
    """``x.foo(...)`` -> ``"foo"``."""
    if type(call.func) is cst.Attribute:
        return call.func.attr.value
    return None


def bool_value(node: cst.BaseExpression | None) -> bool | None:
    if type(node) is cst.Name and node.value in ("True", "False"):
        return node.value == "True"
    return None


def int_value(node: cst.BaseExpression | None) -> int | None:
    if type(node) is cst.Integer:
        return int(node.evaluated_value)
    if (
        type(node) is cst.UnaryOperation
        and type(node.operator) is cst.Minus
        and type(node.expression) is cst.Integer
    ):
        return -int(node.expression.evaluated_value)
    return None


def float_value(node: cst.BaseExpression | None) -> float | None:
    if type(node) in (cst.Integer, cst.Float):
        return float(node.evaluated_value)
    if type(node) is cst.UnaryOperation and type(node.operator) is cst.Minus:
        inner = float_value(node.expression)
        return -inner if inner is not None else None
    return None


def string_value(node: cst.BaseExpression | None) -> str | None:
    if type(node) is cst.SimpleString:
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def target_names(target: cst.BaseExpression) -> Iterator[str]:
    """Every plain or dotted name bound by an assignment target (tuples unpacked)."""
    if type(target) in (cst.Tuple, cst.List):
        for element in target.elements:
            yield from target_names(element.value)
    elif type(target) is cst.StarredElement:
        yield from target_names(target.value)
    else:
        name = dotted_name(target)
        if name is not None:
            yield name


def names_in(node: cst.CSTNode) -> list[cst.Name]:
    """Every ``Name`` inside ``node`` (attribute names included), without recursion."""
    found: list[cst.Name] = []
    todo: list[cst.CSTNode] = [node]
    while todo:
        current = todo.pop()
        if type(current) is cst.Name:
            found.append(current)
        else:
            todo.extend(iter_children(current))
    return found


def is_self_attribute(node: cst.BaseExpression, attr: str | None = None) -> bool:
    return (
        type(node) is cst.Attribute
        and type(node.value) is cst.Name
        and node.value.value == "self"
        and (attr is None or node.attr.value == attr)
    )
