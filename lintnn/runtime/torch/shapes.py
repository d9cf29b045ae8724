"""Prime-sized shape probes on fake tensors (NR101 dims mixed, NR102 loss broadcast, NR104).

Every symbolic input dim gets its own prime; the model runs under ``FakeTensorMode`` (no
FLOPs, no tensor memory) with a ``TorchDispatchMode`` on top that follows every tensor's
layout in named dims (37 reasons #25): which names each axis holds, in which order, so a
``view(B*T, -1)`` followed by ``view(T, B, -1)`` is seen to cut both dims although every
size factors correctly.
"""

from __future__ import annotations

import contextlib
import math
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch._subclasses.fake_tensor import FakeTensorMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.weak import WeakTensorKeyDictionary

from lintnn.diagnostics import Diagnostic, Severity
from lintnn.runtime import layout as L
from lintnn.runtime.dims import describe, factor
from lintnn.runtime.report import Report
from lintnn.runtime.torch.diag import finding
from lintnn.runtime.torch.inputs import Inputs, first_tensor, tensor_leaves
from lintnn.runtime.torch.modules import ModuleStack, eager
from lintnn.runtime.torch.probe_dims import (
    DimSpec,
    default_spec,
    primes_for,
    probe_shape,
    real_like,
)
from lintnn.runtime.torch.source import user_frame, user_frame_of
from lintnn.runtime.torch.state import preserved

_VIEWS = {"aten.view", "aten._unsafe_view", "aten.reshape", "aten.view_copy"}
_CONTRACTIONS = {"aten.mm", "aten.bmm", "aten.addmm", "aten.matmul", "aten.baddbmm",
                 "aten.einsum", "aten.outer", "aten.addbmm", "aten.tensordot", "aten.cdist"}


def _names(shape: Any, primes: Mapping[str, int]) -> list[tuple[str, ...]]:
    return [factor(int(s), primes)[0] for s in shape]


def mixed_dim(in_shape: Any, out_shape: Any, primes: Mapping[str, int],
              layout: L.Layout | None = None) -> str | None:
    """The named dim a row-major view moves across other factors, if any.

    With ``layout`` (which names each input axis holds, in which order, major first) the
    answer is exact: the first name the view cuts across output axes. Without it only
    sizes are known: in row-major order a dim of size ``p`` occupies the stride range
    ``[inner, inner * p)``, and a view keeps its elements together only if that range is
    the same before and after; for a merged dim (``B*H``) only the merged range is known,
    so the check asks whether the two ranges overlap enough to hold it.
    """
    if 0 in tuple(in_shape) or 0 in tuple(out_shape):
        return None
    if layout is not None:
        cut = L.reshape(layout, [int(s) for s in out_shape], primes)[1]
        return cut[0] if cut else None
    fin, fout = _names(in_shape, primes), _names(out_shape, primes)
    for name in primes:
        ins = [i for i, n in enumerate(fin) for _ in range(n.count(name))]
        outs = [i for i, n in enumerate(fout) for _ in range(n.count(name))]
        if len(ins) != 1 or len(outs) != 1:
            continue
        lo_i = math.prod(in_shape[ins[0] + 1:])
        hi_i = lo_i * in_shape[ins[0]]
        lo_o = math.prod(out_shape[outs[0] + 1:])
        hi_o = lo_o * out_shape[outs[0]]
        if max(lo_i, lo_o) * primes[name] > min(hi_i, hi_o):
            return name
    return None


def _exact(axis: L.Axis) -> bool:
    """An axis whose order is known without provenance: one atom, or no name in it."""
    return len(axis) <= 1 or not any(isinstance(a, str) for a in axis)


def _cut(in_shape: Any, out_shape: Any, primes: Mapping[str, int],
         layout: L.Layout) -> tuple[L.Layout, list[str]]:
    """The layout after a view and the names it cuts across output axes."""
    if 0 in tuple(in_shape) or 0 in tuple(out_shape):
        return _by_size(out_shape, primes), []
    return L.reshape(layout, [int(s) for s in out_shape], primes)


def _moved_axes(op: str, args: Any, rank: int) -> list[int | None] | None:
    """For ops that only move, add or drop axes: the input axis behind each output axis
    (``None`` for a new size-1 axis)."""
    axes: list[int | None] = list(range(rank))
    if op == "aten.transpose" and len(args) >= 3 and rank:
        a, b = (int(d) % rank for d in args[1:3])
        axes[a], axes[b] = axes[b], axes[a]
    elif op == "aten.permute" and len(args) >= 2 and len(args[1]) == rank:
        axes = [int(d) % rank for d in args[1]]
    elif op == "aten.t" and rank == 2:
        axes = [1, 0]
    elif op == "aten.unsqueeze" and len(args) >= 2:
        axes.insert(int(args[1]) % (rank + 1), None)
    elif op == "aten.select" and len(args) >= 2 and rank:
        del axes[int(args[1]) % rank]
    else:
        return None
    return axes


