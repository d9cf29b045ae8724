"""The monitor's statistics, reduced on the device: fused norms, never one sync per tensor.

Each function returns device tensors; the monitor stacks what one sampled step measured
and reads it to the host in one transfer.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def norms(tensors: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """One float32 L2 norm per tensor (same order), one fused kernel per device and dtype.

    float32 output: a half-precision gradient's norm overflows at 65504 in its own dtype.
    """
    out: list[torch.Tensor | None] = [None] * len(tensors)
    groups: dict[tuple[torch.device, torch.dtype], list[int]] = {}
    for i, t in enumerate(tensors):
        if t.is_sparse:  # nn.Embedding(sparse=True): the norm of its stored values
            out[i] = t.coalesce().values().float().norm()
            continue
        groups.setdefault((t.device, t.dtype), []).append(i)
    for index in groups.values():
        for i, n in zip(index, torch._foreach_norm([tensors[i] for i in index], 2,
                                                    dtype=torch.float32), strict=True):
            out[i] = n
    return out  # type: ignore[return-value]


def total(values: Sequence[torch.Tensor], device: torch.device) -> torch.Tensor:
    """The sum of scalar tensors on one device (NaN and Inf propagate)."""
    return torch.stack([v.to(device, non_blocking=True) for v in values]).sum()


def read(values: Sequence[torch.Tensor], device: torch.device) -> list[float]:
    """Scalar tensors to host floats in one transfer."""
    if not values:
        return []
    return torch.stack([v.to(device, torch.float32) for v in values]).tolist()


def snapshot(params: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """Copies of the parameters' values before an optimizer step."""
    with torch.no_grad():
        return [p.detach().clone() for p in params]


def weight_and_update_norms(params: Sequence[torch.Tensor], before: list[torch.Tensor]
                            ) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """``(|before|, |p - before|)`` per parameter. ``before`` is overwritten with the
    difference: no second copy of the parameters is allocated."""
    with torch.no_grad():
        weights = norms(before)
        torch._foreach_sub_(before, [p.detach() for p in params])
        return weights, norms(before)


def dead_fraction(output: torch.Tensor) -> torch.Tensor | None:
    """Fraction of units (features x positions) that are zero for every sample of the batch."""
    if output.dim() < 2 or output.numel() == 0:
        return None
    alive = (output.detach() > 0).flatten(1).any(0)
    return 1.0 - alive.float().mean()
