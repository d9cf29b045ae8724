"""Parameters that never train (NR303): frozen by ``requires_grad=False``, left out of
the optimizer, in a param group with ``lr=0``, or without a gradient (37 reasons #23; the
CNN guide: check frozen layers)."""

from __future__ import annotations

from typing import Any

from torch import nn

from lintnn.diagnostics import Diagnostic, Severity
from lintnn.runtime.torch.diag import finding


def why_unchanged(p: nn.Parameter, group: dict[str, Any] | None) -> tuple[str, str]:
    """Why a trainable parameter kept its value over a step (a key and a sentence), most
    specific reason first."""
    if group is None:
        return "not-in-optimizer", ("it is in no param group of the optimizer, so it never "
                                    "trains: build the optimizer over model.parameters() or "
                                    "add a param group")
    if group.get("lr") == 0:
        return "lr-zero", "its param group has lr=0"
    if p.grad is None:
        return "no-gradient", "it gets no gradient: it is unused or detached from the loss"
    return "zero-gradient", "its gradient is zero: it is unused, detached or masked"


def frozen_parameters(model: nn.Module) -> list[Diagnostic]:
    """NR303 for parameters with ``requires_grad=False`` (the CNN guide: check frozen
    layers). A module frozen as a whole is named once, as info: fine-tuning freezes
    backbones on purpose. A module frozen in part (its weight but not its bias), or a model
    with nothing left to train, is a warning."""
    params = list(model.named_parameters())
    if not any(not p.requires_grad for _, p in params):
        return []
    if all(not p.requires_grad for _, p in params):
        return [finding("NR303", "every parameter of the model has requires_grad=False: "
                        "nothing trains (37 reasons #23)", module="",
                        parameters=[n for n, _ in params])]
    found = []
    covered: set[str] = set()
    for path, module in model.named_modules():
        if any(path == c or path.startswith(c + ".") for c in covered if c) or not path:
            continue
        own = list(module.parameters())
        if own and all(not p.requires_grad for p in own):
            covered.add(path)
            found.append(finding(
                "NR303", f"module {path!r} is frozen: its {len(own)} parameter(s) have "
                f"requires_grad=False and never train; fine if you freeze it on purpose "
                f"(37 reasons #23)", module=path, severity=Severity.INFO,
                parameters=[f"{path}.{n}" for n, _ in module.named_parameters()]))
    for name, p in params:
        owner = name.rpartition(".")[0]
        if p.requires_grad or any(owner == c or owner.startswith(c + ".") for c in covered):
            continue
        found.append(finding(
            "NR303", f"parameter {name!r} has requires_grad=False while the rest of "
            f"{owner or 'the model'!r} trains: it never changes; frozen by mistake? "
            f"(37 reasons #23)", module=owner, parameter=name))
    return found