def _by_size(shape: Any, primes: Mapping[str, int]) -> L.Layout:
    return tuple(L.by_size(int(s), primes) for s in shape)


def show(layout: L.Layout) -> str:
    """A layout as text, names in their order inside an axis: ``(T*B, 5)``."""
    def axis(atoms: L.Axis) -> str:
        static = math.prod(a for a in atoms if isinstance(a, int))
        names = [a for a in atoms if isinstance(a, str)]
        return "*".join(([str(static)] if static != 1 or not names else []) + names)

    parts = [axis(a) for a in layout]
    return f"({parts[0]},)" if len(parts) == 1 else "(" + ", ".join(parts) + ")"


class ShapeTracker(TorchDispatchMode):
    """Follows every tensor's layout in named dims; flags mixing views and loss broadcasts."""

    def __init__(self, primes: Mapping[str, int], stack: ModuleStack,
                 stop: Any = None) -> None:
        super().__init__()
        self.primes = dict(primes)
        self.stack = stack
        self.stop = stop  # the frame that calls the model: user lines are looked for inside
        self.phase = "forward"
        self.ops = 0
        self.findings: list[Diagnostic] = []
        self.layouts: WeakTensorKeyDictionary = WeakTensorKeyDictionary()
        self.assumed: list[str | None] = []  # where a meta tensor's truth value was assumed
        self._seen: set[tuple[str, str | None, str]] = set()

    def layout(self, t: torch.Tensor) -> L.Layout:
        """The names of each axis of ``t``, major first (by size when never seen)."""
        return self._known(t)[0]

    def _known(self, t: torch.Tensor) -> tuple[L.Layout, tuple[bool, ...]]:
        """The layout of ``t`` and, per axis, whether its order of names is known."""
        found = self.layouts.get(t)
        if found is not None and len(found[0]) == t.dim():
            return found
        lay = _by_size(t.shape, self.primes)
        return lay, tuple(_exact(a) for a in lay)

    def _set(self, t: torch.Tensor, lay: L.Layout, exact: Any = None) -> None:
        self.layouts[t] = (lay, tuple(exact) if exact is not None
                           else tuple(_exact(a) for a in lay))

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None):
        if (func is torch.ops.aten._local_scalar_dense.default and args[0].is_meta
                and args[0].dtype == torch.bool):
            # A model built on the meta device has no values: a branch on one (transformers
            # asks ``attention_mask.all()`` to skip building a mask) takes the True side.
            self.assumed.append(user_frame(stop=None))
            return True
        out = func(*args, **(kwargs or {}))
        self.ops += 1
        op = str(func.overloadpacket)
        if op in _VIEWS and isinstance(args[0], torch.Tensor) and isinstance(out, torch.Tensor):
            self._check_view(op, args[0], out)
            return out
        if self.phase == "loss" and op not in _CONTRACTIONS:
            self._check_broadcast(op, args, kwargs, out)
        self._propagate(op, args, out)
        return out

    def _propagate(self, op: str, args: Any, out: Any) -> None:
        """Record the layout of ``out``: axes moved by transpose/permute/unsqueeze follow
        their names; other ops copy the input axis of the same size and position."""
        src = args[0] if args and isinstance(args[0], torch.Tensor) else None
        if isinstance(out, torch.Tensor) and src is not None:
            lay, exact = self._known(src)
            order = _moved_axes(op, args, len(lay))
            if order is not None and len(order) == out.dim():
                self._set(out, tuple(lay[i] if i is not None else () for i in order),
                          [exact[i] if i is not None else True for i in order])
                return
        outs = tensor_leaves(out)
        if not outs:
            return
        ins = [self._known(t) for t in tensor_leaves(list(args))]
        for t in outs:
            axes, flags = [], []
            for i, size in enumerate(t.shape):
                same = next(((lay[i], ok[i]) for lay, ok in ins if len(lay) == t.dim()
                             and L.axis_size(lay[i], self.primes) == int(size)), None)
                axis = same[0] if same else L.by_size(int(size), self.primes)
                axes.append(axis)
                flags.append(same[1] if same else _exact(axis))
            self._set(t, tuple(axes), flags)

    def _add(self, code: str, op: str, message: str, **extra: Any) -> None:
        source = user_frame(stop=self.stop)
        key = (code, source, op)
        if key in self._seen:
            return
        self._seen.add(key)
        module = self.stack.current if self.phase == "forward" else None
        self.findings.append(finding(code, message, module=module, source=source, op=op, **extra))

    def _check_view(self, op: str, src: torch.Tensor, out: torch.Tensor) -> None:
        before, exact = self._known(src)
        after, cut = _cut(src.shape, out.shape, self.primes, before)
        if all(exact):
            self._set(out, after, [True] * len(after))
        else:  # a guessed order inside a merged axis: judge by sizes only
            self._set(out, _by_size(out.shape, self.primes))
            name = mixed_dim(src.shape, out.shape, self.primes)
            cut = [name] if name else []
        if not cut:
            return
        b, a = show(before), describe(out.shape, self.primes)
        names = " and ".join(dict.fromkeys(cut))
        what = f"dim {names} is" if len(set(cut)) == 1 else f"dims {names} are"
        self._add(
            "NR101", op,
            f"{op} turns {b} into {a}: {what} moved across other factors, so the "
            f"elements mix with those of other dims; split or merge dims next to each "
            f"other and use transpose/permute to reorder (37 reasons #25)",
            before=b, after=a, dim=cut[0], dims=list(dict.fromkeys(cut)),
        )

    def _check_broadcast(self, op: str, args: Any, kwargs: Any, out: Any) -> None:
        ins = [t for t in tensor_leaves(list(args) + list((kwargs or {}).values()))]
        outs = tensor_leaves(out)
        if not ins or not outs:
            return
        for name in self.primes:
            n_out = max(sum(n.count(name) for n in _names(t.shape, self.primes)) for t in outs)
            n_in = max(sum(n.count(name) for n in _names(t.shape, self.primes)) for t in ins)
            if n_out >= 2 and n_out > n_in:
                shapes = " and ".join(describe(t.shape, self.primes) for t in ins)
                self._add(
                    "NR102", op,
                    f"the loss broadcasts {shapes} into "
                    f"{describe(outs[0].shape, self.primes)} at {op}: every prediction is "
                    f"compared with every target along {name}; make prediction and target "
                    f"the same shape (squeeze the trailing 1) (37 reasons #18, #19)",
                    dim=name,
                )
                return


