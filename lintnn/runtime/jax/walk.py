"""Walk a jaxpr on abstract values, tracking named dims and batch-row dependence.

Every equation's outputs get a :mod:`layout`; a reshape that cuts a named dim, a
broadcast that doubles one (loss mode), and an equation that reduces, contracts,
accumulates or sorts along the batch dim are recorded as :class:`Event` s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.extend

from lintnn.runtime import layout as L
from lintnn.runtime.dims import describe
from lintnn.runtime.jax.replay import inner_jaxpr
from lintnn.runtime.jax.sourceinfo import Where, in_batch_norm, user_source, where
from lintnn.runtime.jax.trees import flax_root_names

_REDUCE_AXES = ("reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_and",
                "reduce_or", "reduce_xor", "argmax", "argmin")
_ALONG_AXIS = {"cumsum": "axis", "cumprod": "axis", "cummax": "axis", "cummin": "axis",
               "cumlogsumexp": "axis", "sort": "dimension"}


@dataclass(frozen=True)
class Site:
    """Where an equation came from: primitive, flax module path, user line."""

    op: str
    module: str
    source: str | None


@dataclass(frozen=True)
class State:
    """What is known about one value: its layout, whether it depends on the data inputs,
    where (if anywhere) a row first came to depend on other rows of the batch, and the
    reshape that first cut a named dim of what it was computed from."""

    layout: L.Layout
    data: bool = False
    mixed_at: Site | None = None
    cut_at: Site | None = None


@dataclass(frozen=True)
class Event:
    kind: str  # "cut", "broadcast"
    site: Site
    name: str
    before: str
    after: str
    upstream: Site | None = None  # an earlier reshape that cut what this one reshapes


@dataclass
class Walker:
    dims: Mapping[str, int]
    batch: str | None
    loss: bool = False
    events: list[Event] = field(default_factory=list)
    modules: dict[str, str] = field(default_factory=dict)
    roots: frozenset[str] = field(default_factory=flax_root_names)

    def run(self, closed: Any, states: Sequence[State], outer: Where | None = None) -> list[State]:
        outer = outer or Where()
        jaxpr = closed.jaxpr
        env: dict[Any, State] = {v: self.const(v.aval) for v in jaxpr.constvars}
        env.update(zip(jaxpr.invars, states, strict=True))
        for eqn in jaxpr.eqns:
            ins = [self.const(v.aval) if isinstance(v, jax.extend.core.Literal) else env[v]
                   for v in eqn.invars]
            here = outer + where(eqn)
            sub = inner_jaxpr(eqn)
            outs = self.run(sub, ins, here) if sub is not None else self.step(eqn, ins, here)
            env.update(zip(eqn.outvars, outs, strict=True))
        return [self.const(v.aval) if isinstance(v, jax.extend.core.Literal) else env[v]
                for v in jaxpr.outvars]

    def const(self, aval: Any) -> State:
        return State(tuple(L.by_size(int(s), self.dims) for s in getattr(aval, "shape", ())))

    def step(self, eqn: Any, ins: list[State], here: Where) -> list[State]:
        site = Site(eqn.primitive.name, here.module(self.roots), None)
        shapes = [tuple(int(s) for s in getattr(v.aval, "shape", ())) for v in eqn.outvars]
        cuts = len(self.events)
        layouts, along = self.layouts(eqn, ins, shapes, site)
        data = any(s.data for s in ins)
        mixed_at = next((s.mixed_at for s in ins if s.mixed_at is not None), None)
        cut_at = next((s.cut_at for s in ins if s.cut_at is not None), None)
        if cut_at is None and data and any(e.kind == "cut" for e in self.events[cuts:]):
            cut_at = self.events[cuts].site
        if (mixed_at is None and data and self.batch in along and not self.loss
                and not in_batch_norm(eqn)):  # BatchNorm mixes rows by design, as in torch
            mixed_at = self.site(eqn, site)
        if self.loss and eqn.primitive.name != "dot_general":
            self.check_doubled(eqn, ins, layouts, shapes, site)
        if site.module and not self.loss and shapes:
            self.modules[site.module] = describe(shapes[0], self.dims)
        return [State(lay, data, mixed_at if data else None, cut_at if data else None)
                for lay in layouts]

    def site(self, eqn: Any, site: Site) -> Site:
        return Site(site.op, site.module, user_source(eqn))

    def layouts(self, eqn: Any, ins: list[State], shapes: list[tuple[int, ...]],
                site: Site) -> tuple[list[L.Layout], set[str]]:
        """Output layouts and the names the equation mixes along (reduces, cuts, ...)."""
        name, p = eqn.primitive.name, eqn.params
        lay = ins[0].layout if ins else ()
        if name == "reshape":
            out, cut = L.reshape(lay, shapes[0], self.dims)
            for dim in cut:
                self.events.append(Event("cut", self.site(eqn, site), dim,
                                         self.show(lay), describe(shapes[0], self.dims),
                                         ins[0].cut_at if ins else None))
            return [out], set(cut)
        if name == "transpose":
            return [tuple(lay[i] for i in p["permutation"])], set()
        if name == "broadcast_in_dim":
            return [L.broadcast(lay, shapes[0], p["broadcast_dimensions"], self.dims)], set()
        if name == "squeeze":
            drop = {d % max(len(lay), 1) for d in p["dimensions"]}
            return [tuple(a for i, a in enumerate(lay) if i not in drop)], set()
        if name == "dot_general":
            (lc, rc), (lb, rb) = p["dimension_numbers"]
            rhs = ins[1].layout
            free_l = [lay[i] for i in range(len(lay)) if i not in lc and i not in lb]
            free_r = [rhs[i] for i in range(len(rhs)) if i not in rc and i not in rb]
            out = tuple([lay[i] for i in lb] + free_l + free_r)
            if L.axis_size(tuple(a for ax in out for a in ax), self.dims) != _prod(shapes[0]):
                out = L.like(shapes[0], [], self.dims)
            contracted = {*L.names_in([lay[i] for i in lc]), *L.names_in([rhs[i] for i in rc])}
            return [out], contracted
        if name in _REDUCE_AXES:
            axes = set(p["axes"])
            out = tuple(a for i, a in enumerate(lay) if i not in axes)
            return [out] * len(shapes), set(L.names_in([lay[i] for i in axes]))
        if name in _ALONG_AXIS:
            axis = p[_ALONG_AXIS[name]]
            along = set(L.names_in([lay[axis]])) if lay else set()
            return [L.like(s, [st.layout for st in ins], self.dims) for s in shapes], along
        return [L.like(s, [st.layout for st in ins], self.dims) for s in shapes], set()

    def check_doubled(self, eqn: Any, ins: list[State], layouts: list[L.Layout],
                      shapes: list[tuple[int, ...]], site: Site) -> None:
        """NR102: an output holds a named dim twice where no input did (``(B,1) - (B,)``)."""
        if not any(s.data for s in ins):
            return
        for lay, shape in zip(layouts, shapes, strict=True):
            names = L.names_in(lay)
            for dim in set(names):
                if names.count(dim) > 1 and all(
                        L.names_in(s.layout).count(dim) < names.count(dim) for s in ins):
                    before = " vs ".join(self.show(s.layout) for s in ins if s.data)
                    self.events.append(Event("broadcast", self.site(eqn, site), dim,
                                             before, describe(shape, self.dims)))
                    return

    def show(self, lay: L.Layout) -> str:
        return describe([L.axis_size(ax, self.dims) for ax in lay], self.dims)


def _prod(shape: Sequence[int]) -> int:
    out = 1
    for s in shape:
        out *= s
    return out
