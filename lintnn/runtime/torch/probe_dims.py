"""Choose the symbolic dims of a probe and build inputs of prime sizes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from lintnn.runtime.dims import assign_primes
from lintnn.runtime.torch.inputs import is_float

_POOL = ("T", "S", "U", "V", "W", "X", "Y", "Z")
DimSpec = Mapping[str, Sequence[str | None]]


def default_spec(tensors: Mapping[str, torch.Tensor], batch_only: bool = False) -> dict:
    """Name every dim of integer inputs and all but the last of float inputs.

    Dim 0 is always ``B``; other dims share a name when position and size agree
    (``input_ids`` and ``attention_mask`` both get ``(B, T)``). Size-1 dims stay static.
    """
    names: dict[tuple[int, int], str] = {}
    spec: dict[str, tuple[str | None, ...]] = {}
    for key, t in tensors.items():
        if t.dim() == 0:
            continue
        count = t.dim() if (not is_float(t) or t.dim() == 1) else t.dim() - 1
        row: list[str | None] = []
        for i, size in enumerate(t.shape):
            if i == 0:
                row.append("B")
            elif i < count and size > 1 and not batch_only:
                if (i, size) not in names:
                    names[(i, size)] = _POOL[len(names) % len(_POOL)] + (
                        str(len(names) // len(_POOL)) if len(names) >= len(_POOL) else ""
                    )
                row.append(names[(i, size)])
            else:
                row.append(None)
        spec[key] = tuple(row)
    return spec


def static_sizes(model: nn.Module, tensors: Mapping[str, torch.Tensor], spec: DimSpec) -> set:
    """Sizes the model fixes (parameter and buffer dims, unnamed input dims)."""
    sizes = {s for t in [*model.parameters(), *model.buffers()] for s in t.shape}
    for key, t in tensors.items():
        row = spec.get(key, ())
        sizes |= {s for i, s in enumerate(t.shape) if i >= len(row) or row[i] is None}
    return sizes


def primes_for(model: nn.Module, tensors: Mapping[str, torch.Tensor], spec: DimSpec) -> dict:
    order = ["B", *sorted({n for row in spec.values() for n in row if n} - {"B"})]
    return assign_primes(order, avoid=static_sizes(model, tensors, spec))


def probe_shape(t: torch.Tensor, row: Sequence[str | None], primes: Mapping[str, int]) -> list:
    return [primes[n] if i < len(row) and n else s for i, (s, n) in
            enumerate(zip(t.shape, list(row) + [None] * t.dim(), strict=False))]


def real_like(t: torch.Tensor, shape: Sequence[int], device: Any, gen: torch.Generator) -> Any:
    """A small real tensor of ``shape`` whose values look like ``t``'s."""
    if t.dtype == torch.bool:
        return torch.ones(shape, dtype=t.dtype, device=device)
    if is_float(t):
        flat = t.detach().float().flatten()
        mean = flat.mean() if flat.numel() else torch.tensor(0.0)
        std = flat.std() if flat.numel() > 1 else torch.tensor(1.0)
        out = torch.randn(shape, generator=gen) * std.cpu() + mean.cpu()
        return out.to(device=device, dtype=t.dtype)
    values = t.detach().flatten().unique().cpu()
    if values.numel() == 0:
        return torch.zeros(shape, dtype=t.dtype, device=device)
    idx = torch.randint(values.numel(), tuple(shape), generator=gen)
    return values[idx].to(device)
