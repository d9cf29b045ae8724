"""NR308: labels that do not follow the inputs (shuffled apart from them, 37 reasons #4).

A small batch is memorised whatever its labels, but labels that depend on the inputs are
fitted faster than the same labels shuffled: the model is trained again, from the same
start, on shuffled copies, and the areas under the loss curves compared.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from lintnn.diagnostics import Diagnostic
from lintnn.runtime.report import Report
from lintnn.runtime.torch.diag import finding
from lintnn.runtime.torch.inputs import Inputs
from lintnn.runtime.torch.training import copy_with_optimizer, fit

LABEL_ROWS = 32  # rows a batch needs before its labels are judged
LABEL_STEPS = 100  # steps of the true and the shuffled-label runs compared
LABEL_CONTROLS = 2  # shuffled-label runs averaged
LABEL_RATIO = 0.95  # true-label loss area / shuffled-label loss area at or above this: NR308


def label_control(model: nn.Module, optimizer: Any, inp: Inputs, target: Any,
                  loss_fn: Callable, report: Report) -> list[Diagnostic]:
    """NR308 when the true labels' loss area over the first steps is at least
    ``LABEL_RATIO`` times that of shuffled copies; batches under ``LABEL_ROWS`` rows are
    not judged. The overfit run's curve is in ``report.data["loss_curve"]``."""
    curve = report.data.get("loss_curve", [])
    rows = target.shape[0] if isinstance(target, torch.Tensor) and target.dim() else 0
    steps = min(len(curve), LABEL_STEPS)
    if (rows < LABEL_ROWS or steps < 10 or any(not math.isfinite(v) or v < 0 for v in curve)
            or any(t.dim() == 0 or t.shape[0] != rows for t in inp.tensors().values())):
        return []
    gen = torch.Generator().manual_seed(0)
    areas = []
    for _ in range(LABEL_CONTROLS):
        perm = torch.randperm(rows, generator=gen).to(target.device)
        torch.manual_seed(0)
        work, opt = copy_with_optimizer(model, optimizer)
        work.train()
        control = fit(work, opt, inp, target[perm], loss_fn, steps)
        if not all(math.isfinite(v) for v in control):
            return []
        areas.append(sum(control))
    ratio = sum(curve[:steps]) / (sum(areas) / len(areas))
    report.data["label_control"] = {"rows": rows, "steps": steps, "ratio": ratio}
    if ratio < LABEL_RATIO:
        return []
    return [finding("NR308", f"the labels do not seem to follow the inputs: the model fits "
                    f"them no faster than the same labels shuffled (loss area ratio "
                    f"{ratio:.2f} over {steps} steps, >= {LABEL_RATIO}); check that inputs "
                    f"and labels are shuffled or indexed together (37 reasons #4)",
                    ratio=ratio, rows=rows)]
