"""check_health: a healthy MLP passes; one model per code triggers it."""

import pytest
import torch
from torch import nn

import lintnn.torch as lt

from .models import classification_batch, mlp


def _codes(model, batch=None, loss_fn=None, **kw) -> list[str]:
    batch = batch or classification_batch()
    return lt.check_health(model, loss_fn or nn.CrossEntropyLoss(), batch, **kw).codes()


def test_healthy_mlp_passes_every_check() -> None:
    rep = lt.check_health(mlp(), nn.CrossEntropyLoss(), classification_batch(), num_classes=3)
    assert rep.findings == [], str(rep)
    curve = rep.data["loss_curve"]
    assert curve[-1] <= 0.1 * curve[0]
    assert set(rep.data["activation_std"]) == {"0", "2", "4"}


def test_initial_loss_far_from_chance() -> None:
    model = mlp()
    with torch.no_grad():
        model[4].weight.mul_(50)
    assert "NR301" in _codes(model, steps=2)


def test_cannot_overfit_with_labels_detached() -> None:
    class Stuck(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(10, 3)

        def forward(self, x):
            return self.fc(x).detach().requires_grad_() * 0 + self.fc.bias

    assert "NR302" in _codes(Stuck(), steps=20)


def test_unused_parameter_is_named() -> None:
    class Unused(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = mlp()
            self.spare = nn.Linear(10, 10)

        def forward(self, x):
            return self.body(x)

    rep = lt.check_health(Unused(), nn.CrossEntropyLoss(), classification_batch(), steps=2)
    names = [f.extra["parameter"] for f in rep.findings if f.code == "NR303"]
    assert names == ["spare.weight", "spare.bias"]


def test_dead_relus() -> None:
    model = mlp()
    with torch.no_grad():
        model[0].bias.fill_(-100.0)
    rep = lt.check_health(model, nn.CrossEntropyLoss(), classification_batch(), steps=2)
    dead = [f for f in rep.findings if f.code == "NR304"]
    assert dead and dead[0].module == "1" and rep.data["dead_relu"]["1"] == 1.0


def test_vanishing_gradients_in_deep_sigmoid_net() -> None:
    torch.manual_seed(0)
    layers = [m for _ in range(12) for m in (nn.Linear(10, 10), nn.Sigmoid())]
    assert "NR305" in _codes(nn.Sequential(*layers, nn.Linear(10, 3)), steps=2)


def test_activation_scale_at_init() -> None:
    model = mlp()
    with torch.no_grad():
        model[0].weight.mul_(100)
    assert "NR306" in _codes(model, steps=2)


def test_update_weight_ratio_with_huge_learning_rate() -> None:
    codes = _codes(mlp(), steps=2, optimizer=lambda p: torch.optim.SGD(p, lr=100.0))
    assert "NR307" in codes


@pytest.mark.parametrize("labels", [torch.zeros(16, dtype=torch.long),
                                    torch.arange(16) // 6])
def test_single_label_or_sorted_batch(labels) -> None:
    x, _ = classification_batch()
    assert "NR308" in _codes(mlp(), (x, labels), steps=2)


def test_unnormalized_constant_and_repeated_inputs() -> None:
    x, y = classification_batch()
    assert "NR309" in _codes(mlp(), (x * 100 + 128, y), steps=2)
    assert "NR309" in _codes(mlp(), (torch.ones_like(x), y), steps=2)
    gen = torch.Generator().manual_seed(0)
    fixed = torch.randn(16, 10, generator=gen)
    assert "NR309" in _codes(mlp(), lambda: (fixed, y), steps=2)


def test_output_that_ignores_the_input() -> None:
    class Constant(nn.Module):
        def __init__(self):
            super().__init__()
            self.logits = nn.Parameter(torch.zeros(3))

        def forward(self, x):
            return self.logits.expand(x.shape[0], 3)

    assert "NR310" in _codes(Constant(), steps=2)


class BadSquare(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x  # should be 2 * x


def test_custom_function_fails_gradcheck() -> None:
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(10, 3)

        def forward(self, x):
            return BadSquare.apply(self.fc(x))

    rep = lt.check_health(Net(), nn.CrossEntropyLoss(), classification_batch(), steps=2)
    assert [f.extra["function"] for f in rep.findings if f.code == "NR311"] == ["BadSquare"]


def test_report_data_has_chance_level_and_ratio_history() -> None:
    """The numbers the HTML report plots: chance level and update ratios over steps."""
    import math

    import lintnn.torch as lt

    x, y = classification_batch()
    model = mlp()
    report = lt.check_health(model, torch.nn.CrossEntropyLoss(), (x, y), steps=6)
    classes = int(y.max()) + 1
    assert report.data["chance_loss"] == pytest.approx(math.log(model(x).shape[-1]))
    assert classes <= model(x).shape[-1]
    history = report.data["update_weight_ratio"]
    assert history and all(isinstance(v, list) for v in history.values())
    steps = len(report.data["loss_curve"])
    assert all(1 <= len(v) <= min(steps, 20) for v in history.values())
    assert all(r > 0 for v in history.values() for r in v)


def test_report_data_has_activation_mean_per_layer() -> None:
    import lintnn.torch as lt

    x, y = classification_batch()
    report = lt.check_health(mlp(), torch.nn.CrossEntropyLoss(), (x, y), steps=3)
    assert set(report.data["activation_mean"]) == set(report.data["activation_std"])
    assert all(isinstance(v, float) for v in report.data["activation_mean"].values())
