"""watch(): NaN/Inf origin (NR201-NR204)."""

import pytest
import torch
from torch import nn

import lintnn
import lintnn.torch as lt

from .models import line_of, mlp, tiny_bert, token_batch


class Net(nn.Module):
    def __init__(self, mode: str = "ok") -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(4, 8), nn.Tanh())
        self.head = Head(mode)

    def forward(self, x):
        return self.head(self.enc(x))


class Head(nn.Module):
    def __init__(self, mode: str) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 3)
        self.mode = mode

    def forward(self, h):
        if self.mode == "forward":
            h = torch.log(h - 2)  # NaN: tanh < 2
        elif self.mode == "backward":
            h = torch.sqrt(h * 0)  # finite forward, inf gradient
        return self.fc(h)


class Log(nn.Module):
    def forward(self, x):
        return torch.log(x)


def _step(model, x, y, opt):
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()


def _raise(mode: str, x=None):
    torch.manual_seed(0)
    model = Net(mode)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(8, 4) if x is None else x
    y = torch.randint(0, 3, (8,))
    if mode == "param":
        with torch.no_grad():
            model.head.fc.weight[0, 0] = float("inf")
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(lintnn.NonFiniteError) as info, lt.watch(model):
        _step(model, x, y, opt)
    for p, b in zip(model.parameters(), before, strict=True):
        assert torch.equal(p, b, ) or mode == "param", "the step must not write NaN weights"
    return info.value


def test_clean_training_steps_do_not_fire() -> None:
    model, opt = mlp(), None
    opt = torch.optim.Adam(model.parameters())
    x, y = torch.randn(16, 10), torch.randint(0, 3, (16,))
    with lt.watch(model) as w:
        for _ in range(3):
            opt.zero_grad()
            _step(model, x, y, opt)
    assert w.steps_checked == 3
    assert not model._forward_hooks and not model._forward_pre_hooks


def test_forward_origin_names_module_op_and_line() -> None:
    err = _raise("forward")
    assert err.origin.phase == "forward"
    assert err.origin.module == "head" and err.origin.op == "aten.log"
    assert err.origin.source == f"{__file__}:{line_of(__file__, 'torch.log(h - 2)')}"
    assert "parameters were finite" in str(err) and "aten.log" in str(err)


def test_backward_origin() -> None:
    err = _raise("backward")
    assert err.origin.phase == "backward"
    assert err.origin.module == "head" and err.origin.op == "aten.sqrt"
    assert err.origin.source == f"{__file__}:{line_of(__file__, 'torch.sqrt(h * 0)')}"


def test_dirty_input() -> None:
    x = torch.randn(8, 4)
    x[2, 1] = float("nan")
    err = _raise("ok", x)
    assert err.origin.phase == "input" and "'x'" in str(err)


def test_parameters_already_nonfinite() -> None:
    err = _raise("param")
    assert err.origin.parameters_nonfinite and err.origin.module == "head.fc"
    assert "already non-finite" in str(err)


def test_bert_origin_in_nested_layer() -> None:
    model = tiny_bert()
    model.encoder.layer[1].intermediate.intermediate_act_fn = Log()
    batch = token_batch()
    with pytest.raises(lintnn.NonFiniteError) as info, lt.watch(model):
        model(**batch).last_hidden_state.sum().backward()
    assert info.value.origin.module == "encoder.layer.1.intermediate.intermediate_act_fn"
    assert info.value.origin.op == "aten.log"


def test_check_nonfinite_report_codes() -> None:
    x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
    ce = nn.CrossEntropyLoss()
    assert lt.check_nonfinite(Net("forward"), x, y, ce).codes() == ["NR201"]
    assert lt.check_nonfinite(Net("backward"), x, y, ce).codes() == ["NR202"]
    x[0, 0] = float("inf")
    assert lt.check_nonfinite(Net(), x, y, ce).codes() == ["NR203"]
    model = Net()
    with torch.no_grad():
        model.enc[0].bias.fill_(float("nan"))
    rep = lt.check_nonfinite(model, torch.randn(8, 4), y, ce)
    assert rep.codes() == ["NR204"] and rep.findings[0].module == "enc.0"


def test_nan_loss_outside_the_model() -> None:
    rep = lt.check_nonfinite(Net(), torch.randn(8, 4), None, lambda out: torch.log(out - 9).sum())
    assert rep.codes() == ["NR201"]
    assert rep.findings[0].extra["op"] == "aten.log"


