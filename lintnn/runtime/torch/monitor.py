"""``monitor``: judge a real PyTorch training run as it goes (NR401-NR413).

Every optimizer step costs one fused L2 norm over the gradients and one host read of two
numbers (the gradients' total and the step's loss), in an optimizer step *pre*-hook, so a
NaN never reaches the weights. Every ``every`` steps the monitor also keeps a copy of the
stepped parameters, and after the step reads, in one transfer, per-parameter gradient,
weight and update norms and the dead fraction of each ``nn.ReLU``'s output (forward hooks
that only measure on sampled steps). :class:`lintnn.runtime.judge.Judge` turns those into
findings. The loss is heard from ``backward()`` (see :mod:`losstap`), so the user's loop
stays as it is. Hooks and wrappers are removed when the block ends, also on error.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from lintnn.diagnostics import Diagnostic, Severity
from lintnn.runtime.codes import finding
from lintnn.runtime.errors import NonFiniteError, Origin
from lintnn.runtime.judge import Judge, ParamInfo, Sample, monitor_report
from lintnn.runtime.report import Report
from lintnn.runtime.thresholds import Thresholds
from lintnn.runtime.torch import losstap, ranks, reductions
from lintnn.runtime.torch.attachments import Attachments
from lintnn.runtime.torch.nans import watch
from lintnn.runtime.torch.replay import graph_nodes, nonfinite
from lintnn.runtime.torch.state import preserved_rng
from lintnn.runtime.torch.wrappers import is_compiled, unwrap_model, unwrap_optimizer

log = logging.getLogger("lintnn.monitor")
_RELUS = (nn.ReLU, nn.ReLU6)


def _layer(name: str) -> str:
    return name.rpartition(".")[0]


class _Pending:
    """What a sampled step holds between the pre- and the post-hook of one optimizer."""

    def __init__(self, names: list[str], params: list[nn.Parameter],
                 grad_norms: list[torch.Tensor], dead: dict[str, torch.Tensor]) -> None:
        self.names, self.params, self.grad_norms, self.dead = names, params, grad_norms, dead
        self.before = reductions.snapshot(params)


class monitor(losstap.Listener):
    """Watch a training run of ``model`` stepped by ``optimizer`` (one or a list).

    ``every``: sample the per-layer statistics every this many optimizer steps (the
    non-finite check and the loss run every step). ``num_classes``: judge the loss against
    chance ``ln C``. ``val_loss_fn``: a function of no argument returning the validation
    loss, called every ``val_every`` steps (default ``10 * every``) under ``no_grad`` with
    the model in eval mode (both restored). ``thresholds``: a :class:`Thresholds` or a dict
    of its fields. ``on_finding`` hears each finding as it fires (default: logged to the
    ``lintnn.monitor`` logger). With several backward calls per step (gradient
    accumulation) the step's loss is their ``"mean"``, or their ``"sum"`` when each is
    already divided by the number of micro-batches (transformers' Trainer does that).
    ``.report`` is a :class:`lintnn.Report`; a non-finite loss or gradient raises
    :class:`lintnn.NonFiniteError` before the step writes the weights.
    """

    live = 0  # monitors open in this process: with several, each keeps its own model's loss

    def __init__(self, model: nn.Module, optimizer: Any, every: int = 10,
                 num_classes: int | None = None, val_loss_fn: Callable[[], Any] | None = None,
                 thresholds: Thresholds | dict[str, Any] | None = None, *,
                 val_every: int | None = None,
                 on_finding: Callable[[Diagnostic], None] | None = None,
                 accumulation: str = "mean") -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"monitor needs an nn.Module, got {type(model).__name__}")
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive int, got {every!r}")
        optimizers = list(optimizer) if isinstance(optimizer, Sequence) else [optimizer]
        if not optimizers:
            raise ValueError("monitor needs the optimizer that steps the model")
        self.model = model
        self.inner = unwrap_model(model)
        self.compiled = is_compiled(model)
        self.optimizers = [unwrap_optimizer(o) for o in optimizers]
        self.every = every
        self.num_classes = num_classes
        self.val_loss_fn = val_loss_fn
        self.val_every = val_every or 10 * every
        self.thresholds = Thresholds.of(thresholds)
        if accumulation not in ("mean", "sum"):
            raise ValueError(f"accumulation must be 'mean' or 'sum', got {accumulation!r}")
        self.accumulation = accumulation
        self.on_finding = on_finding or (lambda d: log.warning("lintnn: %s", d))
        self.rank, self.world = 0, 1
        self.steps = 0  # optimizer steps of the first optimizer: the run's clock
        self.skipped_steps = 0  # GradScaler skipped the step (fp16 overflow, not a bug)
        self.judge: Judge | None = None
        self.error: NonFiniteError | None = None
        self._names: dict[int, str] = {}
        self._opt_steps = [0] * len(self.optimizers)
        self._pending_losses: list[torch.Tensor] = []
        self._pending: dict[int, _Pending] = {}
        self._dead: dict[str, torch.Tensor] = {}
        self._measure = False
        self._attached = Attachments()
        self._watch: watch | None = None
        self._merged: list[Diagnostic] = []
        self._run = 0
        self._open = False

    # -- life cycle --------------------------------------------------------------------

    def __enter__(self) -> monitor:
        return self.start()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.close()

    def start(self) -> monitor:
        """Attach the hooks (``with monitor(...)`` calls this)."""
        if self._open:
            return self
        self.rank, self.world = ranks.rank_and_world()
        self._run = ranks.next_run()
        self._names = {id(p): n for n, p in self.inner.named_parameters()}
        self.judge = Judge(self._param_infos(), self.thresholds, self.num_classes,
                           self.on_finding, rank=self.rank if self.world > 1 else None)
        self._open = True
        monitor.live += 1
        try:
            # watch's record of the latest forward (inputs, RNG state: references only) for
            # the replay, on the user's module inside any wrapper. Unlike watch, the monitor
            # keeps no outputs and no output gradients (a language model's logits and their
            # gradient can be hundreds of MB): it replays the forward only.
            self._watch = watch(self.inner)
            self._attached.hook(
                self.model.register_forward_pre_hook(self._watch._pre, with_kwargs=True))
            for i, opt in enumerate(self.optimizers):
                self._attached.hook(opt.register_step_pre_hook(self._pre_hook(i)))
                self._attached.hook(opt.register_step_post_hook(self._post_hook(i)))
            if not self.compiled:  # hooks inside a compiled graph would recompile it
                for name, module in self.inner.named_modules():
                    if isinstance(module, _RELUS):
                        self._attached.hook(module.register_forward_hook(self._relu(name)))
            self._attached.on_remove(losstap.listen(self))
        except BaseException:
            self.close()
            raise
        self._measure = not self.compiled
        return self

    def close(self) -> None:
        """Remove every hook and wrapper; merge the other ranks' findings (rank 0)."""
        if not self._open:
            return
        self._open = False
        monitor.live -= 1
        self._attached.remove_all()
        self._pending.clear()
        self._dead.clear()
        self._pending_losses.clear()
        if self._watch is not None:
            self._watch.step = None  # drop the references to the last batch
        if self.world > 1 and self.judge is not None:
            merged, silent = ranks.share(self._run, self.rank, self.world, self.judge.findings)
            self._merged = _fold_ranks(self.judge.findings, merged)
            for r in silent:
                self._merged.append(finding("NR401", f"rank {r} sent no report within "
                                            f"{ranks.MERGE_TIMEOUT.seconds} s (it crashed or "
                                            "hangs): read its own output",
                                            severity=Severity.INFO, rank=r))

    @property
    def report(self) -> Report:
        """The findings so far (on rank 0 of a data-parallel run, every rank's, after the
        block ends) and the timeline behind them."""
        return monitor_report(self.judge, self._merged or None, steps=self.steps,
                              every=self.every, skipped_steps=self.skipped_steps,
                              rank=self.rank, world_size=self.world, compiled=self.compiled,
                              dead_relu_measured=not self.compiled)

    def record_val_loss(self, value: float, step: int | None = None) -> None:
        """A validation loss from the training framework (the callbacks call this)."""
        if self.judge is not None:
            self.judge.add_val_loss(self.steps if step is None else step, float(value))

    def _param_infos(self) -> list[ParamInfo]:
        group_of: dict[int, int] = {}
        g = 0
        for opt in self.optimizers:
            for group in opt.param_groups:
                for p in group["params"]:
                    group_of.setdefault(id(p), g)
                g += 1
        return [ParamInfo(n, _layer(n), group_of.get(id(p)), p.requires_grad, p.dim() >= 2)
                for n, p in self.inner.named_parameters()]

    # -- the loss ----------------------------------------------------------------------

    def on_loss(self, loss: torch.Tensor) -> None:
        if monitor.live > 1 and not self._reaches_model(loss):
            return  # another monitored model's loss
        self._pending_losses.append(loss)

    def on_scaler_update(self) -> None:
        if self._pending_losses:  # the scaler skipped the step these losses belong to
            self.skipped_steps += 1
            self._pending_losses.clear()

    def _reaches_model(self, loss: torch.Tensor) -> bool:
        for node in graph_nodes([loss]):
            variable = getattr(node, "variable", None)
            if variable is not None and id(variable) in self._names:
                return True
        return False

    # -- the optimizer step ------------------------------------------------------------

    def _pre_hook(self, index: int) -> Callable[..., Any]:
        def hook(opt: torch.optim.Optimizer, args: Any, kwargs: Any) -> Any:
            # args[0] is the optimizer itself; a closure comes as step(closure) or a keyword
            closure = kwargs.get("closure", args[1] if len(args) > 1 else None)
            if not callable(closure):
                self._before_step(index, opt)
                return None
            # step(closure) runs forward and backward inside the step (Lightning, LBFGS):
            # check after the closure, still before the update.
            def checked() -> Any:
                loss = closure()
                self._before_step(index, opt)
                return loss

            if "closure" in kwargs:
                return args, {**kwargs, "closure": checked}
            return (args[0], checked, *args[2:]), kwargs

        return hook

    def _post_hook(self, index: int) -> Callable[..., None]:
        def hook(opt: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
            self._after_step(index, opt)

        return hook

    def _stepped(self, opt: torch.optim.Optimizer) -> tuple[list[str], list[nn.Parameter]]:
        names, params = [], []
        for group in opt.param_groups:
            for p in group["params"]:
                name = self._names.get(id(p))
                if name is not None and p.grad is not None:
                    names.append(name)
                    params.append(p)
        return names, params

    def _before_step(self, index: int, opt: torch.optim.Optimizer) -> None:
        judge = self.judge
        if judge is None or not self._open:
            return
        names, params = self._stepped(opt)
        loss = None
        if index == 0 and self._pending_losses:
            pending = self._pending_losses
            if len(pending) == 1:
                loss = pending[0]
            else:
                stacked = torch.stack([t.to(pending[0].device, torch.float32) for t in pending])
                loss = stacked.sum() if self.accumulation == "sum" else stacked.mean()
            self._pending_losses = []
        if not params and loss is None:
            return
        grad_norms = reductions.norms([p.grad for p in params])
        device = params[0].device if params else loss.device  # type: ignore[union-attr]
        check = [reductions.total(grad_norms, device)] if grad_norms else []
        if loss is not None:
            check.append(loss)
        values = reductions.read(check, device)  # the one host read of every step
        grad_total = values[0] if grad_norms else 0.0
        loss_value = values[-1] if loss is not None else None
        if not math.isfinite(grad_total) or (loss_value is not None
                                            and not math.isfinite(loss_value)):
            self._nonfinite(names, params, loss_value)
        if loss_value is not None:
            judge.add_loss(self.steps, loss_value)
        if self._opt_steps[index] % self.every == 0:
            dead = self._dead if index == 0 else {}
            self._pending[index] = _Pending(names, params, grad_norms, dict(dead))
        if index == 0:
            self._dead.clear()
            self._measure = False

    def _after_step(self, index: int, opt: torch.optim.Optimizer) -> None:
        if not self._open:
            return
        pending = self._pending.pop(index, None)
        if pending is not None:
            self._sample(opt, pending)
        self._opt_steps[index] += 1
        if index == 0:
            self.steps += 1
            self._measure = not self.compiled and self.steps % self.every == 0
            if self.val_loss_fn is not None and self.steps % self.val_every == 0:
                self.record_val_loss(self._validation_loss())

    def _sample(self, opt: torch.optim.Optimizer, p: _Pending) -> None:
        assert self.judge is not None
        n = len(p.params)
        device = p.params[0].device if p.params else torch.device("cpu")
        dead_names = list(p.dead)
        weights, updates = reductions.weight_and_update_norms(p.params, p.before)
        values = reductions.read([*p.grad_norms, *updates, *weights, *p.dead.values()], device)
        grads, updates, weights = values[:n], values[n:2 * n], values[2 * n:3 * n]
        sample = Sample(step=self.steps,
                        lrs=[float(g["lr"]) for o in self.optimizers for g in o.param_groups],
                        dead=dict(zip(dead_names, values[3 * n:], strict=True)))
        squares: dict[str, list[float]] = {}
        for name, g, u, w in zip(p.names, grads, updates, weights, strict=True):
            acc = squares.setdefault(_layer(name), [0.0, 0.0, 0.0])
            acc[0] += g * g
            acc[1] += u * u
            acc[2] += w * w
            if g == 0.0:
                sample.no_grad.add(name)
        for layer, (g2, u2, w2) in squares.items():
            sample.grad_norm[layer] = math.sqrt(g2)
            sample.update_norm[layer] = math.sqrt(u2)
            sample.weight_norm[layer] = math.sqrt(w2)
        stepped = set(p.names)
        for group in opt.param_groups:
            for param in group["params"]:
                name = self._names.get(id(param))
                if name is not None:
                    sample.checked.add(name)
                    if name not in stepped:
                        sample.no_grad.add(name)
        self.judge.add_sample(sample)

    # -- ReLUs -------------------------------------------------------------------------

    def _relu(self, name: str) -> Callable[..., None]:
        def hook(module: nn.Module, args: Any, output: Any) -> None:
            if self._measure and isinstance(output, torch.Tensor) and torch.is_grad_enabled():
                frac = reductions.dead_fraction(output)
                if frac is not None:
                    self._dead[name] = frac

        return hook

    # -- validation --------------------------------------------------------------------

    def _validation_loss(self) -> float:
        assert self.val_loss_fn is not None
        modules = list(self.inner.modules())
        modes = [m.training for m in modules]
        try:
            with preserved_rng(), torch.no_grad():
                self.inner.eval()
                value = self.val_loss_fn()
        finally:
            for m, mode in zip(modules, modes, strict=True):
                m.training = mode
        return float(value.detach() if isinstance(value, torch.Tensor) else value)

    # -- NaN/Inf -----------------------------------------------------------------------

    def _nonfinite(self, names: list[str], params: list[nn.Parameter],
                   loss: float | None) -> None:
        assert self.judge is not None
        bad = [n for n, p in zip(names, params, strict=True) if nonfinite(p.grad)]
        loss_bad = loss is not None and not math.isfinite(loss)
        if not bad and not loss_bad:
            return  # an L2 norm that overflowed on huge finite values: not a NaN
        what = []
        if loss_bad:
            what.append(f"the loss is {loss}")
        if bad:
            layers = list(dict.fromkeys(_layer(n) for n in bad))
            what.append(f"gradients of {len(bad)} parameter(s) in "
                        f"{', '.join(repr(x or '<root>') for x in layers[:4])}"
                        f"{' ...' if len(layers) > 4 else ''} are non-finite")
        origin = self._origin(loss_bad, bool(bad))
        self.judge.report("NR401", "nonfinite", f"{'; '.join(what)}; {origin.describe()}: "
                          "lower the learning rate, clip gradients, and look for log/sqrt/"
                          "division of zero or negative values (37 reasons #37; NaN notes)",
                          step=self.steps, module=origin.module, source=origin.source,
                          phase=origin.phase, op=origin.op, parameters=bad[:20])
        diagnostic = self.judge.findings[-1]
        self.error = NonFiniteError(origin, diagnostic.message)
        self.error.diagnostic = diagnostic  # type: ignore[attr-defined]
        self.close()
        raise self.error

    def _origin(self, loss_bad: bool, grads_bad: bool) -> Origin:
        w = self._watch
        if w is None or w.step is None:
            return Origin("backward" if grads_bad else "forward", None, None, None, False,
                          "no forward of the monitored module itself ran in this step, so "
                          "it cannot be replayed; wrap the step in lintnn.torch.watch(model) "
                          "for the op and line")
        origin = w.diagnose()
        if "did not reproduce" not in (origin.detail or ""):
            return origin
        if self.world > 1 and grads_bad and not loss_bad:
            return Origin("backward", None, None, None, False, "this rank's forward replays "
                          "finite: the gradients became non-finite in DDP's all-reduce, so "
                          "another rank's batch produced them")
        if loss_bad:
            return Origin("forward", None, None, None, False, "the model's forward replays "
                          "finite: the loss, computed outside the model, produced it")
        return Origin("backward", None, None, None, False, "the model's forward replays "
                      "finite: a backward op produced it; run the step under "
                      "lintnn.torch.watch(model) for the op and line")


def _fold_ranks(own: list[Diagnostic], others: list[Diagnostic]) -> list[Diagnostic]:
    """One report for the run: every rank's findings, a rank's non-finite finding dropped
    when it only saw another rank's NaN through the all-reduce (that rank reports it)."""
    found = [*own, *others]
    reproduced = any(f.code == "NR401" and "another rank" not in f.message for f in found)
    return [f for f in found
            if not (reproduced and f.code == "NR401" and "another rank" in f.message)]
