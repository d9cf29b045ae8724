"""The monitor under mixed precision and ``torch.compile`` (CPU)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import lintnn
import lintnn.torch as lt

from .test_monitor import LogHead
from .training import CLASSES, Task, make_model, train

pytestmark = pytest.mark.usefixtures("quiet_single_thread")


def test_bf16_autocast_healthy_run_is_silent() -> None:
    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    task = Task()
    with lt.monitor(model, opt, num_classes=CLASSES) as mon:
        for _ in range(150):
            x, y = task.draw()
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    assert mon.report.findings == []


def test_fp16_scaler_skipping_an_overflowing_step_is_not_a_nan_bug() -> None:
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cpu")
    task = Task()
    losses = []
    with lt.monitor(model, opt, num_classes=CLASSES) as mon:
        for step in range(60):
            x, y = task.draw()
            if step == 20:
                x = x * 1e5  # overflows float16: the scaler skips this step
            with torch.autocast("cpu", dtype=torch.float16):
                loss = nn.functional.cross_entropy(model(x), y)
            losses.append(loss.item())
            opt.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
    assert not torch.isfinite(torch.tensor(losses[20]))
    assert mon.report.findings == []
    assert mon.report.data["monitor"]["skipped_steps"] == 1 and mon.steps == 59
    timeline = mon.report.data["timeline"]["loss"]
    assert timeline[0] == pytest.approx(losses[0], rel=1e-3)  # unscaled, not x65536


def test_compiled_model_is_named_as_written() -> None:
    model = make_model()
    model[0].weight.requires_grad_(False)
    compiled = torch.compile(model, backend="aot_eager")
    opt = torch.optim.Adam(compiled.parameters(), lr=1e-2)
    with lt.monitor(compiled, opt, num_classes=CLASSES) as mon:
        train(compiled, opt, 30)
    assert [(f.code, f.module, f.extra["parameters"]) for f in mon.report.findings] == [
        ("NR410", "0", ["0.weight"])]  # not "_orig_mod.0"
    assert set(mon.report.data["timeline"]["grad_norm"]) == {"0", "2", "4"}
    assert mon.report.data["monitor"]["compiled"] is True


def test_nan_in_compiled_model_is_replayed_eagerly() -> None:
    model = LogHead()
    compiled = torch.compile(model, backend="aot_eager")
    opt = torch.optim.Adam(compiled.parameters(), lr=1e-2)
    task = Task()
    with pytest.raises(lintnn.NonFiniteError) as err, lt.monitor(compiled, opt):
        for step in range(10):
            x, y = task.draw()
            if step == 5:
                x[0, 0] = -20.0
            loss = nn.functional.cross_entropy(compiled(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    origin = err.value.origin
    assert (origin.phase, origin.module, origin.op) == ("forward", "", "aten.log")
    assert err.value.diagnostic.extra["step"] == 5


def test_nan_inside_a_compiled_submodule_is_named_without_orig_mod() -> None:
    class Log(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.log(x)

    torch.manual_seed(0)
    compiled = torch.compile(nn.Sequential(nn.Linear(4, 4), Log(), nn.Linear(4, 2)),
                             backend="aot_eager")
    opt = torch.optim.SGD(compiled.parameters(), lr=0.1)
    with pytest.raises(lintnn.NonFiniteError) as err, lt.monitor(compiled, opt):
        loss = compiled(torch.randn(8, 4)).sum()
        loss.backward()
        opt.step()
    assert (err.value.origin.module, err.value.origin.op) == ("1", "aten.log")
