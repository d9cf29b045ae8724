"""Every check leaves the model exactly as found, also when the model raises."""

import contextlib
import copy
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

import lintnn.torch as lt

from .models import BNNet, Raises, SeqModel, tiny_bert, token_batch


def _snapshot(model: nn.Module, ids: bool = True) -> dict[str, Any]:
    def ident(t):
        return id(t) if ids else None

    def grad(p):
        return None if p.grad is None else (ident(p.grad), p.grad.clone())

    return {
        "params": [(n, ident(p), p.detach().clone(), p.requires_grad, grad(p))
                   for n, p in model.named_parameters()],
        "buffers": [(n, ident(b), b.clone()) for n, b in model.named_buffers()],
        "modes": [m.training for m in model.modules()],
        "hooks": [(dict(m._forward_hooks), dict(m._forward_pre_hooks), dict(m._backward_hooks))
                  for m in model.modules()],
        "rng": torch.get_rng_state().clone(),
    }


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor):
        return a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def _bn():
    model = BNNet().train()
    x = torch.randn(8, 10)
    model(x).sum().backward()  # gradients present: they must survive
    model.body[0].weight.requires_grad_(False)
    model.register_forward_hook(lambda *a: None)  # a user hook stays
    return model, x, torch.randint(0, 3, (8,)), nn.CrossEntropyLoss()


def _lstm():
    return SeqModel().eval(), torch.randn(3, 5, 4), torch.randint(0, 3, (3, 5)), (
        lambda out, y: nn.functional.cross_entropy(out.flatten(0, 1), y.flatten()))


def _bert():
    return tiny_bert(), token_batch(), None, lambda out: out.last_hidden_state.pow(2).mean()


def _rows40():
    """40 rows: check_health also trains the shuffled-label controls (NR308)."""
    model, _, _, loss_fn = _bn()
    x = torch.randn(40, 10)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn(model(x), torch.randint(0, 3, (40,))).backward()
    opt.step()  # the optimizer has state: check_health(optimizer=opt) must not touch it
    return model, x, torch.randint(0, 3, (40,)), loss_fn, opt


def _raises():
    return Raises().train(), torch.randn(7, 10), torch.randint(0, 3, (7,)), nn.CrossEntropyLoss()


CHECKS: dict[str, Callable[..., Any]] = {
    "probe_shapes": lambda m, x, y, f: lt.probe_shapes(m, x, target=y, loss_fn=f),
    "batch": lambda m, x, y, f: lt.check_batch_independence(m, x),
    "nonfinite": lambda m, x, y, f: lt.check_nonfinite(m, x, y, f),
    "health": lambda m, x, y, f: lt.check_health(m, f, (x, y), steps=3),
}


def _forward(model, x):
    return model(**x) if isinstance(x, dict) else model(x)


@pytest.mark.parametrize("check", list(CHECKS))
@pytest.mark.parametrize("make", [_bn, _lstm, _bert, _raises], ids=["bn", "lstm", "bert", "raises"])
def test_model_left_exactly_as_found(make, check) -> None:
    model, x, y, loss_fn = make()
    torch.manual_seed(123)
    before = _snapshot(model)
    try:
        CHECKS[check](model, x, y, loss_fn)
    except RuntimeError:
        assert make is _raises, "only the raising model may raise"
    assert _same(_snapshot(model), before)


def test_health_with_label_control_and_optimizer_leaves_both_as_found() -> None:
    model, x, y, loss_fn, opt = _rows40()
    torch.manual_seed(123)
    before = _snapshot(model)
    state = copy.deepcopy(opt.state_dict())
    rep = lt.check_health(model, loss_fn, (x, y), optimizer=opt, steps=20)
    assert "label_control" in rep.data
    assert _same(_snapshot(model), before)
    assert _same(opt.state_dict(), state)


@pytest.mark.parametrize("make", [_bn, _lstm, _bert, _raises], ids=["bn", "lstm", "bert", "raises"])
def test_watch_changes_nothing_a_plain_forward_does_not(make) -> None:
    model, x, _, _ = make()
    twin = copy.deepcopy(model)
    for p, q in zip(model.parameters(), twin.parameters(), strict=True):
        q.grad = None if p.grad is None else p.grad.clone()  # deepcopy drops gradients
    results = []
    for m, watched in ((twin, False), (model, True)):
        torch.manual_seed(123)
        try:
            with lt.watch(m) if watched else contextlib.nullcontext():
                _forward(m, x)
        except RuntimeError:
            assert make is _raises
        results.append(_snapshot(m, ids=False))
    twin_hooks, model_hooks = results[0].pop("hooks"), results[1].pop("hooks")
    assert [tuple(map(len, h)) for h in twin_hooks] == [tuple(map(len, h)) for h in model_hooks]
    assert _same(results[0], results[1])
