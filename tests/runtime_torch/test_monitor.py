"""``lintnn.torch.monitor`` on real training loops: one injected symptom per test, found
within the steps its definition needs and naming the right layer; healthy runs stay silent."""

from __future__ import annotations

import logging

import pytest
import torch
from torch import nn

import lintnn
import lintnn.torch as lt
from lintnn.runtime.torch import losstap

from .training import CLASSES, Task, make_model, train

PERM = torch.tensor([1, 2, 3, 0])


pytestmark = pytest.mark.usefixtures("quiet_single_thread")


def run(model: nn.Module | None = None, opt: torch.optim.Optimizer | None = None,
        steps: int = 200, lr: float = 1e-2, optimizer: type = torch.optim.Adam,
        scheduler: object = None, monitor_kwargs: dict | None = None,
        **loop: object) -> lt.monitor:
    model = model or make_model()
    opt = opt or optimizer(model.parameters(), lr=lr)
    sched = scheduler(opt) if callable(scheduler) else None
    with lt.monitor(model, opt, every=10, num_classes=CLASSES, **(monitor_kwargs or {})) as mon:
        train(model, opt, steps, scheduler=sched, **loop)
    return mon


def fired(mon: lt.monitor) -> list[tuple[str, int | None, str | None]]:
    return [(f.code, f.extra.get("step"), f.module) for f in mon.report.findings]


def first(mon: lt.monitor, code: str) -> lintnn.Diagnostic:
    return next(f for f in mon.report.findings if f.code == code)


@pytest.mark.parametrize(("optimizer", "lr", "batch"), [
    (torch.optim.Adam, 1e-2, 8), (torch.optim.Adam, 1e-3, 32), (torch.optim.SGD, 0.1, 32),
    (torch.optim.SGD, 0.1, 128),
])
def test_healthy_runs_give_no_finding(optimizer: type, lr: float, batch: int) -> None:
    mon = run(optimizer=optimizer, lr=lr, task=Task(batch=batch))
    assert fired(mon) == []
    assert len(mon.report.data["timeline"]["loss"]) == 200
    assert mon.report.data["timeline"]["sample_steps"] == list(range(0, 200, 10))


def test_healthy_run_with_schedule_and_validation_is_silent() -> None:
    model = make_model()
    vx, vy = Task(seed=7).draw(256)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 200)
    with lt.monitor(model, opt, every=10, num_classes=CLASSES, val_every=20,
                    val_loss_fn=lambda: nn.functional.cross_entropy(model(vx), vy)) as mon:
        train(model, opt, 200, scheduler=sched)
    assert fired(mon) == []
    assert len(mon.report.data["timeline"]["val"]) == 10


def test_unstable_from_the_start() -> None:
    mon = run(lr=3.0, optimizer=torch.optim.SGD, steps=60)
    f = first(mon, "NR402")
    assert f.extra["step"] == 49  # judged once the start window (50 steps) is complete
    assert "from the start" in f.message
    assert ("NR408", 20, "4") in fired(mon)  # the learning rate is too high for the head


def test_sudden_divergence_after_progress() -> None:
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    mon = run(model, opt, at={100: lambda: opt.param_groups[0].update(lr=5.0)})
    f = first(mon, "NR403")
    assert 100 <= f.extra["step"] <= 100 + 2 * 10 + 5  # a window to rise, a window to hold
    assert not [c for c, *_ in fired(mon) if c == "NR402"]


def test_sudden_oscillation() -> None:
    mon = run(lr=0.05, labels=lambda s, y: PERM[y] if s >= 100 and s % 2 else y)
    f = first(mon, "NR404")
    assert 100 <= f.extra["step"] <= 125
    assert f.extra["swing"] > 4 * f.extra["calm"]


