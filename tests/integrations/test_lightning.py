"""``lintnn.lightning.MonitorCallback`` with the real Lightning Trainer on CPU."""

from __future__ import annotations

import pytest
import torch
from torch import nn

pl = pytest.importorskip("lightning.pytorch")

import lintnn  # noqa: E402
from lintnn.lightning import MonitorCallback  # noqa: E402
from lintnn.runtime.torch import losstap  # noqa: E402

from ..runtime_torch.training import CLASSES, Task, make_model  # noqa: E402


class Data(torch.utils.data.Dataset):
    def __init__(self, n: int, seed: int) -> None:
        self.x, self.y = Task(seed=seed).draw(n)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[i], self.y[i]


class Classifier(pl.LightningModule):
    def __init__(self, lr: float = 1e-2, nan_at: int | None = None) -> None:
        super().__init__()
        self.net = make_model()
        self.lr, self.nan_at = lr, nan_at

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch: tuple, index: int) -> torch.Tensor:
        x, y = batch
        if self.global_step == self.nan_at:
            x = x.clone()
            x[0, 0] = float("nan")  # a dirty sample
        return nn.functional.cross_entropy(self(x), y)

    def validation_step(self, batch: tuple, index: int) -> None:
        x, y = batch
        self.log("val_loss", nn.functional.cross_entropy(self(x), y))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.lr)


def fit(module: pl.LightningModule, steps: int, callback: MonitorCallback) -> None:
    trainer = pl.Trainer(max_steps=steps, accelerator="cpu", logger=False,
                         enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, callbacks=[callback],
                         val_check_interval=50, num_sanity_val_steps=0)
    train = torch.utils.data.DataLoader(Data(6400, 0), batch_size=32, shuffle=True)
    val = torch.utils.data.DataLoader(Data(256, 1), batch_size=256)
    trainer.fit(module, train, val)


pytestmark = pytest.mark.usefixtures("quiet_single_thread")


def test_healthy_200_steps_give_no_finding() -> None:
    callback = MonitorCallback(num_classes=CLASSES)
    fit(Classifier(), 200, callback)
    rep = callback.report
    assert rep.findings == []
    assert rep.data["monitor"]["steps"] == 200
    assert len(rep.data["timeline"]["loss"]) == 200  # the closure's loss, every step
    assert [s for s, _ in rep.data["timeline"]["val"]] == [50, 100, 150, 200]
    assert losstap.active() == 0


def test_nan_in_a_batch_is_found_at_its_step() -> None:
    callback = MonitorCallback()
    module = Classifier(nan_at=7)
    with pytest.raises(lintnn.NonFiniteError) as err:
        fit(module, 20, callback)
    assert err.value.origin.phase == "input"
    assert callback.report.codes() == ["NR401"]
    assert callback.report.findings[0].extra["step"] == 7
    assert all(torch.isfinite(p).all() for p in module.parameters())
    assert losstap.active() == 0


def test_frozen_layer_and_dying_learning_rate() -> None:
    class Frozen(Classifier):
        def configure_optimizers(self) -> dict:
            opt = torch.optim.Adam(self.parameters(), lr=self.lr)
            sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.05)  # per step
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    module = Frozen()
    module.net[2].weight.requires_grad_(False)
    callback = MonitorCallback()
    fit(module, 60, callback)
    found = {(f.code, f.module) for f in callback.report.findings}
    assert found == {("NR410", "net.2"), ("NR411", None)}
