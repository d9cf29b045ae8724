"""The rank (number of dimensions) of a tensor expression, where the code shows it.

Followed backwards through the function: ``x.view(b, -1)`` has two dimensions,
``torch.flatten(x, 1)`` two, an LSTM's output three; linear, convolution, normalization,
dropout and activation layers keep the rank of their input; a name has the rank of what
it was last assigned. Anything else is unknown (None).
"""

from __future__ import annotations

import libcst as cst

from lintnn.static.knowledge import roles as R
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind
from lintnn.static.syntax.nodes import argument, has_star_args, int_value, method_name

# Layers and functions whose output has the rank of their input.
_KEEP_RANK = frozenset({R.LINEAR, R.CONV, R.DROPOUT, R.BATCHNORM, R.NORM, R.ACTIVATION,
                        R.SOFTMAX, R.LOG_SOFTMAX, R.SIGMOID, R.LOG_SIGMOID,
                        R.FUNCTIONAL_DROPOUT})
_KEEP_RANK_METHODS = frozenset({"relu", "sigmoid", "tanh", "float", "to", "contiguous",
                                "detach", "clone", "cuda", "cpu", "softmax", "log_softmax",
                                "exp", "abs", "clamp"})
_MAX_DEPTH = 8


def rank_of(ctx: FileContext, expr: cst.BaseExpression | None, depth: int = 0) -> int | None:
    """The number of dimensions ``expr`` is known to have, else None."""
    if expr is None or depth > _MAX_DEPTH:
        return None
    if type(expr) is cst.Name:
        assigned = ctx.last_assignment(expr.value, expr)
        return _rank_of_target(ctx, assigned, expr.value, depth) if assigned else None
    if type(expr) is cst.Call:
        return _rank_of_call(ctx, expr, depth)
    return None


def _rank_of_target(ctx: FileContext, assign: cst.Assign, name: str, depth: int) -> int | None:
    target = assign.targets[0].target if len(assign.targets) == 1 else None
    if type(target) is cst.Name:
        return rank_of(ctx, assign.value, depth + 1)
    if type(target) is cst.Tuple and type(assign.value) is cst.Call:
        first = target.elements[0].value if target.elements else None
        if type(first) is cst.Name and first.value == name and _is_layer(
                ctx, assign.value, R.RECURRENT):
            return 3  # out, hidden = self.lstm(x)
    return None


def _rank_of_call(ctx: FileContext, call: cst.Call, depth: int) -> int | None:
    if has_star_args(call):
        return None
    name = method_name(call)
    receiver = call.func.value if type(call.func) is cst.Attribute else None
    if name in ("view", "reshape") and receiver is not None:
        return _shape_length(call)
    if name == "flatten" and receiver is not None:
        return _flattened(argument(call, 0, "start_dim"))
    if name in ("unsqueeze", "squeeze") and receiver is not None:
        inner = rank_of(ctx, receiver, depth + 1)
        if inner is None or (name == "squeeze" and not call.args):
            return None
        return inner + 1 if name == "unsqueeze" else inner - 1
    if name in _KEEP_RANK_METHODS and receiver is not None and _is_tensor_method(ctx, call):
        return rank_of(ctx, receiver, depth + 1)
    qualname, entry = ctx.callee(call)
    if qualname in ("torch.flatten",):
        return _flattened(argument(call, 1, "start_dim"))
    if qualname in ("torch.reshape",):
        shape = argument(call, 1, "shape")
        return len(shape.elements) if type(shape) in (cst.Tuple, cst.List) else None
    if entry is not None and entry.kind == "function" and entry.roles & _KEEP_RANK:
        return rank_of(ctx, argument(call, 0, "input"), depth + 1)
    if _is_layer(ctx, call, R.FLATTEN):
        return 2
    if any(_is_layer(ctx, call, role) for role in _KEEP_RANK):
        return rank_of(ctx, argument(call, 0, "input"), depth + 1)
    return None


def _is_tensor_method(ctx: FileContext, call: cst.Call) -> bool:
    """``x.relu()``: a method of the value, not a module function ``F.relu(x)``."""
    return ctx.qualname(call.func) is None


def _is_layer(ctx: FileContext, call: cst.Call, role: str) -> bool:
    """``call`` calls an instance of a layer with ``role`` (``self.fc(x)``, ``fc(x)``)."""
    value = ctx.value(call.func)
    return value is not None and value.kind is Kind.INSTANCE and role in value.roles


def _shape_length(call: cst.Call) -> int | None:
    args = [a for a in call.args if a.keyword is None]
    if len(args) == 1 and type(args[0].value) in (cst.Tuple, cst.List):
        return len(args[0].value.elements)
    if len(args) == 1 and int_value(args[0].value) is None:
        return None  # x.view(shape): a shape held in a variable
    return len(args) or None


def _flattened(start: cst.BaseExpression | None) -> int | None:
    """``flatten(start_dim)`` with the default ``end_dim=-1``: ``start_dim + 1`` dimensions."""
    if start is None:
        return 1
    value = int_value(start)
    return value + 1 if value is not None and value >= 0 else None


def indexed_rank(ctx: FileContext, expr: cst.BaseExpression) -> int | None:
    """The rank a subscript of ``expr`` shows: ``p[:, :, :-1]`` indexes three dimensions
    (no ``...``), so ``p`` has three (people index every dimension or use ``...``)."""
    parent = ctx.index.parent(expr)
    if type(parent) is not cst.Subscript or parent.value is not expr:
        return None
    elements = parent.slice
    if len(elements) < 2 or any(
            type(e.slice) is cst.Index and type(e.slice.value) is cst.Ellipsis
            for e in elements):
        return None
    if any(type(e.slice) is cst.Index and type(e.slice.value) is cst.Name
           and e.slice.value.value == "None" for e in elements):
        return None  # x[:, None]: adds a dimension
    return len(elements)


_RESHAPE_METHODS = frozenset({"view", "reshape", "flatten", "squeeze", "unsqueeze", "permute"})
_RESHAPE_FUNCTIONS = frozenset({"torch.flatten", "torch.reshape", "torch.squeeze",
                                "torch.unsqueeze", "torch.permute"})


def reshaped_tensor(ctx: FileContext, call: cst.Call) -> cst.BaseExpression | None:
    """The one tensor a pure reshape reads (``torch.flatten(x, 1)``, ``x.view(n, -1)``):
    its values pass through unchanged. ``None`` for anything else (``torch.cat``)."""
    if has_star_args(call):
        return None
    qualname, _ = ctx.callee(call)
    if qualname in _RESHAPE_FUNCTIONS:
        return argument(call, 0, "input")
    if qualname is None and type(call.func) is cst.Attribute and (
            method_name(call) in _RESHAPE_METHODS):
        return call.func.value  # a method of a value, not a module's function
    return None
