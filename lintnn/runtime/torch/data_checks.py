"""Checks on the batch itself: labels (NR308) and inputs (NR309); no model involved."""

from __future__ import annotations

from collections.abc import Mapping

import torch

from lintnn.diagnostics import Diagnostic
from lintnn.runtime.torch.diag import finding
from lintnn.runtime.torch.inputs import is_float

MIN_SORTED_BATCH = 8
MAX_ABS_MEAN = 10.0
MAX_STD = 10.0


def check_labels(target: object) -> list[Diagnostic]:
    """NR308: a batch with one label only, or labels in sorted order (37 reasons #10)."""
    if not isinstance(target, torch.Tensor) or is_float(target) or target.dim() != 1:
        return []
    y = target.detach().cpu()
    if y.numel() < 2:
        return []
    distinct = int(y.unique().numel())
    if distinct == 1:
        return [finding("NR308", f"all {y.numel()} labels in the batch are {int(y[0])}: the "
                        f"model learns to predict one class; shuffle the data (37 reasons #10)",
                        labels=distinct)]
    if y.numel() >= MIN_SORTED_BATCH and bool((y[1:] >= y[:-1]).all()):
        return [finding("NR308", f"the {y.numel()} labels of the batch are sorted "
                        f"({distinct} classes in runs): the data is not shuffled "
                        f"(37 reasons #7, #10)", labels=distinct)]
    return []


def check_inputs(tensors: Mapping[str, torch.Tensor]) -> tuple[list[Diagnostic], dict]:
    """NR309: float inputs that are constant, repeated across rows, or far from unit scale."""
    found: list[Diagnostic] = []
    stats: dict[str, dict[str, float]] = {}
    for name, t in tensors.items():
        if not is_float(t) or t.numel() < 2:
            continue
        x = t.detach().float()
        mean, std = float(x.mean()), float(x.std())
        stats[name] = {"mean": mean, "std": std}
        if std == 0.0:
            found.append(finding("NR309", f"input {name!r} is constant ({mean:g} everywhere): "
                                 f"the data loader is not feeding data (37 reasons #1)",
                                 input=name))
        elif t.dim() > 0 and t.shape[0] > 1 and bool((x == x[:1]).all()):
            found.append(finding("NR309", f"every row of input {name!r} is the same sample "
                                 f"(37 reasons #1)", input=name))
        elif abs(mean) > MAX_ABS_MEAN or std > MAX_STD:
            found.append(finding("NR309", f"input {name!r} is not normalized: mean {mean:.3g}, "
                                 f"std {std:.3g}; scale it to mean 0, std 1 (37 reasons #12)",
                                 input=name, mean=mean, std=std))
    return found, stats


def check_repeated(first: Mapping[str, torch.Tensor],
                   second: Mapping[str, torch.Tensor]) -> list[Diagnostic]:
    """NR309: two draws from the data return the same batch (37 reasons #1)."""
    same = [k for k, v in first.items()
            if k in second and v.shape == second[k].shape and torch.equal(v, second[k])]
    if same and len(same) == len(first):
        return [finding("NR309", f"two draws returned the same batch (inputs {same}): the "
                        f"loader repeats one batch (37 reasons #1)", inputs=same)]
    return []