def test_loss_stuck_at_chance() -> None:
    mon = run(labels=lambda s, y: torch.randint(0, CLASSES, y.shape))
    f = first(mon, "NR405")
    assert f.extra["step"] <= 110
    assert f.extra["chance"] == pytest.approx(torch.log(torch.tensor(4.0)).item())


def test_exploding_gradients_name_the_layers_after_the_blowup() -> None:
    class Amplified(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = make_model()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = self.body[1](self.body[0](x)) * 1e4
            return self.body[4](self.body[3](self.body[2](h)))

    mon = run(Amplified(), lr=1e-4, optimizer=torch.optim.SGD, steps=30)
    layers = {m for c, s, m in fired(mon) if c == "NR406"}
    assert layers == {"body.2", "body.4"}
    assert all(s == 20 for c, s, m in fired(mon) if c == "NR406")  # 3 samples: 0, 10, 20


def test_vanishing_gradients_name_the_first_layers() -> None:
    torch.manual_seed(0)
    deep = nn.Sequential(*[m for _ in range(12) for m in (nn.Linear(10, 10), nn.Sigmoid())],
                         nn.Linear(10, CLASSES))
    mon = run(deep, lr=1e-2, optimizer=torch.optim.SGD, steps=30)
    layers = [m for c, _, m in fired(mon) if c == "NR407"]
    assert layers[:2] == ["0", "2"] and "22" not in layers and "24" not in layers


def test_update_ratio_too_low() -> None:
    mon = run(lr=1e-7, optimizer=torch.optim.SGD, steps=40)
    # judged once the loss is known to be stalled (a smoothing window in): samples 10-30
    assert {(m, s) for c, s, m in fired(mon) if c == "NR408"} == {("0", 30), ("2", 30),
                                                                  ("4", 30)}
    assert "too low" in first(mon, "NR408").message


def test_relus_dying_during_training() -> None:
    model = make_model()
    mon = run(model, at={60: lambda: model[2].bias.data.sub_(10)}, steps=100)
    f = first(mon, "NR409")
    assert f.module == "3" and 60 <= f.extra["step"] <= 90
    assert f.extra["first"] < 0.5 < f.extra["dead"]


def test_frozen_weight_is_named_before_any_step() -> None:
    model = make_model()
    model[0].weight.requires_grad_(False)  # by mistake: its bias still trains
    mon = run(model, steps=1)
    f = first(mon, "NR410")
    assert f.module == "0" and f.extra["step"] is None and f.extra["parameters"] == ["0.weight"]


def test_whole_layer_frozen_on_purpose_is_only_info() -> None:
    model = make_model()
    model[0].requires_grad_(False)
    mon = run(model, steps=20)
    assert mon.report.ok
    assert [(f.code, f.severity.value, f.module) for f in mon.report.findings] == [
        ("NR410", "info", "0")]


def test_parameters_missing_from_the_optimizer() -> None:
    model = make_model()
    mon = run(model, torch.optim.Adam(model[2:].parameters(), lr=1e-2), steps=1)
    f = first(mon, "NR410")
    assert f.extra["parameters"] == ["0.weight", "0.bias"] and f.module == "0"


def test_param_group_with_learning_rate_zero() -> None:
    model = make_model()
    opt = torch.optim.Adam([{"params": model[:4].parameters()},
                            {"params": model[4].parameters(), "lr": 0.0}], lr=1e-2)
    mon = run(model, opt, steps=30)
    f = first(mon, "NR410")
    assert f.module == "4" and f.extra["group"] == 1 and f.extra["step"] == 20


def test_parameter_without_gradient() -> None:
    class Unused(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = make_model()
            self.unused = nn.Linear(4, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.body(x)

    mon = run(Unused(), steps=50)
    assert fired(mon) == [("NR410", 40, "unused")]  # the 5th sample


def test_learning_rate_reaching_zero() -> None:
    mon = run(scheduler=lambda o: torch.optim.lr_scheduler.StepLR(o, 10, 0.1), steps=100)
    f = first(mon, "NR411")
    assert f.extra["since"] == 30 and f.extra["step"] <= 60


def test_learning_rate_rising_where_it_should_fall() -> None:
    mon = run(scheduler=lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 40))
    f = first(mon, "NR412")
    assert 40 < f.extra["step"] <= 80


def test_cyclic_schedule_can_be_allowed() -> None:
    mon = run(scheduler=lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 40),
              monitor_kwargs={"thresholds": {"lr_fall": None}})
    assert "NR412" not in mon.report.codes()


def test_train_val_gap() -> None:
    x, y = Task(seed=5).draw(16)
    y = torch.randint(0, CLASSES, (16,), generator=torch.Generator().manual_seed(1))
    vx, vy = Task(seed=6).draw(256)
    model = make_model(hidden=128)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    with lt.monitor(model, opt, val_every=20,
                    val_loss_fn=lambda: nn.functional.cross_entropy(model(vx), vy)) as mon:
        for _ in range(120):
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    f = first(mon, "NR413")
    assert f.extra["step"] <= 100 and f.extra["val"] > f.extra["val_best"]


def test_thresholds_are_configurable_and_checked() -> None:
    mon = run(labels=lambda s, y: torch.randint(0, CLASSES, y.shape), steps=60,
              monitor_kwargs={"thresholds": lt.Thresholds(chance_steps=40)})
    assert first(mon, "NR405").extra["step"] <= 50
    with pytest.raises(TypeError, match="chance_stpes"):
        lt.monitor(make_model(), torch.optim.SGD(make_model().parameters(), lr=0.1),
                   thresholds={"chance_stpes": 3})


def test_findings_are_logged_as_they_fire(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="lintnn.monitor")
    run(lr=1e-7, optimizer=torch.optim.SGD, steps=40)
    assert any("NR408" in r.getMessage() for r in caplog.records)


class LogHead(nn.Module):
    """``log`` of a feature plus 10: NaN when a batch brings a feature below -10."""

    def __init__(self) -> None:
        super().__init__()
        self.body = make_model()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + torch.log(x[:, :1] + 10)


def test_nan_raises_before_the_weights_change_and_names_the_origin() -> None:
    model = LogHead()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    task = Task()
    dirty = task.draw

    def draw(n: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = dirty(n)
        if len(weights) == 30:
            x[0, 0] = -20.0
        return x, y

    weights: list[torch.Tensor] = []
    task.draw = draw  # type: ignore[method-assign]
    with pytest.raises(lintnn.NonFiniteError) as err, \
            lt.monitor(model, opt, every=10) as mon:
        for _ in range(50):
            x, y = task.draw()
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            weights.append(model.body[0].weight.detach().clone())
            opt.step()
    origin = err.value.origin
    assert (origin.phase, origin.module, origin.op) == ("forward", "", "aten.log")
    assert origin.source is not None and origin.source.endswith(".py:" + str(
        LogHead.forward.__code__.co_firstlineno + 1))
    assert err.value.diagnostic.code == "NR401" and err.value.diagnostic.extra["step"] == 30
    assert torch.isfinite(model.body[0].weight).all()
    assert torch.equal(model.body[0].weight, weights[-1])  # the step never ran
    assert mon.report.codes() == ["NR401"]
    assert losstap.active() == 0 and not opt._optimizer_step_pre_hooks


def test_loss_term_outside_the_model_is_named() -> None:
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(lintnn.NonFiniteError) as err, lt.monitor(model, opt):
        train(model, opt, 5, loss_fn=lambda out, y: nn.functional.cross_entropy(out, y)
              + torch.tensor(float("nan")))
    assert "outside the model" in str(err.value)


def test_training_is_bit_for_bit_the_same_with_the_monitor() -> None:
    def final(monitored: bool) -> tuple[list[torch.Tensor], dict, torch.Tensor]:
        torch.manual_seed(3)
        model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Dropout(0.2),
                              nn.Linear(32, CLASSES))
        opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
        vx, vy = Task(seed=8).draw(64)
        if monitored:
            with lt.monitor(model, opt, every=3, num_classes=CLASSES, val_every=7,
                            val_loss_fn=lambda: nn.functional.cross_entropy(model(vx), vy)):
                train(model, opt, 40)
        else:
            train(model, opt, 40)
        return [p.detach().clone() for p in model.parameters()], opt.state_dict(), \
            torch.get_rng_state()

    plain, monitored = final(False), final(True)
    assert all(torch.equal(a, b) for a, b in zip(plain[0], monitored[0], strict=True))
    assert torch.equal(plain[2], monitored[2])
    for a, b in zip(plain[1]["state"].values(), monitored[1]["state"].values(), strict=True):
        assert all(torch.equal(a[k], b[k]) for k in a)


def test_everything_is_removed_when_a_check_raises() -> None:
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    hooks_before = (dict(model._forward_hooks), dict(model._forward_pre_hooks))
    backward, modes = torch.autograd.backward, [m.training for m in model.modules()]

    def broken() -> float:
        raise RuntimeError("validation data missing")

    with pytest.raises(RuntimeError, match="validation data missing"), \
            lt.monitor(model, opt, val_loss_fn=broken, val_every=5):
        train(model, opt, 10)
    assert (dict(model._forward_hooks), dict(model._forward_pre_hooks)) == hooks_before
    assert all(not m._forward_hooks for m in model.modules())
    assert not opt._optimizer_step_pre_hooks and not opt._optimizer_step_post_hooks
    assert torch.autograd.backward is backward and losstap.active() == 0
    assert [m.training for m in model.modules()] == modes


def test_bad_arguments_are_refused_clearly() -> None:
    model = make_model()
    with pytest.raises(ValueError, match="every"):
        lt.monitor(model, torch.optim.SGD(model.parameters(), lr=0.1), every=0)
    with pytest.raises(TypeError, match=r"nn\.Module"):
        lt.monitor("model", torch.optim.SGD(model.parameters(), lr=0.1))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Optimizer"):
        lt.monitor(model, object())


def test_lbfgs_closure_is_checked_after_it_ran() -> None:
    model = make_model()
    opt = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=2)
    x, y = Task().draw(64)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        return loss

    with lt.monitor(model, opt, every=1) as mon:
        for _ in range(5):
            opt.step(closure)
    timeline = mon.report.data["timeline"]
    assert timeline["sample_steps"] == [0, 1, 2, 3, 4]
    assert all(timeline["grad_norm"]["0"])  # the closure's gradients, not an empty step's


def test_sparse_embedding_gradients_are_measured() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Embedding(50, 8, sparse=True), nn.Flatten(), nn.Linear(24, 4))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with lt.monitor(model, opt, every=1) as mon:
        for _ in range(3):
            ids = torch.randint(0, 50, (16, 3))
            loss = nn.functional.cross_entropy(model(ids), ids[:, 0] % 4)
            opt.zero_grad()
            loss.backward()
            opt.step()
    assert all(v > 0 for v in mon.report.data["timeline"]["grad_norm"]["0"])


def test_nan_born_in_backward_names_the_layers_and_says_so() -> None:
    class SqrtHead(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = make_model()
            self.head = nn.Linear(CLASSES, CLASSES)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            masked = self.body(x) * torch.zeros(CLASSES)  # a mask that removed everything
            return self.head(torch.sqrt(masked))  # finite forward; d sqrt at 0 is inf: NaN

    model = SqrtHead()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(lintnn.NonFiniteError) as err, lt.monitor(model, opt):
        train(model, opt, 3)
    origin, finding = err.value.origin, err.value.diagnostic
    assert origin.phase == "backward" and "backward op" in (origin.detail or "")
    assert "body.0" in finding.message and "'head'" not in finding.message.split(";")[0]
