"""NN404: affine layers stacked with no nonlinearity between them."""

from __future__ import annotations

import re

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses.layers import (
    adjacent_layers,
    applied_layer,
    forwarded_keywords,
    forwards_keywords,
    layer_input,
    producing_call,
    reads_only_its_statement,
)
from lintnn.static.analyses.training_evidence import trains_here
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind, Value
from lintnn.static.syntax.nodes import (
    dotted_name,
    int_value,
    keyword,
    positional,
    string_value,
)

_AFFINE = frozenset({R.LINEAR, R.CONV})
# Layers and functions whose output is a fixed linear map of their input (or, dropout,
# the input with units zeroed and rescaled): an affine output passed through them is
# still affine in the layer's input.
_PASSES_ON = frozenset({R.DROPOUT, R.FUNCTIONAL_DROPOUT, R.WEIGHTLESS_LINEAR})
# Keras activations that leave the output as it is.
_LINEAR_ACTIVATIONS = frozenset({"linear", "keras.activations.linear"})
# How many positional arguments a layer may take before one could set its bias, its
# groups or its activation (``nn.Linear(4, 8, False)``, ``Dense(8, "relu")``).
_PLAIN_POSITIONS = {
    "torch.nn.Linear": 2, "torch.nn.LazyLinear": 1, "torch.nn.LazyConv1d": 4,
    "torch.nn.LazyConv2d": 4, "torch.nn.LazyConv3d": 4, "flax.nnx.Linear": 2,
    "flax.linen.Conv": 4, "flax.nnx.Conv": 4, "keras.layers.Dense": 1,
    "jax.example_libraries.stax.Conv": 4, "jax.experimental.stax.Conv": 4,
}
_TORCH_CONV_POSITIONS = 5  # in, out, kernel, stride, padding (then dilation, groups, bias)
_TORCH_GROUPS_POSITION = 6  # of nn.Conv2d and nn.ConvTranspose2d (a lazy one: 5)
_KERAS_CONV_POSITIONS = 3  # filters, kernel, strides (an old Convolution1D: init, activation)
# Keywords that, left to a layer's ``**kwargs``, may hold what makes it no plain layer.
_SET_ELSEWHERE = frozenset({"bias", "use_bias", "activation", "groups",
                            "feature_group_count"})


class AffineLayersWithoutActivation(Rule):
    """Two affine layers (Linear/Dense/Conv) with nothing nonlinear between them."""

    code = "NN404"
    name = "affine-layers-without-activation"
    severity = Severity.WARNING
    scope = "statement"
    message = (
        "this layer's output goes straight into another affine layer (Linear/Dense/Conv) "
        "with no activation between them: together they compute one linear map, so the "
        "extra layer adds parameters but no expressive power; put a nonlinearity (ReLU, "
        "...) after this layer, or give it an activation (bias=False marks a deliberate "
        "low-rank factorisation)"
    )
    frameworks = ("torch", "jax", "keras")
    triggers = ("Linear", "Dense", "Conv")
    needs = (Needs(roles=tuple(_AFFINE)),)
    absent = ("",)

    def statement_local(self, ctx: FileContext) -> bool:
        """A layer helper spread into a Sequential is judged where it is spread, and a
        layer built with a function's ``**kwargs`` where that function is called."""
        return super().statement_local(ctx) and reads_only_its_statement(ctx) \
            and not forwards_keywords(ctx)

    def check(self, ctx: FileContext) -> None:
        if ctx.is_test_file:
            return  # unit tests build tiny models to exercise plumbing, not to learn
        links: list[tuple[cst.CSTNode, cst.CSTNode]] = []
        for call in ctx.index.calls:
            _, entry = ctx.callee(call)
            if entry is not None and R.SEQUENTIAL in entry.roles:
                value = ctx.value(call)
                if value is not None and value.kind is Kind.INSTANCE and not _rewired(
                        ctx, call):
                    links += _sequence_links(ctx, _flat(value.items),
                                             _commented_out(call))
            else:
                links += _call_links(ctx, call)
        links += _grown_links(ctx)
        # Asked last, so that only a statement with a stack depends on the training code:
        # a library's ported architecture keeps its linear stacks on purpose.
        if not links or not trains_here(ctx):
            return
        fed_by_stack = {second for _, second in links}
        reported: set[cst.CSTNode] = set()
        for first, _ in links:
            if first not in fed_by_stack and first not in reported:
                reported.add(first)
                ctx.report(first)


