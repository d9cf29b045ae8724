"""``watch``: cheap NaN/Inf detection in steady state, exact origin when it fires.

Steady state costs one fused max-abs over the gradients and one host sync per optimizer
step (an optimizer step pre-hook, so it runs before the weights are written), plus keeping
references to the last batch and its RNG state. Nothing runs per layer. When the check
fires, :mod:`replay` reruns the failing step op by op to name the origin (37 reasons #37).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_pre_hook

from lintnn.runtime.errors import NonFiniteError, Origin
from lintnn.runtime.report import Report
from lintnn.runtime.torch.attachments import Attachments
from lintnn.runtime.torch.diag import finding
from lintnn.runtime.torch.inputs import Inputs, is_float, positional_names, tensor_leaves
from lintnn.runtime.torch.modules import eager
from lintnn.runtime.torch.replay import (
    first_nonfinite_backward,
    first_nonfinite_in,
    has_nan,
    nonfinite,
    replay_forward,
)
from lintnn.runtime.torch.source import user_frame
from lintnn.runtime.torch.state import preserved


def _norms(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    """One L2 norm per tensor, grouped per device (one fused pass; NaN/Inf propagate).

    The L2 norm is ~15x cheaper on CPU than the max-abs norm; it can overflow only for
    values near 1e19, and a firing check is confirmed element-wise before it is believed.
    """
    by_device: dict[torch.device, list[torch.Tensor]] = {}
    for t in tensors:
        by_device.setdefault(t.device, []).append(t)
    return [n for group in by_device.values() for n in torch._foreach_norm(group, 2)]


def all_finite(tensors: list[torch.Tensor]) -> bool:
    """True when every tensor is finite; one host sync per device in the common case."""
    floats = [t.detach() for t in tensors if is_float(t)]
    norms = _norms(floats)
    by_device: dict[torch.device, list[torch.Tensor]] = {}
    for n in norms:
        by_device.setdefault(n.device, []).append(n)
    if all(bool(torch.isfinite(torch.stack(g)).all()) for g in by_device.values()):
        return True
    return not any(nonfinite(t) for t in floats)  # exact, only when the cheap check fired


class _Step:
    """What the root pre-hook keeps of the latest forward (references, no copies)."""

    def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.args, self.kwargs = args, kwargs
        self.grad_enabled = torch.is_grad_enabled()
        self.cpu_rng = torch.get_rng_state()
        self.cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
        self.outputs: list[torch.Tensor] = []
        self.out_grads: dict[int, torch.Tensor] = {}
        self.call_site = user_frame()  # the line that called the model: the fallback source


class watch:
    """Raise :class:`lintnn.NonFiniteError` when a NaN/Inf appears while training ``model``.

    Checks the gradients and the latest outputs before every optimizer step taken inside
    the block (before the weights are written), and again when the block ends. The
    error's ``origin`` names the phase, module, aten op and user line where the first
    non-finite value was made, its ``diagnostic`` the NR20x finding. A ``torch.compile``d
    model is watched as called and replayed on the module it compiled.
    """

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.step: _Step | None = None
        self.pending = False
        self.steps_checked = 0
        self._attached = Attachments()
        self._param_ids: set[int] = set()

    def __enter__(self) -> watch:
        self._param_ids = {id(p) for p in self.model.parameters()}
        self._attached.hooks([
            self.model.register_forward_pre_hook(self._pre, with_kwargs=True),
            self.model.register_forward_hook(self._post),
            register_optimizer_step_pre_hook(self._before_step),
        ])
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None and self.pending:
                tensors = [p.grad for p in self.model.parameters() if p.grad is not None]
                tensors += self.step.outputs if self.step else []
                self._check(tensors)
        finally:
            self._attached.remove_all()
            self.step = None

    def _pre(self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.step = _Step(args, kwargs)
        self.pending = True

    def _post(self, module: nn.Module, args: Any, output: Any) -> None:
        step = self.step
        if step is None:
            return
        outputs = [t for t in tensor_leaves(output) if is_float(t)]
        step.outputs = [t.detach() for t in outputs]  # the values, not the graph
        for i, t in enumerate(outputs):
            if t.requires_grad:
                t.register_hook(self._grad_saver(step, i))

    @staticmethod
    def _grad_saver(step: _Step, index: int) -> Any:
        def save(grad: torch.Tensor) -> None:
            step.out_grads[index] = grad

        return save

    def _before_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        grads = [p.grad for g in optimizer.param_groups for p in g["params"]
                 if id(p) in self._param_ids and p.grad is not None]
        if not grads:
            return
        # The outputs ride along (a transformers model's loss is one): one more norm each.
        self._check(grads + (self.step.outputs if self.step else []))

    def _check(self, tensors: list[torch.Tensor]) -> None:
        self.pending = False
        self.steps_checked += 1
        if all_finite(tensors):
            return
        origin = self.diagnose()
        raise NonFiniteError(origin, diagnostic=origin_finding(origin))

    def diagnose(self) -> Origin:
        """Replay the latest forward (and backward) and say where the first NaN/Inf came from."""
        return diagnose(self.model, self.step)


def diagnose(model: nn.Module, step: _Step | None) -> Origin:
    model = eager(model)
    bad = [n for n, p in model.named_parameters() if nonfinite(p)]
    if bad:
        owner = bad[0].rpartition(".")[0]
        return Origin("forward", owner, None, None, True,
                      f"parameter {bad[0]!r} holds NaN/Inf ({len(bad)} non-finite)")
    if step is None:
        return Origin("backward", None, None, None, False,
                      "no forward of the watched model ran inside the block")
    inputs = Inputs(step.args, dict(step.kwargs), positional_names(model, len(step.args)))
    named = inputs.named().items()
    dirty = [k for k, v in named for t in tensor_leaves(v) if has_nan(t)]
    if dirty:
        return Origin("input", "", None, None, False, f"input {dirty[0]!r} already holds NaN")
    # An input holding only +-inf may be meant (an additive attention mask): it is blamed
    # only if a NaN is born from it, or nothing else explains the non-finite value.
    infinite = [k for k, v in named for t in tensor_leaves(v) if nonfinite(t)]
    copies = inputs.map(lambda t: t.detach().clone().requires_grad_(t.requires_grad))
    with preserved(model, copy_params=False):
        torch.set_rng_state(step.cpu_rng)
        if step.cuda_rng is not None:
            torch.cuda.set_rng_state_all(step.cuda_rng)
        with torch.set_grad_enabled(step.grad_enabled):
            tracker, output, nodes = replay_forward(model, lambda: copies.call(model))
        found = tracker.origin(inputs_inf=bool(infinite))
        if found is not None:
            phase, site = found
            detail = (f"input {infinite[0]!r} holds +-inf and a NaN is born from it here"
                      if phase == "input" else None)
            return Origin(phase, site.module, site.op, site.source or step.call_site, False,
                          detail)
        outs = [t for t in tensor_leaves(output) if is_float(t)]
        pairs = [(outs[i], g) for i, g in step.out_grads.items() if i < len(outs)]
        if any(nonfinite(g) for _, g in pairs):
            return Origin("backward", None, None, None, False,
                          "the gradient reaching the model output is already non-finite: "
                          "the loss, computed outside the model, produced it")
        pairs = [(o, g) for o, g in pairs if o.requires_grad]
        site = first_nonfinite_backward([o for o, _ in pairs], [g for _, g in pairs], nodes)
    if site is not None and site.from_inf and infinite:
        return Origin("input", site.module, site.op, site.source or step.call_site, False,
                      f"input {infinite[0]!r} holds +-inf and a NaN is born from it in the "
                      f"backward pass here")
    if site is not None:
        return Origin("backward", site.module, site.op, site.source or step.call_site, False)
    if infinite:
        return Origin("input", "", None, None, False,
                      f"input {infinite[0]!r} holds +-inf and it reaches the checked values")
    return Origin("backward", None, None, None, False,
                  "the replay did not reproduce the non-finite value (non-deterministic op?)")


_CODES = {"input": "NR203", "forward": "NR201", "backward": "NR202"}


def origin_finding(origin: Origin) -> Any:
    """The NR20x finding for an :class:`Origin`."""
    code = "NR204" if origin.parameters_nonfinite else _CODES.get(origin.phase, "NR201")
    return finding(code, origin.describe(), module=origin.module, source=origin.source,
                   op=origin.op, phase=origin.phase)


def check_nonfinite(model: nn.Module, inputs: Any, target: Any = None,
                    loss_fn: Any = None) -> Report:
    """One forward (and backward through ``loss_fn``) under :class:`watch`; NR201-NR204."""
    report = Report("check_nonfinite")
    inp = Inputs.of(model, inputs)
    with preserved(model, copy_params=False):
        try:
            with watch(model):
                out = inp.call(model)
                if loss_fn is None:
                    return report
                args = (out,) if target is None else (out, target)
                loss = loss_fn(*args)
                if nonfinite(loss):
                    site = first_nonfinite_in(lambda: loss_fn(*args))
                    if site is not None:
                        raise NonFiniteError(Origin("forward", None, site.op, site.source, False,
                                                    "in the loss function"))
                if loss.requires_grad:
                    loss.backward()
        except NonFiniteError as err:
            report.findings.append(origin_finding(err.origin))
            report.data["nonfinite"] = {"phase": err.origin.phase, "module": err.origin.module,
                                        "op": err.origin.op, "source": err.origin.source}
    return report