@dataclass
class ProbeRun:
    ok: bool
    mode: str
    tracker: ShapeTracker | None = None
    error: BaseException | None = None
    module: str | None = None
    module_inputs: str | None = None
    layers: list[dict[str, Any]] = field(default_factory=list)
    output: Any = None


def _device(model: nn.Module, fallback: torch.device) -> torch.device:
    for p in model.parameters():
        return p.device
    return fallback


def _run(
    model: nn.Module,
    inp: Inputs,
    target: Any,
    loss_fn: Callable[..., Any] | None,
    spec: DimSpec,
    primes: Mapping[str, int],
    mode: str,
) -> ProbeRun:
    """One probe in ``mode``: "meta" (model already on meta), "fake" or "real" tensors."""
    gen = torch.Generator().manual_seed(0)
    layers: list[dict[str, Any]] = []
    entered: dict[str, str] = {}

    def on_enter(name: str, module: nn.Module, args: Any) -> None:
        entered[name] = ", ".join(describe(t.shape, primes) for t in tensor_leaves(args))

    def on_exit(name: str, module: nn.Module, args: Any, output: Any) -> None:
        out = first_tensor(output)
        layers.append({
            "module": name, "type": type(module).__name__, "inputs": entered.get(name, ""),
            "output": describe(out.shape, primes) if out is not None else None,
        })

    run = ProbeRun(ok=False, mode=mode, layers=layers)
    named = dict(inp.named())
    if target is not None:
        named["target"] = target
    with contextlib.ExitStack() as es, ModuleStack(model, on_enter, on_exit) as stack:
        es.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")
        es.enter_context(torch.no_grad())
        if mode == "fake":
            es.enter_context(FakeTensorMode(allow_non_fake_inputs=True))
        probe: dict[str, Any] = {}
        tracker = ShapeTracker(primes, stack, sys._getframe())
        for key, value in named.items():
            if not isinstance(value, torch.Tensor):
                probe[key] = value
                continue
            row = spec.get(key, ())
            shape = probe_shape(value, row, primes)
            device = _device(model, value.device)
            if mode != "real":
                probe[key] = torch.empty(shape, dtype=value.dtype, device=device)
            else:
                probe[key] = real_like(value, shape, device, gen)
            tracker._set(probe[key], tuple(
                (row[i],) if i < len(row) and row[i] else L.by_size(int(s), primes)
                for i, s in enumerate(shape)))
        run.tracker = tracker
        es.enter_context(tracker)
        probe_target = probe.pop("target", None)
        try:
            run.output = inp.replace(probe).call(model)
            if loss_fn is not None:
                tracker.phase = "loss"
                loss_fn(run.output, probe_target) if target is not None else loss_fn(run.output)
            run.ok = True
        except Exception as exc:  # the model's own error is the finding
            run.error = exc
            run.module = stack.deepest_failed if stack.deepest_failed is not None else (
                stack.current if stack.stack else None)
            run.module_inputs = entered.get(run.module or "")
    return run


