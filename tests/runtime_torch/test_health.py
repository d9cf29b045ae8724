"""check_health: a healthy MLP passes; one model per code triggers it."""

import copy
import math

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


def test_frozen_weight_is_named() -> None:
    """The CNN guide: check frozen layers. One weight frozen while its bias trains."""
    model = mlp()
    model[0].weight.requires_grad_(False)
    rep = lt.check_health(model, nn.CrossEntropyLoss(), classification_batch(), num_classes=3)
    (frozen,) = [f for f in rep.findings if f.code == "NR303"]
    assert frozen.extra["parameter"] == "0.weight" and frozen.severity.value == "warning"
    assert "requires_grad=False" in frozen.message and not rep.ok
    assert model[0].weight.requires_grad is False  # left as found


def test_module_frozen_as_a_whole_is_named_once_as_info() -> None:
    model = mlp()
    model[0].requires_grad_(False)  # a frozen first layer, as when fine-tuning
    rep = lt.check_health(model, nn.CrossEntropyLoss(), classification_batch(), num_classes=3)
    (frozen,) = [f for f in rep.findings if f.code == "NR303"]
    assert frozen.module == "0" and frozen.severity.value == "info"
    assert frozen.extra["parameters"] == ["0.weight", "0.bias"]
    assert rep.ok, str(rep)


def _adam_with_state(params, model, x, y):
    opt = torch.optim.Adam(params, lr=3e-3)
    nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
    opt.zero_grad()
    return opt


def test_optimizer_over_the_head_only_names_the_left_out_parameters() -> None:
    x, y = classification_batch()
    model = mlp()
    opt = _adam_with_state(model[4].parameters(), model, x, y)
    state = copy.deepcopy(opt.state_dict())
    groups = [list(g["params"]) for g in opt.param_groups]
    rep = lt.check_health(model, nn.CrossEntropyLoss(), (x, y), optimizer=opt, steps=20)
    left_out = {f.extra["parameter"] for f in rep.findings
                if f.code == "NR303" and f.extra["reason"] == "not-in-optimizer"}
    assert left_out == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert "no param group of the optimizer" in str(rep)
    after = opt.state_dict()  # the user's optimizer: state and groups exactly as found
    assert after["param_groups"] == state["param_groups"]
    for key, values in state["state"].items():
        assert all(torch.equal(values[k], after["state"][key][k]) for k in values)
    assert all(a is b for g, old in zip(opt.param_groups, groups, strict=True)
               for a, b in zip(g["params"], old, strict=True))


def test_optimizer_over_every_parameter_is_clean() -> None:
    x, y = classification_batch()
    model = mlp()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    rep = lt.check_health(model, nn.CrossEntropyLoss(), (x, y), optimizer=opt, num_classes=3)
    assert rep.findings == [], str(rep)


def test_param_group_with_zero_learning_rate() -> None:
    model = mlp()
    opt = torch.optim.SGD([{"params": model[0].parameters(), "lr": 0.0},
                           {"params": [*model[2].parameters(), *model[4].parameters()]}],
                          lr=0.1)
    rep = lt.check_health(model, nn.CrossEntropyLoss(), classification_batch(), optimizer=opt,
                          steps=2)
    reasons = {f.extra["parameter"]: f.extra["reason"] for f in rep.findings
               if f.code == "NR303"}
    assert reasons == {"0.weight": "lr-zero", "0.bias": "lr-zero"}


def test_softmax_head_into_cross_entropy_is_named() -> None:
    model = nn.Sequential(mlp(), nn.Softmax(dim=-1))
    rep = lt.check_health(model, nn.CrossEntropyLoss(), classification_batch(), num_classes=3)
    (nr302,) = [f for f in rep.findings if f.code == "NR302"]
    assert nr302.extra["cause"] == "probabilities"
    assert "probability simplex" in nr302.message and "log_softmax" in nr302.message
    assert nr302.extra["floor"] == pytest.approx(math.log(1 + 2 / math.e))


