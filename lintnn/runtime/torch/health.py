"""Training-health checks (NR301-NR311) on a deep copy of the model.

Each check compares a measurement with the data it came from: the initial loss with
chance level, the loss after some steps with the initial loss, a layer's gradient with
its weight. The original model, its gradients and the RNG are left as found.
"""

from __future__ import annotations

import copy
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from lintnn.diagnostics import Diagnostic, Severity
from lintnn.runtime.report import Report
from lintnn.runtime.torch.data_checks import check_inputs, check_labels, check_repeated
from lintnn.runtime.torch.diag import finding, fold
from lintnn.runtime.torch.inputs import Inputs, first_tensor, is_float
from lintnn.runtime.torch.modules import ModuleStack, eager
from lintnn.runtime.torch.replay import graph_nodes
from lintnn.runtime.torch.state import preserved

CHANCE_BAND = (0.5, 1.6)  # initial loss / ln(C) outside this band: NR301
OVERFIT_FALL = 0.1  # loss must fall below this fraction of its start in OVERFIT_STEPS: NR302
OVERFIT_STEPS = 300  # fewer steps lower the bar in proportion (60 steps: 82% of the start)
DEAD_FRACTION = 0.5  # NR304
VANISHING, EXPLODING = 1e-3, 1e2  # NR305: first/last grad ratio, grad/weight norm ratio
ACT_STD = (0.1, 10.0)  # NR306: "far outside 0.5-2.0"
UPDATE_RATIO = (1e-5, 1e-1)  # NR307: around 1e-3
RATIO_HISTORY_STEPS = 20  # update/weight ratios recorded over the first steps, for plots
LABEL_ROWS = 32  # NR308 label control: rows a batch needs before its labels are judged
LABEL_STEPS = 100  # steps of the true and the shuffled-label runs compared
LABEL_CONTROLS = 2  # shuffled-label runs averaged
LABEL_RATIO = 0.95  # true-label loss area / shuffled-label loss area at or above this: NR308
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


def _call_loss(loss_fn: Callable[..., Any], out: Any, target: Any) -> torch.Tensor:
    return loss_fn(out, target) if target is not None else loss_fn(out)


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
    loss = _call_loss(loss_fn, output, target)
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
        reason, why = _why_unchanged(params[name], groups.get(id(params[name])))
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


def _why_unchanged(p: nn.Parameter, group: dict[str, Any] | None) -> tuple[str, str]:
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


def _frozen(model: nn.Module) -> list[Diagnostic]:
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


def _copy_with_optimizer(model: nn.Module, optimizer: Any
                         ) -> tuple[nn.Module, torch.optim.Optimizer]:
    """A deep copy of ``model`` and an optimizer over the copy's parameters.

    A user's optimizer is deep-copied together with the model, so the copy keeps its param
    groups (a parameter left out stays out), hyperparameters and state; the user's
    optimizer is not touched. A function ``params -> optimizer`` gets every parameter.
    """
    if isinstance(optimizer, torch.optim.Optimizer):
        memo: dict[int, Any] = {}
        work = copy.deepcopy(model, memo)
        try:
            return work, copy.deepcopy(optimizer, memo)
        except Exception:  # an optimizer that cannot be copied: rebuilt from its groups
            copies = {id(p): memo[id(p)] if id(p) in memo else copy.deepcopy(p, memo)
                      for g in optimizer.param_groups for p in g["params"]}
            groups = [{**g, "params": [copies[id(p)] for p in g["params"]]}
                      for g in optimizer.param_groups]
            return work, type(optimizer)(groups, **optimizer.defaults)
    work = copy.deepcopy(model)
    if optimizer is None:
        return work, torch.optim.Adam(work.parameters(), lr=3e-3)
    return work, optimizer(work.parameters())


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


def _fold_dead_layers(found: list[Diagnostic], data: dict[str, Any]) -> list[Diagnostic]:
    """A ReLU dead for every unit and sample is the root cause of what follows from it:
    the output no longer depends on the input (NR310), no gradient reaches the layers
    around it (NR303 zero gradient, NR305 vanishing), the layers after it see a constant
    (NR306, more dead ReLUs) and the batch cannot be fitted (NR302). Those are folded under
    the dead-ReLU finding, which comes first."""
    order = data.get("forward_order", [])
    dead = [name for kind, name in order if kind == "relu" and data["dead_relu"][name] >= 1.0]
    root = next((f for f in found if f.code == "NR304" and dead and f.module == dead[0]), None)
    if root is None:
        return found
    site = order.index(("relu", dead[0]))
    after = {name for _, name in order[site + 1:]}
    feeding = [name for kind, name in order[:site] if kind == "act"]

    def consequence(f: Diagnostic) -> bool:
        if f is root:
            return False
        return ((f.code in ("NR310", "NR302") and f.extra.get("cause") is None)
                or (f.code == "NR303" and f.extra.get("reason") == "zero-gradient")
                or (f.code == "NR305" and f.extra.get("ratio") == 0.0)
                or (f.code in ("NR304", "NR306") and f.module in after))

    if feeding:
        root = root.with_changes(message=f"{root.message}; the layer feeding it is "
                                 f"{feeding[-1]!r}")
    return fold(found, root, [f for f in found if consequence(f)])


