"""Exact origin of a non-finite value: replay one step op by op (only when a check fired).

Forward: a ``TorchDispatchMode`` names the first aten op that turns finite inputs into
NaN/Inf, with the module path and the user's source line. Backward: autograd node hooks
name the first backward node that does the same; a ``TorchFunctionMode`` recorded during
the replayed forward which module and line created that node.
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from lintnn.runtime.torch.inputs import tensor_leaves
from lintnn.runtime.torch.modules import ModuleStack
from lintnn.runtime.torch.source import user_frame

# Ops that are never the origin: fills write +-inf on purpose (attention masks), and
# uninitialized allocations may hold NaN garbage until an op writes into them.
_NOT_ORIGINS = {
    "aten.full", "aten.fill", "aten.masked_fill", "aten.where", "aten.scalar_tensor",
    "aten.full_like", "aten.copy", "aten._to_copy", "aten.lift_fresh", "aten.clone",
    "aten.empty", "aten.empty_like", "aten.empty_strided", "aten.new_empty",
    "aten.new_empty_strided", "aten.resize", "aten.set", "aten.detach", "aten.alias",
}


def _floats(t: Any) -> bool:
    return isinstance(t, torch.Tensor) and (t.is_floating_point() or t.is_complex())


def nonfinite(t: Any) -> bool:
    """True when a float tensor holds a NaN or Inf (one host sync: replay only)."""
    return _floats(t) and not bool(torch.isfinite(t).all())


def has_nan(t: Any) -> bool:
    """True when a float tensor holds a NaN (an Inf alone does not count)."""
    return _floats(t) and bool(torch.isnan(t).any())


@dataclass
class Site:
    module: str | None
    op: str
    source: str | None
    from_inf: bool = False  # a NaN made from infinite, not NaN, inputs (inf - inf, 0 * inf)


class FirstNonFinite(TorchDispatchMode):
    """Records the first op whose outputs are non-finite while its inputs were finite
    (``site``), and the first op that makes a NaN from inputs without one (``nan_birth``):
    an input may hold -inf on purpose (an additive attention mask), so what it is judged
    by is whether a NaN is born from it."""

    def __init__(self, stack: ModuleStack | None, stop: types.FrameType | None = None) -> None:
        super().__init__()
        self.stack = stack
        self.stop = stop
        self.site: Site | None = None
        self.nan_birth: Site | None = None
        self.site_first = False  # the site was recorded no later than the NaN birth

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None):
        out = func(*args, **(kwargs or {}))
        if self.site is not None and self.nan_birth is not None:
            return out
        op = str(func.overloadpacket)
        outs = tensor_leaves(out)
        if op in _NOT_ORIGINS or not any(nonfinite(t) for t in outs):
            return out
        ins = tensor_leaves(list(args) + list((kwargs or {}).values()))
        module = self.stack.current if self.stack else None
        if self.site is None and not any(nonfinite(t) for t in ins):
            self.site = Site(module, op, user_frame(stop=self.stop))
            self.site_first = self.nan_birth is None
        if (self.nan_birth is None and any(has_nan(t) for t in outs)
                and not any(has_nan(t) for t in ins)):
            self.nan_birth = Site(module, op, user_frame(stop=self.stop),
                                  from_inf=any(nonfinite(t) for t in ins))
        return out

    def origin(self, inputs_inf: bool) -> tuple[str, Site] | None:
        """``("forward"|"input", site)`` of the first non-finite value, if the forward made
        one: a NaN made from finite values, else the op that made the Inf it came from,
        else (no Inf made inside) the input whose Inf it came from."""
        birth, site = self.nan_birth, self.site
        if birth is not None and not birth.from_inf:
            return "forward", birth
        if birth is not None:
            if site is not None and self.site_first:
                return "forward", site
            return ("input" if inputs_inf else "forward"), birth
        return ("forward", site) if site is not None else None


class NodeOrigins(TorchFunctionMode):
    """Maps each autograd node created in the forward to its module, source line and
    whether its forward inputs held a NaN/Inf."""

    def __init__(self, stack: ModuleStack, stop: types.FrameType | None = None) -> None:
        super().__init__()
        self.stack = stack
        self.stop = stop
        self.nodes: dict[Any, tuple[str, str | None, bool]] = {}

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None):
        out = func(*args, **(kwargs or {}))
        for t in tensor_leaves(out):
            node = t.grad_fn
            if node is not None and node not in self.nodes:
                ins = tensor_leaves(list(args) + list((kwargs or {}).values()))
                self.nodes[node] = (self.stack.current, user_frame(stop=self.stop),
                                    any(nonfinite(i) for i in ins))
        return out


def node_op(node: Any) -> str:
    """``LogBackward0`` -> ``aten.log``; a custom Function keeps its class name."""
    forward_cls = getattr(node, "_forward_cls", None)
    if forward_cls is not None:
        return f"{forward_cls.__qualname__}.backward (custom autograd.Function)"
    name = re.sub(r"Backward\d*$", "", node.name())
    return "aten." + re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def graph_nodes(roots: Sequence[torch.Tensor]) -> list[Any]:
    """Every autograd node reachable from ``roots``, roots first."""
    seen: dict[Any, None] = {}
    todo = [t.grad_fn for t in roots if t.grad_fn is not None]
    while todo:
        node = todo.pop()
        if node is None or node in seen:
            continue
        seen[node] = None
        todo.extend(n for n, _ in node.next_functions)
    return list(seen)


def first_nonfinite_backward(
    outputs: Sequence[torch.Tensor],
    grads: Sequence[torch.Tensor],
    origins: dict[Any, tuple[str, str | None, bool]],
) -> Site | None:
    """Run backward from ``outputs`` with ``grads``; name the first node that goes
    non-finite (``from_inf``: its forward inputs held an Inf, the NaN is born from it)."""
    found: list[Site] = []

    def hook_for(node: Any) -> Callable[..., None]:
        def hook(grad_inputs: Any, grad_outputs: Any) -> None:
            if found or not any(nonfinite(g) for g in grad_inputs):
                return
            if any(nonfinite(g) for g in grad_outputs):
                return
            module, source, inf_in = origins.get(node, (None, None, False))
            found.append(Site(module, node_op(node), source, from_inf=inf_in))

        return hook

    handles = [n.register_hook(hook_for(n)) for n in graph_nodes(outputs)
               if type(n).__name__ != "AccumulateGrad"]
    leaves = [n.variable for n in graph_nodes(outputs) if type(n).__name__ == "AccumulateGrad"]
    try:
        if leaves:
            torch.autograd.grad(list(outputs), leaves, list(grads), allow_unused=True)
    finally:
        for h in handles:
            h.remove()
    return found[0] if found else None


def replay_forward(model: nn.Module, call: Callable[[], Any]
                   ) -> tuple[FirstNonFinite, Any, dict]:
    """Run ``call`` under the trackers; return the forward tracker, the output, node origins.

    Source lines are looked for inside ``call`` only (see :func:`user_frame`)."""
    stop = sys._getframe()
    with ModuleStack(model) as stack:
        tracker = FirstNonFinite(stack, stop)
        nodes = NodeOrigins(stack, stop)
        with nodes, tracker:
            output = call()
    return tracker, output, nodes.nodes


def first_nonfinite_in(call: Callable[[], Any]) -> Site | None:
    """The first op in ``call`` (no module tracking) that makes a NaN/Inf from finite inputs."""
    tracker = FirstNonFinite(None, sys._getframe())
    with tracker:
        call()
    found = tracker.origin(inputs_inf=False)
    return found[1] if found else None
