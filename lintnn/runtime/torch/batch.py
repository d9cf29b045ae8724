"""NR103: output row i must not depend on input row j != i (37 reasons #25).

Float inputs: the gradient of output row i with respect to the other rows must be zero.
Integer inputs (token ids): changing the other rows must leave output row i unchanged.
Modules that mix the batch by design (BatchNorm in train mode) run in eval mode here.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from lintnn.runtime.report import Report
from lintnn.runtime.torch.diag import finding
from lintnn.runtime.torch.inputs import Inputs, first_tensor, is_float
from lintnn.runtime.torch.modules import eager
from lintnn.runtime.torch.state import preserved

_BATCH_MIXERS = (nn.modules.batchnorm._BatchNorm,)


def _batch_size(inp: Inputs) -> int | None:
    sizes = {t.shape[0] for t in inp.tensors().values() if t.dim() > 0}
    return sizes.pop() if len(sizes) == 1 else None


def _perturb(t: torch.Tensor, keep: int) -> torch.Tensor:
    """Rows other than ``keep`` get different values from the same vocabulary."""
    values = t.unique()
    if values.numel() < 2:
        return t
    idx = torch.searchsorted(values, t)
    shifted = values[(idx + 1) % values.numel()]
    out = shifted.clone()
    out[keep] = t[keep]
    return out


def _run(model: nn.Module, inp: Inputs) -> torch.Tensor | None:
    torch.manual_seed(0)
    return first_tensor(inp.call(model))


def check_batch_independence(model: nn.Module, inputs: Any) -> Report:
    """Report NR103 when some output row depends on another sample's input."""
    model = eager(model)
    report = Report("check_batch_independence")
    inp = Inputs.of(model, inputs)
    size = _batch_size(inp)
    report.data["batch"] = {"size": size, "leaks": []}
    if size is None or size < 2:
        return report
    with preserved(model, copy_params=False):
        for m in model.modules():
            if isinstance(m, _BATCH_MIXERS):
                m.eval()
        for row in sorted({0, size - 1}):
            leaks = _grad_leaks(model, inp, row, size) + _perturb_leaks(model, inp, row, size)
            report.data["batch"]["leaks"].extend(leaks)
            if leaks:
                name, other, how = leaks[0]
                report.findings.append(finding(
                    "NR103",
                    f"output row {row} depends on row {other} of input {name!r} ({how}): "
                    f"samples mix across the batch; check batch_first and view/transpose "
                    f"of the batch dim (37 reasons #25)",
                    module="", input=name, row=row, other=other,
                ))
                break
    return report


def _grad_leaks(model: nn.Module, inp: Inputs, row: int, size: int) -> list[tuple]:
    floats = {k: v for k, v in inp.tensors().items() if is_float(v) and v.dim() > 0}
    if not floats:
        return []
    leaves = {k: v.detach().clone().requires_grad_(True) for k, v in floats.items()}
    named = {**inp.named(), **leaves}
    with torch.enable_grad():
        out = _run(model, inp.replace(named))
        if out is None or out.dim() == 0 or out.shape[0] != size or not out.requires_grad:
            return []
        grads = torch.autograd.grad(out[row].sum(), list(leaves.values()), allow_unused=True)
    leaks = []
    for (name, _), grad in zip(leaves.items(), grads, strict=True):
        if grad is None:
            continue
        per_row = grad.detach().flatten(1).abs().sum(1)
        per_row[row] = 0
        if bool((per_row > 0).any()):
            leaks.append((name, int(per_row.argmax()), "non-zero gradient"))
    return leaks


@torch.no_grad()
def _perturb_leaks(model: nn.Module, inp: Inputs, row: int, size: int) -> list[tuple]:
    ints = {k: v for k, v in inp.tensors().items()
            if not is_float(v) and v.dtype != torch.bool and v.dim() > 0 and v.shape[0] == size}
    if not ints:
        return []
    base = _run(model, inp)
    if base is None or base.dim() == 0 or base.shape[0] != size:
        return []
    leaks = []
    for name, t in ints.items():
        changed = _run(model, inp.replace({**inp.named(), name: _perturb(t, row)}))
        if changed is not None and not torch.allclose(base[row], changed[row], atol=1e-6):
            other = (row + 1) % size
            leaks.append((name, other, "changing the other rows changes it"))
    return leaks