def _flat(items: tuple[Value | None, ...]) -> list[Value | None]:
    """A Sequential's layers, those of a Sequential inside it spliced in."""
    out: list[Value | None] = []
    for item in items:
        if item is not None and item.kind is Kind.INSTANCE and R.SEQUENTIAL in item.roles \
                and item.items and None not in item.items:
            out += _flat(item.items)
        else:
            out.append(item)
    return out


def _sequence_links(ctx: FileContext, items: list[Value | None],
                    skipped: frozenset[int] = frozenset()) -> list[tuple[
        cst.CSTNode, cst.CSTNode]]:
    """(plain affine layer, affine layer it feeds) in a Sequential's list of layers; none
    across an activation commented out after the layer (ids in ``skipped``)."""
    links = []
    last: Value | None = None  # the plain affine layer whose output is still affine
    for previous, item in zip([None, *items], items, strict=False):
        if previous is not None and id(previous.node) in skipped:
            last = None
        if _affine(item) and last is not None and _ungrouped(item):
            links.append((last.node, item.node))  # type: ignore[arg-type]
        if _affine(item):
            last = item if _plain(ctx, item) else None  # type: ignore[arg-type]
        elif not _passes_on(item):
            last = None
    return links


# An activation written in a comment (``# nn.ReLU(),``, ``# activation="relu"``).
_COMMENTED_ACTIVATION = re.compile(
    r"(?i)\b(?:relu\d?|leaky_?relu|p?relu|gelu|selu|elu|silu|swish|mish|tanh|sigmoid|"
    r"softplus|activation)\s*(?:\(|=)")


def _commented_out(call: cst.Call) -> frozenset[int]:
    """The layers of a Sequential's argument list followed by a comment that holds an
    activation: the author wrote it and switched it off, so the linear stack after them is
    an experiment on purpose (``nn.Linear(n, d),  # nn.ReLU(),``)."""
    args = [arg for arg in call.args if not arg.star and arg.keyword is None]
    if len(args) == 1 and type(args[0].value) in (cst.List, cst.Tuple):
        entries = [(el.value, el.comma) for el in args[0].value.elements]
    else:
        entries = [(arg.value, arg.comma) for arg in args]
    return frozenset(id(value) for value, comma in entries
                     if type(comma) is cst.Comma and any(
                         _COMMENTED_ACTIVATION.search(text) for text in _comments(comma)))


def _comments(node: cst.CSTNode) -> list[str]:
    """The text of every comment inside ``node`` (a comma and the whitespace after it)."""
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        if type(current) is cst.Comment:
            found.append(current.value)
        stack.extend(current.children)
    return found


def _rewired(ctx: FileContext, call: cst.Call) -> bool:
    """The Sequential is bound to a name whose entries are replaced or changed later in
    the same scope (``net[1] = nn.ReLU()``, ``net[0].weight = net[1].weight``): what its
    layers compute is not what the list says."""
    assign = ctx.index.parent(call)
    if type(assign) is not cst.Assign or assign.value is not call \
            or len(assign.targets) != 1:
        return False
    name = dotted_name(assign.targets[0].target)
    if name is None:
        return False
    scope = ctx.scope_of(call)
    for other in ctx.index.within(ctx.index.assignments, scope):
        for target in other.targets:
            node = target.target
            while type(node) in (cst.Attribute, cst.Subscript):
                if type(node) is cst.Subscript and dotted_name(node.value) == name:
                    return True
                node = node.value
    return False


def _grown_links(ctx: FileContext) -> list[tuple[cst.CSTNode, cst.CSTNode]]:
    """The same over layers added one right after the other to a grown container."""
    before: dict[cst.CSTNode, Value | None] = {}
    for pair in adjacent_layers(ctx):
        node = pair.after.node
        if node is not None:
            known = before.get(node, pair.before)
            before[node] = pair.before if known is not None and known.node is (
                pair.before.node) else None  # placed twice after different layers
    links = []
    for pair in adjacent_layers(ctx):
        if not _affine(pair.after) or not _ungrouped(pair.after):
            continue
        layer: Value | None = pair.before
        for _ in range(len(before) + 1):
            if layer is None or not _passes_on(layer) or layer.node is None:
                break
            layer = before.get(layer.node)
        if _affine(layer) and _plain(ctx, layer):  # type: ignore[arg-type]
            links.append((layer.node, pair.after.node))  # type: ignore[union-attr]
    return links


