"""Training-health checks (NR301-NR311) on a deep copy of the model.

Each check compares a measurement with the data it came from: the initial loss with
chance level, the loss after some steps with the initial loss, a layer's gradient with
its weight. The original model, its gradients and the RNG are left as found.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from lintnn.diagnostics import Diagnostic
from lintnn.runtime.report import Report
from lintnn.runtime.torch.cascades import fold_dead_layers
from lintnn.runtime.torch.data_checks import check_inputs, check_labels, check_repeated
from lintnn.runtime.torch.diag import finding
from lintnn.runtime.torch.frozen import frozen_parameters, why_unchanged
from lintnn.runtime.torch.inputs import Inputs, first_tensor, is_float
from lintnn.runtime.torch.label_control import label_control
from lintnn.runtime.torch.modules import ModuleStack, eager
from lintnn.runtime.torch.probabilities import probabilities_into_logit_loss
from lintnn.runtime.torch.replay import graph_nodes
from lintnn.runtime.torch.state import preserved
from lintnn.runtime.torch.training import call_loss, copy_with_optimizer

CHANCE_BAND = (0.5, 1.6)  # initial loss / ln(C) outside this band: NR301
OVERFIT_FALL = 0.1  # loss must fall below this fraction of its start in OVERFIT_STEPS: NR302
OVERFIT_STEPS = 300  # fewer steps lower the bar in proportion (60 steps: 82% of the start)
DEAD_FRACTION = 0.5  # NR304
VANISHING, EXPLODING = 1e-3, 1e2  # NR305: first/last grad ratio, grad/weight norm ratio
ACT_STD = (0.1, 10.0)  # NR306: "far outside 0.5-2.0"
UPDATE_RATIO = (1e-5, 1e-1)  # NR307: around 1e-3
RATIO_HISTORY_STEPS = 20  # update/weight ratios recorded over the first steps, for plots
_RELUS = {torch.relu, torch.nn.functional.relu, torch.Tensor.relu, torch.relu_,
          torch.nn.functional.relu6}


@dataclass
class InitPass:
    loss: torch.Tensor
    output: Any
    act_std: dict[str, float] = field(default_factory=dict)
    dead: dict[str, float] = field(default_factory=dict)
    functions: dict[type, Any] = field(default_factory=dict)
    act_mean: dict[str, float] = field(default_factory=dict)
    order: list[tuple[str, str]] = field(default_factory=list)  # ("act"|"relu", module)


class _ReluWatch(TorchFunctionMode):
    """Fraction of units that are zero for every sample, per ReLU call site."""

    def __init__(self, stack: ModuleStack, order: list[tuple[str, str]]) -> None:
        super().__init__()
        self.stack = stack
        self.order = order
        self.dead: dict[str, float] = {}

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None):
        out = func(*args, **(kwargs or {}))
        if func in _RELUS and isinstance(out, torch.Tensor) and out.dim() > 1:
            alive = (out.detach() > 0).flatten(1).any(0)
            if self.stack.current not in self.dead:
                self.dead[self.stack.current] = float(1.0 - alive.float().mean())
                self.order.append(("relu", self.stack.current))
        return out


def _init_pass(model: nn.Module, inp: Inputs, target: Any, loss_fn: Callable) -> InitPass:
    weighted = {n for n, m in model.named_modules()
                if not list(m.children()) and getattr(m, "weight", None) is not None}
    act: dict[str, float] = {}
    mean: dict[str, float] = {}
    order: list[tuple[str, str]] = []

    def on_exit(name: str, module: nn.Module, args: Any, output: Any) -> None:
        out = first_tensor(output)
        if (name in weighted and name not in act and out is not None and is_float(out)
                and out.numel() > 1):
            values = out.detach().float()
            act[name] = float(values.std())
            mean[name] = float(values.mean())
            order.append(("act", name))

    with ModuleStack(model, on_exit=on_exit) as stack, _ReluWatch(stack, order) as relus:
        output = inp.call(model)
    loss = call_loss(loss_fn, output, target)
    functions = {}
    for node in graph_nodes([loss]):
        cls = getattr(node, "_forward_cls", None)
        if cls is not None and cls not in functions:
            functions[cls] = node
    return InitPass(loss, output, act, relus.dead, functions, mean, order)


def _classes(output: Any, target: Any, num_classes: int | None) -> int | None:
    if num_classes is not None:
        return num_classes
    out = first_tensor(output)
    if (out is not None and isinstance(target, torch.Tensor) and not is_float(target)
            and out.dim() == target.dim() + 1 and out.shape[-1] > 1):
        return int(out.shape[-1])
    return None


def _initial_loss(loss0: float, classes: int | None) -> list[Diagnostic]:
    if classes is None or classes < 2:
        return []
    chance = math.log(classes)
    if CHANCE_BAND[0] <= loss0 / chance <= CHANCE_BAND[1]:
        return []
    return [finding("NR301", f"initial loss {loss0:.3g} is far from chance level "
                    f"-ln(1/{classes}) = {chance:.3g}: check the final layer's init and "
                    f"the loss inputs (37 reasons #17, #28)", loss=loss0, chance=chance)]


def _weights(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    return [(n, p) for n, p in model.named_parameters() if p.requires_grad and p.dim() >= 2]


@torch.no_grad()
def _grad_ratios(model: nn.Module) -> dict[str, float]:
    return {n: float(p.grad.norm() / (p.norm() + 1e-12))
            for n, p in _weights(model) if p.grad is not None}


def _gradient_flow(ratios: dict[str, float]) -> list[Diagnostic]:
    found = []
    for name, r in ratios.items():
        if not math.isfinite(r) or r > EXPLODING:
            found.append(finding("NR305", f"exploding gradient in {name}: |grad|/|weight| = "
                                 f"{r:.3g} at init (37 reasons #35)",
                                 module=name.rpartition(".")[0], ratio=r))
    values = list(ratios.values())
    if len(values) >= 2 and values[-1] > 0 and values[0] / values[-1] < VANISHING:
        first = next(iter(ratios))
        found.append(finding("NR305", f"vanishing gradient: |grad|/|weight| of {first} is "
                             f"{values[0]:.3g}, {values[0] / values[-1]:.2g} times that of the "
                             f"last layer (37 reasons #35)",
                             module=first.rpartition(".")[0], ratio=values[0]))
    return found


def _activations(act: dict[str, float]) -> list[Diagnostic]:
    hidden = list(act.items())[:-1]  # the last layer's scale is the loss's business (NR301)
    return [finding("NR306", f"activation std {std:.3g} of {name!r} at init is far outside "
                    f"0.5-2.0: check the init of this layer (37 reasons #28, #35)",
                    module=name, std=std)
            for name, std in hidden if not ACT_STD[0] <= std <= ACT_STD[1]]


def _dead(dead: dict[str, float]) -> list[Diagnostic]:
    return [finding("NR304", f"{frac:.0%} of the ReLU units after {name or '<root>'!r} are "
                    f"zero for every sample (dead ReLUs): check biases, init and learning "
                    f"rate (37 reasons #35)", module=name, dead=frac)
            for name, frac in dead.items() if frac > DEAD_FRACTION]


@torch.no_grad()
def _update_ratios(before: dict[str, torch.Tensor], model: nn.Module) -> dict[str, float]:
    """|update| / |weight| of each tracked parameter over one optimizer step."""
    out = {}
    for name, old in before.items():
        delta = (model.get_parameter(name).detach() - old).norm()
        out[name] = float(delta / (old.norm() + 1e-12))
    return out


def _after_step(before: dict[str, torch.Tensor], model: nn.Module,
                opt: torch.optim.Optimizer) -> tuple[list, dict]:
    found: list[Diagnostic] = []
    ratios: dict[str, float] = {}
    frozen = []
    for name, p in model.named_parameters():
        if not p.requires_grad or name not in before:
            continue
        delta = (p.detach() - before[name]).norm()
        if float(delta) == 0.0:
            frozen.append(name)
        elif p.dim() >= 2:
            ratios[name] = float(delta / (before[name].norm() + 1e-12))
    groups = {id(p): g for g in opt.param_groups for p in g["params"]}
    params = dict(model.named_parameters())
    for name in frozen:
        reason, why = why_unchanged(params[name], groups.get(id(params[name])))
        found.append(finding("NR303", f"parameter {name!r} did not change after an optimizer "
                             f"step: {why} (37 reasons #23)", module=name.rpartition(".")[0],
                             parameter=name, reason=reason))
    for name, r in ratios.items():
        if not UPDATE_RATIO[0] <= r <= UPDATE_RATIO[1]:
            found.append(finding("NR307", f"update/weight ratio of {name!r} is {r:.2g}, far "
                                 f"from ~1e-3: the learning rate is too "
                                 f"{'high' if r > UPDATE_RATIO[1] else 'low'} (37 reasons #33)",
                                 module=name.rpartition(".")[0], ratio=r))
    return found, ratios


def _varied(inp: Inputs) -> Inputs:
    gen = torch.Generator().manual_seed(1)

    def vary(t: torch.Tensor) -> torch.Tensor:
        if is_float(t):
            noise = torch.randn(t.shape, generator=gen).to(t.device, t.dtype)
            return t + noise * (t.detach().float().std().clamp_min(1.0)).to(t.dtype)
        if t.dtype == torch.bool:
            return t
        values = t.unique()
        return values[(torch.searchsorted(values, t) + 1) % values.numel()]

    return inp.map(vary)


@torch.no_grad()
def _depends_on_input(model: nn.Module, inp: Inputs) -> list[Diagnostic]:
    """NR310: the output is the same for a different input (37 reasons #2)."""
    was = model.training
    model.eval()
    try:
        a = first_tensor(inp.call(model))
        b = first_tensor(_varied(inp).call(model))
    finally:
        model.train(was)
    if a is None or b is None or a.shape != b.shape or not is_float(a):
        return []
    if torch.allclose(a, b, atol=1e-7, rtol=1e-6):
        return [finding("NR310", "the model output does not change when the input changes: "
                        "the forward ignores its input (37 reasons #2)", module="")]
    return []


def _gradchecks(functions: dict[type, Any]) -> list[Diagnostic]:
    """NR311: gradcheck each custom autograd.Function seen in the graph (37 reasons #26)."""
    found = []
    for cls, node in functions.items():
        try:
            params = list(inspect.signature(cls.forward).parameters)[1:]
        except (TypeError, ValueError):
            continue
        metas = [(n, i) for n, i in node.next_functions]
        if len(params) != len(metas) or any(n is None for n, _ in metas):
            continue
        shapes = [n.variable.shape if type(n).__name__ == "AccumulateGrad"
                  else n._input_metadata[i].shape for n, i in metas]
        gen = torch.Generator().manual_seed(0)
        args = tuple(torch.randn(tuple(s), generator=gen, dtype=torch.float64,
                                 requires_grad=True) for s in shapes)
        try:
            ok = torch.autograd.gradcheck(cls.apply, args, eps=1e-6, atol=1e-4,
                                          raise_exception=False)
        except Exception:  # a forward that rejects float64 or random inputs: not judged
            continue
        if not ok:
            found.append(finding("NR311", f"custom autograd.Function {cls.__qualname__} fails "
                                 f"gradcheck: its backward does not match finite differences "
                                 f"(37 reasons #26)", function=cls.__qualname__))
    return found


def overfit_bar(steps: int) -> float:
    """The fraction of the initial loss one batch must be fitted below in ``steps`` steps:
    ``OVERFIT_FALL`` at ``OVERFIT_STEPS``, proportionally less of a fall for fewer steps
    (a healthy model has barely started at 10 steps)."""
    return 1.0 - (1.0 - OVERFIT_FALL) * min(1.0, steps / OVERFIT_STEPS)


def _split_batch(batch: Any) -> tuple[Any, Any, Any]:
    if callable(batch):
        first, second = batch(), batch()
        return first[0], first[1], second[0]
    x, y = batch
    return x, y, None


def check_health(
    model: nn.Module,
    loss_fn: Callable[..., Any],
    batch: Any,
    num_classes: int | None = None,
    optimizer: Any = None,
    steps: int = 300,
) -> Report:
    """Run the health checks on ``batch`` = ``(inputs, target)`` or a function that draws one.

    ``optimizer``: an optimizer (copied with the model: the copy trains with its param
    groups, hyperparameters and state; the optimizer itself is not touched) or a function
    ``params -> optimizer``; default Adam(lr=3e-3). ``steps`` bounds the
    overfit-one-batch check (37 reasons #27).
    """
    model = eager(model)
    report = Report("check_health")
    x, target, second = _split_batch(batch)
    inp = Inputs.of(model, x)
    report.findings += check_labels(target)
    found, stats = check_inputs(inp.tensors())
    report.findings += found
    if second is not None:
        report.findings += check_repeated(inp.tensors(), Inputs.of(model, second).tensors())
    report.findings += frozen_parameters(model)
    with preserved(model, copy_params=False):
        torch.manual_seed(0)
        work, opt = copy_with_optimizer(model, optimizer)
        work.train()
        report.findings += _depends_on_input(work, inp)
        report.findings += _train(work, opt, inp, target, loss_fn, num_classes, steps, report)
        if not any(f.code in ("NR302", "NR308") for f in report.findings):
            report.findings += label_control(model, optimizer, inp, target, loss_fn, report)
    report.findings = fold_dead_layers(report.findings, report.data)
    report.data["inputs"] = stats
    return report


def _train(work: nn.Module, opt: torch.optim.Optimizer, inp: Inputs, target: Any,
           loss_fn: Callable, num_classes: Any, steps: int, report: Report) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    init = _init_pass(work, inp, target, loss_fn)
    loss0 = float(init.loss.detach())
    found += _initial_loss(loss0, _classes(init.output, target, num_classes))
    found += _activations(init.act_std)
    found += _dead(init.dead)
    found += _gradchecks(init.functions)
    opt.zero_grad()
    init.loss.backward()
    grads = _grad_ratios(work)
    found += _gradient_flow(grads)
    before = {n: p.detach().clone() for n, p in work.named_parameters()}
    opt.step()
    stepped, updates = _after_step(before, work, opt)
    found += stepped
    for m in work.modules():
        if isinstance(m, nn.modules.dropout._DropoutNd):
            m.eval()  # overfitting one batch is judged without dropout (37 reasons #30)
    curve = [loss0]
    history = {name: [ratio] for name, ratio in updates.items()}
    for step in range(steps - 1):
        opt.zero_grad()
        loss = call_loss(loss_fn, inp.call(work), target)
        curve.append(float(loss.detach()))
        if not math.isfinite(curve[-1]) or curve[-1] <= OVERFIT_FALL * loss0:
            break
        loss.backward()
        tracked = step + 1 < RATIO_HISTORY_STEPS
        if tracked:
            before = {n: work.get_parameter(n).detach().clone() for n in history}
        opt.step()
        if tracked:
            for name, ratio in _update_ratios(before, work).items():
                history[name].append(ratio)
    simplex = probabilities_into_logit_loss(init.output, target, loss0)
    if simplex is not None:
        found.append(simplex)
    elif not curve[-1] <= overfit_bar(steps) * abs(loss0):
        found.append(finding("NR302", f"cannot overfit one batch: the loss went from "
                             f"{loss0:.3g} to {curve[-1]:.3g} in {len(curve)} steps (needs "
                             f"<= {overfit_bar(steps):.0%} of the start in {steps} steps): a "
                             f"bug in the model, loss or labels (37 reasons #27)",
                             curve=curve[-5:]))
    classes = _classes(init.output, target, num_classes)
    report.data.update({
        "loss_curve": curve, "activation_std": init.act_std,
        "activation_mean": init.act_mean, "dead_relu": init.dead,
        "grad_weight_ratio": grads, "update_weight_ratio": history, "initial_loss": loss0,
        "chance_loss": math.log(classes) if classes and classes >= 2 else None,
        "forward_order": init.order,
    })
    return found
