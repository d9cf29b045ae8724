"""A model whose output is already probabilities, trained with a loss that applies
log_softmax (or a sigmoid) itself: the runtime sees the simplex and says so (NR302)."""

from __future__ import annotations

import math
from typing import Any

import torch

from lintnn.diagnostics import Diagnostic
from lintnn.runtime.torch.diag import finding
from lintnn.runtime.torch.inputs import first_tensor, is_float


def _simplex_dim(out: torch.Tensor) -> int | None:
    """The dim along which ``out`` is a probability distribution (>= 0, sums to 1)."""
    if not out.is_floating_point() or out.dim() < 2 or bool((out < -1e-6).any()):
        return None
    for dim in dict.fromkeys((1, out.dim() - 1)):
        if out.shape[dim] > 1 and torch.allclose(out.sum(dim), torch.ones(()), atol=1e-4):
            return dim
    return None


@torch.no_grad()
def probabilities_into_logit_loss(output: Any, target: Any, loss0: float
                                  ) -> Diagnostic | None:
    """NR302 with its cause: the output is already probabilities and the loss applies
    log_softmax (or sigmoid) to them again, so its floor is far above 0 (37 reasons #19)."""
    out = first_tensor(output)
    if out is None or not isinstance(target, torch.Tensor) or not is_float(out):
        return None
    out = out.detach().float()
    dim = _simplex_dim(out)

    def same(value: torch.Tensor) -> bool:
        return math.isclose(float(value), loss0, rel_tol=1e-4, abs_tol=1e-6)

    try:
        if dim == 1 and same(torch.nn.functional.cross_entropy(out, target)):
            classes = out.shape[1]
            floor = math.log(1 + (classes - 1) / math.e)
            what = ("a probability simplex (every row is >= 0 and sums to 1, as after a "
                    "softmax), and the loss applies log_softmax to it again")
        elif (bool(((out >= 0) & (out <= 1)).all()) and out.shape == target.shape
              and same(torch.nn.functional.binary_cross_entropy_with_logits(
                  out, target.float()))):
            floor = -math.log(torch.sigmoid(torch.tensor(1.0)).item())
            what = ("probabilities (every value in [0, 1], as after a sigmoid), and the loss "
                    "applies a sigmoid to them again")
        else:
            return None
    except (RuntimeError, ValueError, TypeError):  # shapes or dtypes the loss would reject
        return None
    return finding("NR302", f"cannot overfit one batch: the model output is {what}; the "
                   f"loss can fall no lower than about {floor:.3g} (it starts at {loss0:.3g}). "
                   f"Return logits from the model and leave the activation to the loss "
                   f"(37 reasons #19; the static rule NN101)", cause="probabilities",
                   floor=floor)
