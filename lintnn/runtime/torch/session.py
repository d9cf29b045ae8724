"""Attach a monitor to every optimizer a script creates, without changing the script.

While a :class:`Session` is open, torch's global module forward hooks note the outermost
module of each forward (the model the script calls), and a global optimizer step pre-hook
attaches a :class:`monitor` to an optimizer at its first step, over the called model that
holds most of its parameters. The global hooks are removed when the session closes; so
are the monitors (also before ``torch.distributed.destroy_process_group``, so that the
ranks' findings still meet in one report).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn.modules import module as module_hooks
from torch.optim.optimizer import register_optimizer_step_pre_hook

from lintnn.diagnostics import Diagnostic
from lintnn.runtime.report import Report
from lintnn.runtime.torch import losstap
from lintnn.runtime.torch.attachments import Attachments
from lintnn.runtime.torch.monitor import monitor


class Session(losstap.Listener):
    """Monitors for what a script builds; ``options`` are :class:`monitor`'s keywords."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.monitors: list[monitor] = []
        self._roots: weakref.WeakValueDictionary[int, nn.Module] = weakref.WeakValueDictionary()
        self._depth = 0
        self._seen: weakref.WeakSet[torch.optim.Optimizer] = weakref.WeakSet()
        self._attached = Attachments()
        self._destroy: Callable[..., Any] | None = None
        self._losses: list[torch.Tensor] = []  # heard before a monitor was attached

    def on_loss(self, loss: torch.Tensor) -> None:
        self._losses.append(loss)

    def __enter__(self) -> Session:
        self._attached.hooks([
            module_hooks.register_module_forward_pre_hook(self._enter_module),
            module_hooks.register_module_forward_hook(self._leave_module, always_call=True),
            register_optimizer_step_pre_hook(self._first_step),
        ])
        self._attached.on_remove(losstap.listen(self))
        import torch.distributed as dist

        if dist.is_available():
            self._destroy = dist.destroy_process_group
            original = self._destroy

            def destroy(*args: Any, **kwargs: Any) -> Any:
                self.close_monitors()
                return original(*args, **kwargs)

            dist.destroy_process_group = destroy
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every monitor and remove the session's hooks (idempotent)."""
        self.close_monitors()
        self._attached.remove_all()
        if self._destroy is not None:
            import torch.distributed as dist

            dist.destroy_process_group = self._destroy
            self._destroy = None

    def close_monitors(self) -> None:
        for m in self.monitors:
            m.close()

    # -- which model, which optimizer -------------------------------------------------

    def _enter_module(self, module: nn.Module, args: Any) -> None:
        if self._depth == 0:
            self._roots[id(module)] = module
        self._depth += 1

    def _leave_module(self, module: nn.Module, args: Any, output: Any) -> None:
        self._depth = max(0, self._depth - 1)

    def _first_step(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        losses, self._losses = self._losses, []
        if optimizer in self._seen:
            return
        self._seen.add(optimizer)
        model = self._model_of(optimizer)
        if model is None:
            return
        # Registered while this step's hooks run: its pre-hook still runs for this step,
        # and judges this step's loss.
        attached = monitor(model, optimizer, **self.options).start()
        for loss in losses:
            attached.on_loss(loss)
        self.monitors.append(attached)

    def _model_of(self, optimizer: torch.optim.Optimizer) -> nn.Module | None:
        params = {id(p) for g in optimizer.param_groups for p in g["params"]}
        best, overlap = None, 0
        for root in list(self._roots.values()):
            shared = sum(1 for p in root.parameters() if id(p) in params)
            if shared > overlap:
                best, overlap = root, shared
        return best

    # -- the run's report ---------------------------------------------------------------

    def report(self) -> Report:
        """One report: every monitor's findings; the first monitor's timeline."""
        rep = Report("run")
        for i, m in enumerate(self.monitors):
            part = m.report
            rep.findings += part.findings
            if i == 0:
                rep.data.update(part.data)
        return rep

    def findings(self) -> list[Diagnostic]:
        return [f for m in self.monitors for f in m.report.findings]
