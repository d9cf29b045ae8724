"""Dead ReLUs: units that output zero for every example of a batch, per ReLU site.

The loss is evaluated equation by equation; a ``max(x, 0)`` equation is a ReLU (flax's
``nn.relu`` is one, inside its ``custom_jvp``), its last axis the units.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.extend
import numpy as np

from lintnn.runtime.jax.replay import evaluate
from lintnn.runtime.jax.sourceinfo import Where
from lintnn.runtime.jax.trees import flax_root_names


@dataclass(frozen=True)
class ReluStats:
    module: str
    source: str | None
    units: int
    dead: int

    @property
    def dead_fraction(self) -> float:
        return self.dead / self.units if self.units else 0.0


def _is_relu(eqn: Any) -> bool:
    if eqn.primitive.name != "max" or len(eqn.invars) != 2:
        return False
    lits = [v for v in eqn.invars if isinstance(v, jax.extend.core.Literal)]
    return len(lits) == 1 and float(np.asarray(lits[0].val)) == 0.0


def relu_stats(loss_fn: Callable[..., Any], *args: Any) -> list[ReluStats]:
    """One entry per ReLU equation in ``loss_fn(*args)``, in execution order.

    The jaxpr is re-evaluated under one ``jax.jit`` that returns, per ReLU, which units
    fired for at least one example; sites are collected while tracing.
    """
    closed = jax.make_jaxpr(loss_fn)(*args)
    roots = flax_root_names()
    sites: list[tuple[str, str | None]] = []

    def alive(*leaves: Any) -> list[jax.Array]:
        fired: list[jax.Array] = []

        def visit(eqn: Any, here: Where, source: str | None, outvals: list[Any]) -> None:
            out = outvals[0]
            if _is_relu(eqn) and out.ndim >= 2:
                sites.append((here.module(roots), source))
                fired.append((out.reshape(-1, out.shape[-1]) > 0).any(axis=0))

        evaluate(closed, list(leaves), visit)
        return fired

    fired = jax.jit(alive)(*jax.tree_util.tree_leaves(args))
    return [ReluStats(module, source, int(f.size), int((~np.asarray(f)).sum()))
            for (module, source), f in zip(sites, fired, strict=True)]