def test_sigmoid_head_into_bce_with_logits_is_named() -> None:
    x, y = classification_batch()
    model = nn.Sequential(mlp(classes=1), nn.Sigmoid())
    target = (y == 1).float()[:, None]
    rep = lt.check_health(model, nn.BCEWithLogitsLoss(), (x, target))
    assert [f.extra.get("cause") for f in rep.findings if f.code == "NR302"] == ["probabilities"]


def test_logits_into_cross_entropy_are_not_called_probabilities() -> None:
    rep = lt.check_health(mlp(), nn.CrossEntropyLoss(), classification_batch(), steps=3)
    assert all(f.extra.get("cause") is None for f in rep.findings)


@pytest.mark.parametrize("steps", [10, 30, 60])
def test_overfit_bar_scales_with_the_steps(steps) -> None:
    """`lintnn probe --steps 60` on a healthy model: no NR302."""
    rep = lt.check_health(mlp(), nn.CrossEntropyLoss(), classification_batch(), steps=steps)
    assert "NR302" not in rep.codes(), str(rep)


def test_model_that_cannot_learn_still_fails_in_60_steps() -> None:
    class Prior(nn.Module):  # learns the label prior, never looks at the input
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(10, 3)

        def forward(self, x):
            return self.fc(x * 0)

    assert "NR302" in _codes(Prior(), steps=60)


def test_overfit_bar() -> None:
    from lintnn.runtime.torch.health import overfit_bar

    assert overfit_bar(300) == pytest.approx(0.1) and overfit_bar(3000) == pytest.approx(0.1)
    assert overfit_bar(60) == pytest.approx(0.82) and overfit_bar(0) == 1.0


def test_dead_relu_init_is_the_root_cause_of_what_follows() -> None:
    model = mlp()
    with torch.no_grad():
        model[0].bias.fill_(-100.0)
    rep = lt.check_health(model, nn.CrossEntropyLoss(), classification_batch(), num_classes=3)
    root = rep.findings[0]
    assert root.code == "NR304" and root.module == "1" and root.severity.value == "error"
    assert "'0'" in root.message  # the layer feeding the dead ReLU
    folded = {(f.code, f.module) for f in root.extra["consequences"]}
    assert {("NR310", ""), ("NR306", "2"), ("NR303", "0"), ("NR302", None)} <= folded
    top = rep.codes()
    assert "NR310" not in top and "NR306" not in top and "NR303" not in top, str(rep)
    assert "frozen by mistake" not in "".join(f.message for f in rep.findings)
    assert "folded: error:" in str(rep)


def test_partly_dead_relu_folds_nothing() -> None:
    model = mlp()
    with torch.no_grad():
        model[0].bias[:20].fill_(-100.0)
    rep = lt.check_health(model, nn.CrossEntropyLoss(), classification_batch(), steps=5)
    assert all("consequences" not in f.extra for f in rep.findings)


def _teacher_batch(rows: int, permuted: bool):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(rows, 10, generator=gen)
    y = (x @ torch.randn(10, 3, generator=gen)).argmax(1)  # labels follow the inputs
    return x, y[torch.randperm(rows, generator=gen)] if permuted else y


def test_labels_permuted_apart_from_the_inputs_are_nr308() -> None:
    """A batch of 64 is memorised whatever its labels: only the control run tells."""
    rep = lt.check_health(mlp(), nn.CrossEntropyLoss(), _teacher_batch(64, permuted=True))
    (nr308,) = [f for f in rep.findings if f.code == "NR308"]
    assert "shuffled" in nr308.message and nr308.extra["ratio"] >= 0.95
    assert rep.data["label_control"]["rows"] == 64


def test_labels_that_follow_the_inputs_pass_the_control() -> None:
    rep = lt.check_health(mlp(), nn.CrossEntropyLoss(), _teacher_batch(64, permuted=False),
                          num_classes=3)
    assert rep.findings == [], str(rep)
    assert rep.data["label_control"]["ratio"] < 0.9


def test_small_batches_are_not_judged_by_the_label_control() -> None:
    rep = lt.check_health(mlp(), nn.CrossEntropyLoss(), _teacher_batch(16, permuted=True))
    assert "label_control" not in rep.data and "NR308" not in rep.codes()
