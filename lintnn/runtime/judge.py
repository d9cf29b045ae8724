"""The training monitor's verdicts (NR402-NR413), framework-free.

The PyTorch monitor, the JAX monitor and the Keras callback measure what they can on the
device and hand the host a :class:`Sample` every few steps; :class:`Judge` turns the
samples, the per-step loss and the validation readings into findings, each said once (per
code and layer), with the step, the layer and the numbers. NR401 (non-finite values) is
the measuring side's: it needs the framework to name the origin.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from lintnn.diagnostics import Diagnostic, Severity
from lintnn.runtime.codes import finding
from lintnn.runtime.curves import LossCurve, Shape
from lintnn.runtime.report import Report
from lintnn.runtime.thresholds import Thresholds


@dataclass(frozen=True)
class ParamInfo:
    """One parameter as the optimizer sees it: its name, layer, group and whether it trains."""

    name: str
    layer: str
    group: int | None  # index of its optimizer param group; None: in no group
    trainable: bool  # requires_grad (torch), a trainable variable (Keras)
    matrix: bool  # two or more dims: a weight whose ratios are judged


@dataclass
class Sample:
    """What one sampled step measured, read to the host once. Norms are L2, per layer."""

    step: int
    lrs: list[float] = field(default_factory=list)  # per param group
    grad_norm: dict[str, float] = field(default_factory=dict)
    weight_norm: dict[str, float] = field(default_factory=dict)
    update_norm: dict[str, float] = field(default_factory=dict)
    dead: dict[str, float] = field(default_factory=dict)  # per ReLU module
    no_grad: set[str] = field(default_factory=set)  # parameters without a (nonzero) gradient
    checked: set[str] = field(default_factory=set)  # parameters this sample looked at


def _fmt_names(names: list[str], limit: int = 4) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


class Judge:
    """Findings from a run's samples; ``on_finding`` hears each one as it fires."""

    def __init__(self, params: Iterable[ParamInfo], thresholds: Thresholds | None = None,
                 num_classes: int | None = None,
                 on_finding: Callable[[Diagnostic], None] | None = None,
                 rank: int | None = None) -> None:
        self.t = thresholds or Thresholds()
        self.params = list(params)
        self.chance = math.log(num_classes) if num_classes and num_classes >= 2 else None
        self.num_classes = num_classes
        self.on_finding = on_finding
        self.rank = rank  # under data parallelism: said in each message and its extra
        self.where = f"rank {rank}: " if rank is not None else ""
        self.curve = LossCurve(self.t)
        self.findings: list[Diagnostic] = []
        self.samples: list[Sample] = []
        self.val: list[tuple[int, float]] = []
        self._fired: set[tuple[str, str]] = set()
        self._streak: dict[tuple[str, str], int] = {}
        self._lr_peak: dict[int, float] = {}
        self._lr_zero_since: dict[int, int] = {}
        self._lr_trough: dict[int, float] = {}
        self._lr_rising: dict[int, int] = {}
        self._checks: dict[str, list[int]] = {}  # name -> [samples checked, without gradient]
        self._first_grad: dict[str, list[float]] = {}
        self._first_dead: dict[str, float] = {}
        self.layers_with_matrix = {p.layer for p in self.params if p.matrix and p.trainable}
        self.layer_group = {}
        for p in self.params:
            if p.group is not None:
                self.layer_group.setdefault(p.layer, p.group)
        self._setup()

    # -- reporting ---------------------------------------------------------------------

    def report(self, code: str, key: str, message: str, *, step: int | None,
               module: str | None = None, source: str | None = None,
               severity: Severity | None = None, **numbers: Any) -> None:
        """Record a finding once per ``(code, key)``."""
        if (code, key) in self._fired:
            return
        self._fired.add((code, key))
        text = f"step {step}: {message}" if step is not None else message
        if self.rank is not None:
            numbers.setdefault("rank", self.rank)
        d = finding(code, self.where + text, module=module, source=source, severity=severity,
                    step=step, **numbers)
        self.findings.append(d)
        if self.on_finding is not None:
            self.on_finding(d)

    def _persist(self, code: str, key: str, condition: bool) -> bool:
        """True once ``condition`` has held on ``confirm`` samples in a row."""
        k = (code, key)
        self._streak[k] = self._streak.get(k, 0) + 1 if condition else 0
        return self._streak[k] >= self.t.confirm

    # -- setup: parameters the optimizer never trains (NR410) --------------------------

    def _setup(self) -> None:
        by_layer: dict[str, list[ParamInfo]] = {}
        for p in self.params:
            by_layer.setdefault(p.layer, []).append(p)
        missing = [p.name for p in self.params if p.trainable and p.group is None]
        if missing:
            self.report("NR410", "missing", f"{len(missing)} trainable parameter(s) are in no "
                        f"optimizer param group ({_fmt_names(missing)}): they never change; "
                        "pass them to the optimizer (37 reasons #23)", step=None,
                        module=self.params_layer(missing[0]), parameters=missing)
        for layer, params in by_layer.items():
            frozen = [p.name for p in params if not p.trainable and p.group is not None]
            if not frozen:
                continue
            training = [p.name for p in params if p.trainable]
            if not training:
                self.report("NR410", f"frozen:{layer}", f"{_fmt_names(frozen)} of {layer!r} "
                            "has requires_grad=False but the optimizer holds it: it never "
                            "trains; if it is frozen on purpose, give the optimizer only the "
                            "trainable parameters (37 reasons #23)", step=None, module=layer,
                            severity=Severity.INFO, parameters=frozen)
            else:
                self.report("NR410", f"frozen:{layer}", f"{_fmt_names(frozen)} of {layer!r} "
                            f"has requires_grad=False while {_fmt_names(training)} of the same "
                            "layer trains, and the optimizer holds it: frozen by mistake? "
                            "(37 reasons #23)", step=None, module=layer, parameters=frozen)

    def params_layer(self, name: str) -> str:
        return next((p.layer for p in self.params if p.name == name), "")

    # -- the loss ----------------------------------------------------------------------

    def add_loss(self, step: int, value: float) -> None:
        """One step's training loss (the mean over its backward calls)."""
        for shape in self.curve.add(step, value, self.chance):
            self._shape(shape)

    def _shape(self, s: Shape) -> None:
        n = s.numbers
        t = self.t
        if s.kind == "diverging":
            self.report("NR402", "start", f"the loss rose from {n['first']:.4g} to "
                        f"{n['last']:.4g} over the first {t.start_window} steps (diverging "
                        "from the start): lower the learning rate; check that inputs and "
                        "labels are read and paired correctly (non-convergence notes, shape 1; "
                        "37 reasons #36)", step=s.step, **n)
        elif s.kind == "oscillating":
            self.report("NR402", "start", f"the loss swings by {n['swing']:.4g} per step "
                        f"(median) and does not fall over the first {t.start_window} steps "
                        f"({n['first']:.4g} -> {n['last']:.4g}; oscillating from the start): "
                        "lower the learning rate; check that labels match their inputs "
                        "(non-convergence notes, shape 1)", step=s.step, **n)
        elif s.kind == "divergence":
            self.report("NR403", "loss", f"the loss diverged: its {t.smooth}-step median rose "
                        f"to {n['now']:.4g} from {n['best']:.4g} at step {n['best_step']:.0f} "
                        f"(start {n['start']:.4g}): lower the learning rate or decay it, clip "
                        "gradients, and check the batches just before this step for bad data "
                        "(non-convergence notes, shape 2)", step=s.step, **n)
        elif s.kind == "oscillation":
            self.report("NR404", "loss", f"the loss started to oscillate: consecutive steps "
                        f"differ by {n['swing']:.4g} (median), {n['swing'] / n['calm']:.0f}x "
                        "as much as before: check the loss function (a regularization "
                        "weight) and the data (non-convergence notes, shape 3)",
                        step=s.step, **n)
        elif s.kind == "chance":
            self.report("NR405", "loss", f"the loss has sat at chance level -ln(1/"
                        f"{self.num_classes}) = {n['chance']:.4g} since step {n['since']:.0f} "
                        f"(now {n['loss']:.4g}): the model learns nothing from its inputs; "
                        "check that labels match inputs, the loss inputs, and that gradients "
                        "reach the model (37 reasons #17, #27)", step=s.step, **n)

    def add_val_loss(self, step: int, value: float) -> None:
        """A validation loss reading (NR413: it rises while the training loss falls)."""
        self.val.append((step, value))
        if not math.isfinite(value) or len(self.val) < 2:
            return
        best_step, best = min(self.val[:-1], key=lambda sv: sv[1])
        train_then, train_now = self._train_near(best_step), self._train_near(step)
        rising = (value > best * (1 + self.t.val_rise) + 1e-12 and train_then is not None
                  and train_now is not None and train_now < train_then)
        if self._persist("NR413", "val", rising):
            self.report("NR413", "val", f"the validation loss rose to {value:.4g} from "
                        f"{best:.4g} at step {best_step} while the training loss fell from "
                        f"{train_then:.4g} to {train_now:.4g}: the model overfits; add data "
                        "or augmentation, regularize, or stop earlier (non-convergence notes: "
                        "overfitting)", step=step, val=value, val_best=best,
                        train=train_now)

    def _train_near(self, step: int) -> float | None:
        """The smoothed training loss at ``step`` (the last one at or before it)."""
        c = self.curve
        first = len(c.steps) - len(c.smoothed)
        best = None
        for i in range(len(c.smoothed) - 1, -1, -1):
            if c.steps[first + i] <= step:
                best = c.smoothed[i]
                break
        return best

    # -- a sampled step ----------------------------------------------------------------

    def add_sample(self, s: Sample) -> None:
        self.samples.append(s)
        self._learning_rates(s)
        self._no_gradient(s)
        self._gradients(s)
        self._updates(s)
        self._dead(s)

    def _learning_rates(self, s: Sample) -> None:
        t = self.t
        for g, lr in enumerate(s.lrs):
            peak = max(self._lr_peak.get(g, 0.0), lr)
            self._lr_peak[g] = peak
            if peak == 0.0:
                if self._persist("NR410", f"lr0:{g}", True):
                    names = [p.name for p in self.params if p.group == g]
                    self.report("NR410", f"lr0:{g}", f"param group {g} ({len(names)} parameters: "
                                f"{_fmt_names(names)}) has learning rate 0 at every step so "
                                "far: its parameters never train (37 reasons #23, #36)",
                                step=s.step, module=self.params_layer(names[0]) if names
                                else None, group=g, lr=lr)
                continue
            if lr <= t.lr_zero * peak:
                since = self._lr_zero_since.setdefault(g, s.step)
                held = self._persist("NR411", str(g), True)  # samples in the stretch
                if held and s.step - since >= t.lr_zero_share * max(s.step, 1):
                    self.report("NR411", str(g), f"the learning rate of param group {g} is "
                                f"{lr:.3g}, below {t.lr_zero:g} of its peak {peak:.3g}, since "
                                f"step {since}: the steps since do (almost) nothing; check the "
                                "scheduler (stepped per batch where it counts epochs?) "
                                "(37 reasons #36)", step=s.step, group=g, lr=lr, peak=peak,
                                since=since)
            else:
                self._lr_zero_since.pop(g, None)
                self._streak.pop(("NR411", str(g)), None)
            self._lr_rise(s, g, lr, peak)

    def _lr_rise(self, s: Sample, g: int, lr: float, peak: float) -> None:
        if self.t.lr_fall is None:
            return
        trough = self._lr_trough.get(g)
        if trough is None:
            if lr <= self.t.lr_fall * peak:
                self._lr_trough[g] = lr
            return
        previous = self.samples[-2].lrs[g] if len(self.samples) > 1 else lr
        if lr > previous:
            self._lr_rising[g] = self._lr_rising.get(g, 0) + 1
        else:
            self._lr_rising[g] = 0
            self._lr_trough[g] = min(trough, lr)
        if self._lr_rising[g] >= self.t.confirm:
            self.report("NR412", str(g), f"the learning rate of param group {g} is rising "
                        f"again ({self._lr_trough[g]:.3g} -> {lr:.3g}) after it had fallen "
                        f"below {self.t.lr_fall:g} of its peak {peak:.3g}: a cosine schedule "
                        "whose period (T_max) is shorter than the run starts over; if the "
                        "schedule is cyclic on purpose, set thresholds lr_fall=None "
                        "(37 reasons #36)", step=s.step, group=g, lr=lr,
                        trough=self._lr_trough[g])

    def _no_gradient(self, s: Sample) -> None:
        k = self.t.no_grad_samples
        trainable = {p.name for p in self.params if p.trainable and p.group is not None}
        never: list[str] = []
        for name in s.checked & trainable:
            counts = self._checks.setdefault(name, [0, 0])
            if counts[0] >= k:
                continue
            counts[0] += 1
            counts[1] += name in s.no_grad
            if counts[0] == k and counts[1] == k:
                never.append(name)
        by_layer: dict[str, list[str]] = {}
        for p in self.params:
            if p.name in never:
                by_layer.setdefault(p.layer, []).append(p.name)
        for layer, names in by_layer.items():
            self.report("NR410", f"nograd:{layer}", f"{_fmt_names(names)} got no gradient "
                        f"at any of its first {k} sampled steps: unused by the loss, detached "
                        "(.detach(), .data, a no_grad block) or skipped by the forward; it "
                        "never trains (37 reasons #23)", step=s.step, module=layer,
                        parameters=names)

    def _ratios(self, s: Sample, norms: dict[str, float]) -> dict[str, float]:
        return {layer: v / max(s.weight_norm.get(layer, 0.0), 1e-12)
                for layer, v in norms.items()
                if layer in self.layers_with_matrix and s.weight_norm.get(layer, 0.0) > 0}

    def _gradients(self, s: Sample) -> None:
        t = self.t
        ratios = self._ratios(s, s.grad_norm)
        live = {k: v for k, v in ratios.items() if v > 0 and math.isfinite(v)}
        median = statistics.median(live.values()) if len(live) >= 2 else None
        for layer, r in ratios.items():
            history = self._first_grad.setdefault(layer, [])
            g = s.grad_norm[layer]
            if len(history) < t.confirm and g > 0:
                history.append(g)
            grown = (len(history) >= t.confirm and g > t.grad_growth * statistics.median(history))
            high = r > t.grad_ratio_high
            if self._persist("NR406", layer, high or grown):
                why = (f"|grad|/|weight| = {r:.3g}, above {t.grad_ratio_high:g}" if high else
                       f"|grad| = {g:.3g}, {g / statistics.median(history):.0f}x its first "
                       "sampled value")
                self.report("NR406", layer, f"exploding gradient in {layer!r}: {why}: clip "
                            "gradients, lower the learning rate, check the init scale "
                            "(37 reasons #35)", step=s.step, module=layer, grad=g, ratio=r)
            low = median is not None and 0 < r < t.grad_ratio_low * median
            if self._persist("NR407", layer, low):
                self.report("NR407", layer, f"vanishing gradient in {layer!r}: |grad|/|weight| "
                            f"= {r:.3g}, {r / median:.2g} of the median layer's {median:.3g}: "
                            "check saturating activations (sigmoid/tanh), the depth without "
                            "residuals or normalization, and the init (37 reasons #35)",
                            step=s.step, module=layer, ratio=r, median=median)

    def _stalled(self) -> bool:
        """The smoothed loss is still above half its start: tiny updates are then a problem,
        not a converged run's (whose gradients, and so updates, shrink)."""
        c = self.curve
        return bool(c.smoothed) and c.smoothed[-1] >= 0.5 * c.smoothed[0] > 0

    def _updates(self, s: Sample) -> None:
        t = self.t
        stalled = self._stalled()
        for layer, r in self._ratios(s, s.update_norm).items():
            group = self.layer_group.get(layer)
            peak = self._lr_peak.get(group, 0.0) if group is not None else 0.0
            lr = s.lrs[group] if group is not None and group < len(s.lrs) else 0.0
            near_peak = peak > 0 and lr >= 0.1 * peak
            high = r > t.update_high
            low = (stalled and near_peak and 0 < r < t.update_low
                   and s.grad_norm.get(layer, 0.0) > 0)
            if self._persist("NR408", layer, high or low):
                self.report("NR408", layer, f"update/weight ratio of {layer!r} is {r:.2g}, far "
                            f"from ~1e-3 (band {t.update_low:g}-{t.update_high:g}): the "
                            f"learning rate is too "
                            f"{'high' if high else 'low: the loss barely moves'} for this "
                            "layer (37 reasons #33)", step=s.step, module=layer, ratio=r, lr=lr)

    def _dead(self, s: Sample) -> None:
        t = self.t
        for layer, frac in s.dead.items():
            first = self._first_dead.setdefault(layer, frac)
            rising = frac > t.dead_fraction and frac - first >= t.dead_rise
            if self._persist("NR409", layer, rising):
                self.report("NR409", layer, f"{frac:.0%} of the ReLU units after {layer!r} "
                            f"never fire on the batch (was {first:.0%} at the first sample): "
                            "ReLUs are dying; lower the learning rate, soften its decay and "
                            "weight decay, or use LeakyReLU (CNN guide: make sure ReLUs still "
                            "fire)", step=s.step, module=layer, dead=frac, first=first)

    # -- what the report shows ---------------------------------------------------------

    def timeline(self) -> dict[str, Any]:
        """The series behind the verdicts, JSON-ready, for the HTML report's timeline."""
        steps = [s.step for s in self.samples]

        def series(attr: str, ratio: bool) -> dict[str, list[float | None]]:
            layers: dict[str, list[float | None]] = {}
            for i, s in enumerate(self.samples):
                values = self._ratios(s, getattr(s, attr)) if ratio else getattr(s, attr)
                for layer, v in values.items():
                    layers.setdefault(layer, [None] * len(self.samples))[i] = v
            return layers

        return {
            "loss_steps": list(self.curve.steps), "loss": list(self.curve.values),
            "chance": self.chance, "sample_steps": steps,
            "grad_norm": series("grad_norm", False),
            "update_ratio": series("update_norm", True),
            "lr": [list(s.lrs) for s in self.samples],
            "val": [list(v) for v in self.val],
            "events": [{"step": f.extra.get("step"), "code": f.code, "module": f.module}
                       for f in self.findings],
        }


def monitor_report(judge: Judge | None, findings: list[Diagnostic] | None = None,
                   **about: Any) -> Report:
    """The monitors' report: ``judge``'s findings (or ``findings``), its timeline, and what
    the monitor says about the run (``about``: steps, sampling, ...) under ``"monitor"``."""
    rep = Report("monitor")
    if judge is not None:
        rep.findings = list(judge.findings if findings is None else findings)
        rep.data["timeline"] = judge.timeline()
        rep.data["monitor"] = about
    return rep
