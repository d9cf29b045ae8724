"""Exact origin of a non-finite value: replay one step op by op (only when a check fired).

Forward: a ``TorchDispatchMode`` names the first aten op that turns finite inputs into
NaN/Inf, with the module path and the user's source line. Backward: autograd node hooks
name the first backward node that does the same; a ``TorchFunctionMode`` recorded during
the replayed forward which module and line created that node.
"""

from __future__ import annotations

import re
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


def nonfinite(t: Any) -> bool:
    """True when a float tensor holds a NaN or Inf (one host sync: replay only)."""
    if not isinstance(t, torch.Tensor) or not (t.is_floating_point() or t.is_complex()):
        return False
    return not bool(torch.isfinite(t).all())


@dataclass
class Site:
    module: str | None
    op: str
    source: str | None


class FirstNonFinite(TorchDispatchMode):
    """Records the first op whose outputs are non-finite while its inputs were finite."""

    def __init__(self, stack: ModuleStack | None) -> None:
        super().__init__()
        self.stack = stack
        self.site: Site | None = None

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None):
        out = func(*args, **(kwargs or {}))
        if self.site is None:
            op = str(func.overloadpacket)
            if op not in _NOT_ORIGINS and any(nonfinite(t) for t in tensor_leaves(out)):
                ins = tensor_leaves(list(args) + list((kwargs or {}).values()))
                if not any(nonfinite(t) for t in ins):
                    module = self.stack.current if self.stack else None
                    self.site = Site(module, op, user_frame())
        return out


class NodeOrigins(TorchFunctionMode):
    """Maps each autograd node created in the forward to its module and source line."""

    def __init__(self, stack: ModuleStack) -> None:
        super().__init__()
        self.stack = stack
        self.nodes: dict[Any, tuple[str, str | None]] = {}

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None):
        out = func(*args, **(kwargs or {}))
        for t in tensor_leaves(out):
            node = t.grad_fn
            if node is not None and node not in self.nodes:
                self.nodes[node] = (self.stack.current, user_frame())
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
    origins: dict[Any, tuple[str, str | None]],
) -> Site | None:
    """Run backward from ``outputs`` with ``grads``; name the first node that goes non-finite."""
    found: list[Site] = []

    def hook_for(node: Any) -> Callable[..., None]:
        def hook(grad_inputs: Any, grad_outputs: Any) -> None:
            if found or not any(nonfinite(g) for g in grad_inputs):
                return
            if any(nonfinite(g) for g in grad_outputs):
                return
            module, source = origins.get(node, (None, None))
            found.append(Site(module, node_op(node), source))

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


def replay_forward(model: nn.Module, call: Callable[[], Any]) -> tuple[Site | None, Any, dict]:
    """Run ``call`` under the trackers; return the forward origin, the output, node origins."""
    with ModuleStack(model) as stack:
        tracker = FirstNonFinite(stack)
        nodes = NodeOrigins(stack)
        with nodes, tracker:
            output = call()
    return tracker.site, output, nodes.nodes


def first_nonfinite_in(call: Callable[[], Any]) -> Site | None:
    """The first op in ``call`` (no module tracking) that makes a NaN/Inf from finite inputs."""
    tracker = FirstNonFinite(None)
    with tracker:
        call()
    return tracker.site
