"""The monitor on CUDA; skipped cleanly without a GPU (see conftest.py)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import lintnn
import lintnn.torch as lt

from .training import CLASSES, make_model

pytestmark = pytest.mark.gpu


def test_healthy_cuda_run_is_silent_and_reads_rarely() -> None:
    model = make_model().cuda()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    w = torch.randn(10, CLASSES, device="cuda")
    with lt.monitor(model, opt, num_classes=CLASSES) as mon:
        for _ in range(200):
            x = torch.randn(64, 10, device="cuda")
            loss = nn.functional.cross_entropy(model(x), (x @ w).argmax(1))
            opt.zero_grad()
            loss.backward()
            opt.step()
    assert mon.report.findings == [] and mon.steps == 200


def test_nan_on_cuda_names_its_origin() -> None:
    model = make_model().cuda()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(lintnn.NonFiniteError) as err, lt.monitor(model, opt):
        for step in range(10):
            x = torch.randn(16, 10, device="cuda")
            if step == 4:
                x[0, 0] = float("nan")
            loss = nn.functional.cross_entropy(model(x), torch.zeros(16, dtype=torch.long,
                                                                        device="cuda"))
            opt.zero_grad()
            loss.backward()
            opt.step()
    assert err.value.origin.phase == "input" and err.value.diagnostic.extra["step"] == 4