@pytest.mark.gpu
def test_forward_origin_on_cuda() -> None:
    torch.manual_seed(0)
    model = Net("forward").cuda()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(8, 4, device="cuda"), torch.randint(0, 3, (8,), device="cuda")
    with pytest.raises(lintnn.NonFiniteError) as info, lt.watch(model):
        _step(model, x, y, opt)
    assert info.value.origin.module == "head" and info.value.origin.op == "aten.log"


def test_nan_output_with_finite_gradients_is_caught_before_the_step() -> None:
    class WithLoss(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 3)

        def forward(self, x):
            logits = self.fc(x)
            return {"logits": logits, "loss": torch.log(logits - 100).mean()}

    model = WithLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(lintnn.NonFiniteError) as info, lt.watch(model):
        model(torch.randn(8, 4))["logits"].sum().backward()
        opt.step()
    assert info.value.origin.phase == "forward" and info.value.origin.op == "aten.log"


class MaskedAttention(nn.Module):
    """Causal self-attention fed an additive ``-inf`` mask; ``head`` may take a log."""

    def __init__(self, mode: str = "ok") -> None:
        super().__init__()
        self.q = nn.Linear(8, 8)
        self.head = Head("forward" if mode == "log" else "ok")
        self.mode = mode

    def forward(self, x, mask):
        scores = self.q(x) @ x.transpose(1, 2)
        scores = scores * mask if self.mode == "multiply" else scores + mask  # 0 * -inf: NaN
        return self.head(torch.tanh(scores.softmax(-1) @ x))


def _masked(mode: str):
    torch.manual_seed(0)
    t = 5
    mask = torch.triu(torch.full((t, t), float("-inf")), 1)  # the usual causal mask
    model = MaskedAttention(mode)
    x = torch.randn(2, t, 8)
    with pytest.raises(lintnn.NonFiniteError) as info, lt.watch(model):
        model(x, mask).sum().backward()
    return info.value


def test_infinite_attention_mask_is_not_blamed_for_a_nan_made_later() -> None:
    err = _masked("log")
    assert err.origin.phase == "forward", err
    assert (err.origin.module, err.origin.op) == ("head", "aten.log")
    assert err.diagnostic.code == "NR201"


def test_clean_model_with_an_infinite_mask_does_not_fire() -> None:
    torch.manual_seed(0)
    model = MaskedAttention()
    mask = torch.triu(torch.full((5, 5), float("-inf")), 1)
    with lt.watch(model) as w:
        model(torch.randn(2, 5, 8), mask).sum().backward()
    assert w.steps_checked == 1


def test_input_whose_inf_makes_a_nan_is_blamed() -> None:
    err = _masked("multiply")
    assert err.origin.phase == "input" and err.diagnostic.code == "NR203"
    assert err.origin.op == "aten._softmax" and err.origin.module == ""  # +inf and -inf in a row
    assert "'mask'" in str(err) and "born from it" in str(err)


def test_nonfinite_error_carries_its_diagnostic() -> None:
    err = _raise("backward")
    assert err.diagnostic.code == "NR202" and err.diagnostic.module == "head"
    assert err.diagnostic.extra["op"] == "aten.sqrt"


def test_op_inside_torch_modules_is_located_at_the_model_call_not_the_step() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8, eps=0.0), nn.Linear(8, 3))
    with torch.no_grad():
        model[0].weight.zero_()
        model[0].bias.fill_(1.0)  # every row constant: LayerNorm divides 0 by 0
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
    with pytest.raises(lintnn.NonFiniteError) as info, lt.watch(model):
        loss = nn.functional.cross_entropy(model(x), y)  # the model call
        loss.backward()
        opt.step()
    origin = info.value.origin
    assert origin.module == "1" and origin.phase == "forward"
    assert origin.source == f"{__file__}:{line_of(__file__, '# the model call')}"


def test_compiled_model_is_named_without_orig_mod() -> None:
    torch.manual_seed(0)
    model = Net("forward")
    compiled = torch.compile(model, backend="eager")
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
    with pytest.raises(lintnn.NonFiniteError) as info, lt.watch(compiled):
        _step(compiled, x, y, opt)
    assert (info.value.origin.module, info.value.origin.op) == ("head", "aten.log")
    assert info.value.diagnostic.module == "head"