def _output_check(run: ProbeRun, primes: Mapping[str, int], spec: DimSpec) -> list[Diagnostic]:
    out = first_tensor(run.output)
    if out is None or out.dim() == 0 or "B" not in primes:
        return []
    if not any(row and row[0] == "B" for row in spec.values()):
        return []
    where = [i for i, n in enumerate(_names(out.shape, primes)) if "B" in n]
    shape = describe(out.shape, primes)
    if not where:
        message = (f"the model output {shape} has no batch dim B: a reduction or view "
                   f"lost it, so samples are mixed or dropped (37 reasons #25)")
    elif where[0] != 0 and _names(out.shape, primes)[0] == ():
        message = (f"the model output {shape} has the batch dim B at position {where[0]}, "
                   f"not 0 (37 reasons #25)")
    else:
        return []
    return [finding("NR101", message, module="", severity=Severity.WARNING, output=shape)]


def _failure(run: ProbeRun, primes: Mapping[str, int], severity: Severity | None,
             note: str = "") -> Diagnostic:
    err = run.error
    module = run.module
    where = f" in module {module!r}" if module else (" in the root module" if module == ""
                                                      else "")
    ins = f" whose inputs were {run.module_inputs}" if run.module_inputs else ""
    dims = ", ".join(f"{n}={p}" for n, p in primes.items())
    first_line = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return finding(
        "NR104",
        f"the model fails on probe shapes ({dims}){where}{ins}: "
        f"{type(err).__name__}: {first_line}{note}",
        module=module, source=user_frame_of(err) if err else None, severity=severity,
        error=f"{type(err).__name__}: {err}",
    )


def probe_shapes(
    model: nn.Module,
    inputs: Any,
    target: Any = None,
    loss_fn: Callable[..., Any] | None = None,
    dims: DimSpec | None = None,
) -> Report:
    """Run ``model`` (and ``loss_fn``) on prime-sized fake inputs; see the module docstring."""
    model = eager(model)
    inp = Inputs.of(model, inputs)
    tensors = dict(inp.tensors())
    if isinstance(target, torch.Tensor):
        tensors["target"] = target
    spec = {**default_spec(tensors), **(dict(dims) if dims else {})}
    report = Report("probe_shapes")
    with preserved(model, copy_params=False):
        run, primes = _probe(model, inp, target, loss_fn, spec, tensors, report)
        if not run.ok and dims is None and any(
            n not in (None, "B") for row in spec.values() for n in row
        ):
            spec_b = default_spec(tensors, batch_only=True)
            retry, primes_b = _probe(model, inp, target, loss_fn, spec_b, tensors, report)
            if retry.ok:
                report.findings.append(_failure(
                    run, primes, Severity.INFO,
                    "; it passes with only the batch dim symbolic, so the other dims were "
                    "kept at their real sizes (pass dims= to name the dims that may vary)",
                ))
                run, primes, spec = retry, primes_b, spec_b
    if run.ok and run.tracker is not None:
        report.findings.extend(run.tracker.findings)
        report.findings.extend(_output_check(run, primes, spec))
    elif not run.ok:
        values = run.mode == "meta" and "meta tensors" in str(run.error)
        report.findings.append(_failure(
            run, primes, Severity.INFO if values else None,
            "; the model reads a tensor value, which a model on the meta device does not "
            "have: build it on a real device to probe it" if values else ""))
    report.data["shapes"] = {
        "dims": dict(primes), "spec": {k: list(v) for k, v in spec.items()}, "mode": run.mode,
        "ops": run.tracker.ops if run.tracker else 0, "layers": run.layers,
        "assumed_true": run.tracker.assumed if run.tracker else [],
    }
    return report


def _probe(model: nn.Module, inp: Inputs, target: Any, loss_fn: Any, spec: DimSpec,
           tensors: Mapping[str, torch.Tensor], report: Report) -> tuple[ProbeRun, dict]:
    primes = primes_for(model, tensors, spec)
    on_meta = any(p.is_meta for p in model.parameters())
    # A model on meta needs no fake tensors: meta kernels propagate shapes directly.
    run = _run(model, inp, target, loss_fn, spec, primes, "meta" if on_meta else "fake")
    if run.ok or on_meta:
        return run, primes
    real = _run(model, inp, target, loss_fn, spec, primes, "real")
    if real.ok:
        report.findings.append(finding(
            "NR104",
            f"fake tensors could not run the model ({type(run.error).__name__} in module "
            f"{run.module!r}: a data-dependent op); probed with small real tensors instead",
            module=run.module, severity=Severity.INFO,
        ))
    return real, primes