def _call_links(ctx: FileContext, call: cst.Call) -> list[tuple[cst.CSTNode, cst.CSTNode]]:
    """``self.fc2(self.fc1(x))``, ``x = fc1(x); x = fc2(x)``, ``Dense(1)(Dense(8)(x))``: the
    call of a plain affine layer whose output alone reaches this affine layer's call."""
    layer = applied_layer(ctx, call)
    if not _affine(layer) or not _ungrouped(layer):  # type: ignore[arg-type]
        return []
    tensor = layer_input(call)
    source = producing_call(ctx, tensor, lambda c: _passed_on(ctx, c)) if tensor else None
    first = applied_layer(ctx, source) if source is not None else None
    if first is None or not _affine(first) or not _plain(ctx, first):
        return []
    return [(source, call)]  # type: ignore[list-item]


def _passed_on(ctx: FileContext, call: cst.Call) -> cst.BaseExpression | None:
    """The tensor that ``call`` (dropout, a reshape layer, average pooling) passes on."""
    layer = applied_layer(ctx, call)
    if layer is not None:
        return layer_input(call) if _passes_on(layer) else None
    _, entry = ctx.callee(call)
    if entry is not None and entry.roles & _PASSES_ON:
        args = positional(call)
        return args[0] if args else None
    return None


def _affine(layer: Value | None) -> bool:
    return layer is not None and layer.kind is Kind.INSTANCE and bool(
        layer.roles & _AFFINE) and layer.qualname != "torch.nn.Bilinear"


def _passes_on(layer: Value | None) -> bool:
    return layer is not None and layer.kind is Kind.INSTANCE and bool(
        layer.roles & _PASSES_ON) and not layer.roles & _AFFINE


def _plain(ctx: FileContext, layer: Value) -> bool:
    """The layer surely ends in its affine map: no activation of its own (keras
    ``activation=``), a bias (``bias=False`` marks a deliberate low-rank factor), no
    groups (a depthwise factor), and nothing passed that could set one of these."""
    built = layer.node
    if type(built) is not cst.Call or not _ungrouped(layer):
        return False
    if any(arg.star == "*" for arg in built.args):
        return False
    if any(arg.star == "**" for arg in built.args):
        forwarded = forwarded_keywords(ctx, built)
        if forwarded is None or forwarded & _SET_ELSEWHERE:
            return False
    if len(positional(built)) > _plain_positions(layer.qualname or ""):
        return False
    return _no_activation(ctx, keyword(built, "activation")) and all(
        _literal(keyword(built, name), "True") for name in ("bias", "use_bias"))


def _ungrouped(layer: Value) -> bool:
    """No ``groups=`` / ``feature_group_count=`` other than 1: a grouped (depthwise)
    convolution is one factor of a deliberately factorised one."""
    built = layer.node
    if type(built) is not cst.Call:
        return False
    qualname = layer.qualname or ""
    if qualname.startswith(("torch.nn.Conv", "torch.nn.LazyConv")) \
            and len(positional(built)) > _TORCH_GROUPS_POSITION - qualname.startswith(
                "torch.nn.Lazy"):
        return False  # groups passed by position
    return all(keyword(built, name) is None or int_value(keyword(built, name)) == 1
               for name in ("groups", "feature_group_count"))


def _plain_positions(qualname: str) -> int:
    if qualname in _PLAIN_POSITIONS:
        return _PLAIN_POSITIONS[qualname]
    if qualname.startswith("torch.nn.Conv"):
        return _TORCH_CONV_POSITIONS
    if qualname.startswith("keras.layers."):
        return _KERAS_CONV_POSITIONS
    return 1


def _no_activation(ctx: FileContext, activation: cst.BaseExpression | None) -> bool:
    """``activation=`` absent, ``None``, ``"linear"`` or ``keras.activations.linear``."""
    if activation is None or _literal(activation, "None"):
        return True
    name = string_value(activation)
    if name is None and type(activation) in (cst.Name, cst.Attribute):
        name = ctx.qualname(activation)
    return name in _LINEAR_ACTIVATIONS


def _literal(node: cst.BaseExpression | None, name: str) -> bool:
    """``node`` is absent or the constant ``name`` (``True``, ``None``)."""
    return node is None or (type(node) is cst.Name and node.value == name)

