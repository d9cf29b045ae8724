"""A call's argument valued from the bindings it reads (:mod:`lintnn.static.syntax.demand`):
the same value as the whole function's flow gives, or :class:`NeedsFlow`, never another
answer; and what it reads is what the language server's cache is told."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest

from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.demand import Bindings, NeedsFlow, _Evaluator, demand_value

SOURCE = '''
import torch
import torch.nn as nn
from torch.utils.data import DataLoader


class Net(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, 2)

    def forward(self, x):
        return torch.softmax(self.fc(x), dim=-1)


def step(model, loader, loss_fn, extra=None):
    return loss_fn(model(next(iter(loader))), 0)


def plain(data, config):
    net = Net(config.width)
    loader = DataLoader(data, batch_size=8)
    criterion = nn.CrossEntropyLoss()
    alias = net
    for _ in range(3):
        step(alias, loader, criterion, config.extra)
    step(net.to("cpu"), loader, criterion, [net])


def rebound(data):
    net = Net(4)
    net = nn.Linear(4, 2)
    step(net, data, nn.NLLLoss())


def branched(data, flag):
    if flag:
        net = Net(4)
    else:
        net = Net(8)
    step(net, data, nn.NLLLoss())


def unpacked(data):
    net, other = Net(4), Net(8)
    step(net, data, nn.NLLLoss())


def later(data):
    step(net, data, nn.NLLLoss())
    net = Net(4)


def shadowing_parameter(model, data):
    model = Net(4)
    step(model, data, nn.NLLLoss())


def by_import(data):
    import torch as net
    step(net, data, nn.NLLLoss())


def in_a_loop(data):
    for net in [Net(4)]:
        step(net, data, nn.NLLLoss())


def comprehension(data):
    net = Net(4)
    nets = [net for net in [Net(8)]]
    step(net, data, lambda net: net, nets)


class Trainer:
    def __init__(self, net):
        self.net = net

    def fit(self, data):
        criterion = nn.CrossEntropyLoss()
        step(self.net, data, criterion)
        step(Net(2), data, criterion, self)


if __name__ == "__main__":
    plain([], None)
'''


@pytest.fixture
def ctx() -> FileContext:
    text = textwrap.dedent(SOURCE)
    return FileContext(Path("train.py"), text, cst.parse_module(text), "train", False)


def _arguments(ctx: FileContext) -> list[tuple[cst.FunctionDef, cst.BaseExpression]]:
    """Every argument of every call of ``step`` inside a function, with the function."""
    return _arguments_of(ctx, "step")


def _arguments_of(ctx: FileContext,
                  callee: str) -> list[tuple[cst.FunctionDef, cst.BaseExpression]]:
    out = []
    for call in ctx.index.calls:
        fn = ctx.index.enclosing_function(call)
        if fn is not None and isinstance(call.func, cst.Name) and call.func.value == callee:
            out += [(fn, arg.value) for arg in call.args]
    return out


def _demand(ctx: FileContext, fn: cst.FunctionDef, expr: cst.BaseExpression):
    return demand_value(ctx, fn, expr, Bindings(fn))


def test_every_answer_is_the_flows() -> None:
    """Wherever it answers, the value is the one the whole flow gives (same kind, class,
    roles, node); it answers for most of the plain arguments, most with a known value."""
    text = textwrap.dedent(SOURCE)
    answered = known = 0
    arguments = _arguments(FileContext(Path("t.py"), text, cst.parse_module(text), "t", False))
    assert len(arguments) > 20
    for index in range(len(arguments)):
        # A fresh context per argument: nothing memoised by one answer helps another.
        fresh = FileContext(Path("t.py"), text, cst.parse_module(text), "t", False)
        fn, expr = _arguments(fresh)[index]
        try:
            got = _demand(fresh, fn, expr)
        except NeedsFlow:
            continue
        answered += 1
        known += got is not None
        assert got == fresh.flow(fn).value_of(expr), cst.Module([]).code_for_node(expr)
    assert answered >= 25 and known >= 20


@pytest.mark.parametrize("function", [
    "rebound", "branched", "unpacked", "shadowing_parameter", "by_import", "in_a_loop"])
def test_a_name_bound_other_than_once_plainly_needs_the_flow(ctx: FileContext,
                                                             function: str) -> None:
    fn, expr = next((f, e) for f, e in _arguments(ctx)
                    if f.name.value == function and isinstance(e, cst.Name))
    with pytest.raises(NeedsFlow):
        _demand(ctx, fn, expr)


def test_a_self_attribute_needs_the_flow(ctx: FileContext) -> None:
    fn, expr = next((f, e) for f, e in _arguments(ctx) if isinstance(e, cst.Attribute)
                    and isinstance(e.value, cst.Name) and e.value.value == "self")
    with pytest.raises(NeedsFlow):
        _demand(ctx, fn, expr)


def test_a_name_bound_after_the_call_is_unbound_there(ctx: FileContext) -> None:
    fn, expr = next((f, e) for f, e in _arguments(ctx)
                    if f.name.value == "later" and isinstance(e, cst.Name))
    assert _demand(ctx, fn, expr) is None
    assert ctx.flow(fn).value_of(expr) is None


def test_a_comprehensions_or_lambdas_names_are_their_own(ctx: FileContext) -> None:
    fn, expr = next((f, e) for f, e in _arguments(ctx)
                    if f.name.value == "comprehension" and isinstance(e, cst.Name)
                    and e.value == "net")
    value = _demand(ctx, fn, expr)
    assert value is not None and value.node.args[0].value.value == "4"
    assert value == ctx.flow(fn).value_of(expr)


def test_a_local_bound_once_is_its_value(ctx: FileContext) -> None:
    """``alias = net`` and ``net = Net(...)``: an instance of the file's model class, found
    through two plain bindings, without the function's flow."""
    fn, expr = next((f, e) for f, e in _arguments(ctx)
                    if f.name.value == "plain" and isinstance(e, cst.Name)
                    and e.value == "alias")
    value = _demand(ctx, fn, expr)
    assert value is not None and value.project_class == "train.Net"
    assert fn not in ctx._flows  # the flow was never built