def overfit_bar(steps: int) -> float:
    """The fraction of the initial loss one batch must be fitted below in ``steps`` steps:
    ``OVERFIT_FALL`` at ``OVERFIT_STEPS``, proportionally less of a fall for fewer steps
    (a healthy model has barely started at 10 steps)."""
    return 1.0 - (1.0 - OVERFIT_FALL) * min(1.0, steps / OVERFIT_STEPS)


def _simplex_dim(out: torch.Tensor) -> int | None:
    """The dim along which ``out`` is a probability distribution (>= 0, sums to 1)."""
    if not out.is_floating_point() or out.dim() < 2 or bool((out < -1e-6).any()):
        return None
    for dim in dict.fromkeys((1, out.dim() - 1)):
        if out.shape[dim] > 1 and torch.allclose(out.sum(dim), torch.ones(()), atol=1e-4):
            return dim
    return None


@torch.no_grad()
def _probabilities_into_logit_loss(init: InitPass, target: Any, loss0: float
                                   ) -> Diagnostic | None:
    """NR302 with its cause: the output is already probabilities and the loss applies
    log_softmax (or sigmoid) to them again, so its floor is far above 0 (37 reasons #19)."""
    out = first_tensor(init.output)
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
    report.findings += _frozen(model)
    with preserved(model, copy_params=False):
        torch.manual_seed(0)
        work, opt = _copy_with_optimizer(model, optimizer)
        work.train()
        report.findings += _depends_on_input(work, inp)
        report.findings += _train(work, opt, inp, target, loss_fn, num_classes, steps, report)
        if not any(f.code in ("NR302", "NR308") for f in report.findings):
            report.findings += _label_control(model, optimizer, inp, target, loss_fn, report)
    report.findings = _fold_dead_layers(report.findings, report.data)
    report.data["inputs"] = stats
    return report


def _fit(work: nn.Module, opt: torch.optim.Optimizer, inp: Inputs, target: Any,
         loss_fn: Callable, steps: int) -> list[float]:
    """The loss before each of ``steps`` optimizer steps on one batch (dropout off after
    the first, as in the overfit run)."""
    curve = []
    for step in range(steps):
        opt.zero_grad()
        loss = _call_loss(loss_fn, inp.call(work), target)
        curve.append(float(loss.detach()))
        loss.backward()
        opt.step()
        if step == 0:
            for m in work.modules():
                if isinstance(m, nn.modules.dropout._DropoutNd):
                    m.eval()
    return curve


def _label_control(model: nn.Module, optimizer: Any, inp: Inputs, target: Any,
                   loss_fn: Callable, report: Report) -> list[Diagnostic]:
    """NR308: labels that do not follow the inputs (shuffled apart from them, 37 reasons
    #4). A small batch is memorised whatever its labels, but labels that depend on the
    inputs are fitted faster than the same labels shuffled; the model is trained again,
    from the same start, on shuffled copies, and the areas under the loss curves compared.
    Judged only for batches of ``LABEL_ROWS`` rows or more."""
    curve = report.data.get("loss_curve", [])
    rows = target.shape[0] if isinstance(target, torch.Tensor) and target.dim() else 0
    steps = min(len(curve), LABEL_STEPS)
    if (rows < LABEL_ROWS or steps < 10 or any(not math.isfinite(v) or v < 0 for v in curve)
            or any(t.dim() == 0 or t.shape[0] != rows for t in inp.tensors().values())):
        return []
    gen = torch.Generator().manual_seed(0)
    areas = []
    for _ in range(LABEL_CONTROLS):
        perm = torch.randperm(rows, generator=gen).to(target.device)
        torch.manual_seed(0)
        work, opt = _copy_with_optimizer(model, optimizer)
        work.train()
        control = _fit(work, opt, inp, target[perm], loss_fn, steps)
        if not all(math.isfinite(v) for v in control):
            return []
        areas.append(sum(control))
    ratio = sum(curve[:steps]) / (sum(areas) / len(areas))
    report.data["label_control"] = {"rows": rows, "steps": steps, "ratio": ratio}
    if ratio < LABEL_RATIO:
        return []
    return [finding("NR308", f"the labels do not seem to follow the inputs: the model fits "
                    f"them no faster than the same labels shuffled (loss area ratio "
                    f"{ratio:.2f} over {steps} steps, >= {LABEL_RATIO}); check that inputs "
                    f"and labels are shuffled or indexed together (37 reasons #4)",
                    ratio=ratio, rows=rows)]


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
        loss = _call_loss(loss_fn, inp.call(work), target)
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
    simplex = _probabilities_into_logit_loss(init, target, loss0)
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