def test_an_argument_of_a_method_reads_the_method_not_its_class(ctx: FileContext) -> None:
    """Valuing ``criterion`` in ``Trainer.fit`` reads ``fit`` alone: not the class's
    attributes (every method's flow), which ``fit``'s whole flow would read."""
    _fn, expr = next((f, e) for f, e in _arguments(ctx)
                    if f.name.value == "fit" and isinstance(e, cst.Name)
                    and e.value == "criterion")
    ctx.reads.start()
    with ctx.reads.collecting() as frame:
        value = ctx.passed_value(expr)
    assert value is not None and value.qualname == "torch.nn.CrossEntropyLoss"
    trainer = ctx.local_classes["Trainer"]
    assert trainer not in frame and not ctx._class_attrs


def test_a_chain_of_locals_is_valued_once_each() -> None:
    """``a1 = a0``, ``a2 = a1``, ...: each local is valued once (``name in env`` and then
    ``env[name]`` ask twice, and each value reads the one before: asked afresh, a chain of
    20 costs 2**20 evaluations)."""
    chain = "\n".join(f"    a{i + 1} = a{i}" for i in range(20))
    text = ("import torch.nn as nn\n\n\ndef fit(model, loss_fn):\n    return model\n\n\n"
            f"def main():\n    a0 = nn.Linear(4, 2)\n{chain}\n    fit(a20, nn.MSELoss())\n")
    ctx = FileContext(Path("chain.py"), text, cst.parse_module(text), "chain", False)
    fn, expr = next((f, e) for f, e in _arguments_of(ctx, "fit") if isinstance(e, cst.Name))
    calls = 0
    original = _Evaluator.eval

    def counted(self, node, env):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return original(self, node, env)

    _Evaluator.eval = counted  # type: ignore[method-assign]
    try:
        value = _demand(ctx, fn, expr)
    finally:
        _Evaluator.eval = original  # type: ignore[method-assign]
    assert value is not None and value.qualname == "torch.nn.Linear"
    assert calls <= 3 * 21
