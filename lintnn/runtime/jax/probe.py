"""``probe_shapes``: run ``fn`` (and a loss) on prime-sized abstract inputs and read the jaxpr.

No FLOPs and no memory: ``jax.make_jaxpr`` on ``ShapeDtypeStruct`` s. Reports NR101 (a
reshape cuts a named dim), NR102 (the loss broadcasts prediction against target), NR103
(an output row depends on other rows of the batch) and NR104 (``fn`` fails on the probe).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import jax

from lintnn.diagnostics import Diagnostic
from lintnn.runtime.dims import describe
from lintnn.runtime.jax.naming import DimSpec, Naming, name_inputs, name_target
from lintnn.runtime.jax.nnx_scopes import nnx_scopes
from lintnn.runtime.jax.rules import finding, fold
from lintnn.runtime.jax.trees import bind_static
from lintnn.runtime.jax.walk import Event, Site, State, Walker
from lintnn.runtime.layout import by_size
from lintnn.runtime.report import Report


def _trace(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
           naming: Naming) -> tuple[Any, list[Any], Any]:
    """(closed jaxpr, abstract array inputs, output shape tree) of ``fn`` on the probe."""
    leaves, treedef = jax.tree_util.tree_flatten((args, kwargs))
    structs = [naming.struct(leaf, spec) for leaf, spec in zip(leaves, naming.specs, strict=True)]
    mask = [spec is not None for spec in naming.specs]
    dyn = [s for s, m in zip(structs, mask, strict=True) if m]
    flat = bind_static(fn, structs, treedef, mask)
    with nnx_scopes(fn, *args, **kwargs):
        closed, out_shape = jax.make_jaxpr(flat, return_shape=True)(*dyn)
    return closed, dyn, out_shape


def _inputs(naming: Naming, structs: list[Any]) -> list[State]:
    specs = [spec for spec in naming.specs if spec is not None]
    return [State(tuple((n,) if n is not None else by_size(int(size), naming.primes)
                        for n, size in zip(spec, struct.shape, strict=True)), data=True)
            for spec, struct in zip(specs, structs, strict=True)]


def _shown(naming: Naming, structs: list[Any]) -> str:
    return ", ".join(describe(s.shape, naming.primes) for s in structs)


def _key(site: Site) -> tuple[str, str | None, str | None]:
    """One bug, one key: a reshape on one source line is one finding whichever modules
    (layers built from one class) run it."""
    return (site.op, site.source, None if site.source else site.module)


def _cut_findings(events: list[Event]) -> dict[Any, Diagnostic]:
    """One NR101 per reshape site, naming every dim it cuts and every module it runs in."""
    groups: dict[Any, list[Event]] = {}
    for event in events:
        if event.kind == "cut":
            groups.setdefault(_key(event.site), []).append(event)
    found = {}
    for key, group in groups.items():
        first = group[0]
        dims = list(dict.fromkeys(e.name for e in group))
        modules = list(dict.fromkeys(e.site.module for e in group))
        where = f" in {first.site.module!r}" if first.site.module else ""
        if len(modules) > 1:
            where += f" (and {len(modules) - 1} more module(s) built from the same code)"
        names = " and ".join(dims)
        found[key] = finding(
            "NR101", f"{first.site.op}{where} turns {first.before} into {first.after} and cuts "
            f"{names} across axes, so elements of different {names} mix (37 reasons #25); "
            f"reshape only to split or merge neighbouring axes and move axes with transpose",
            module=first.site.module, source=first.site.source, dim=dims[0], dims=dims,
            modules=modules, op=first.site.op)
    return found


def _broadcast_findings(events: list[Event]) -> list[Diagnostic]:
    seen, found = set(), []
    for event in events:
        key = (event.name, event.site.module, event.site.source)
        if event.kind != "broadcast" or key in seen:
            continue
        seen.add(key)
        found.append(finding(
            "NR102", f"the loss broadcasts {event.before} into {event.after}, so every "
            f"prediction meets every target; make the shapes equal (#18, #19)",
            module=event.site.module or None, source=event.site.source, dim=event.name,
            op=event.site.op))
    return found


def _folded(cuts: dict[Any, Diagnostic], events: list[Event],
            others: list[tuple[Diagnostic, Site | None]]) -> list[Diagnostic]:
    """The reshape findings first, each with what it causes folded under it: the batch
    mixing it makes (NR103), later reshapes of what it already cut, a loss that fails on
    its output (NR104)."""
    under: dict[Any, list[Diagnostic]] = {key: [] for key in cuts}
    for event in events:
        if event.kind == "cut" and event.upstream is not None:
            up, key = _key(event.upstream), _key(event.site)
            if up in under and key in cuts and key != up and cuts[key] not in under[up]:
                under[up].append(cuts[key])
    rest = []
    for diagnostic, cause in others:
        key = _key(cause) if cause is not None else None
        if key in under:
            under[key].append(diagnostic)
        else:
            rest.append(diagnostic)
    consequences = {id(d) for folded in under.values() for d in folded}
    found: list[Diagnostic] = []
    for key, root in cuts.items():
        if id(root) not in consequences:
            found += fold([root], root, under[key])
    return found + rest


def _retry_batch_only(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
                      naming: Naming, dims: Mapping[Any, DimSpec] | None
                      ) -> tuple[Naming, tuple[Any, list[Any], Any]] | None:
    """Models with fixed non-batch sizes (flatten then Dense): probe with ``B`` alone."""
    if dims or len(naming.real) < 2:
        return None
    retry = name_inputs(fn, args, kwargs, None, batch_only=True)
    try:
        return retry, _trace(fn, args, kwargs, retry)
    except Exception:
        return None


def _failed(naming: Naming, args: tuple[Any, ...], kwargs: dict[str, Any],
            err: Exception) -> Diagnostic:
    leaves = jax.tree_util.tree_leaves((args, kwargs))
    structs = [naming.struct(a, s) for a, s in zip(leaves, naming.specs, strict=True)
               if s is not None]
    sizes = ", ".join(f"{n}={p}" for n, p in naming.primes.items())
    first_line = f"{type(err).__name__}: {err}".splitlines()[0]
    return finding("NR104", f"fn fails on probe inputs {_shown(naming, structs)} ({sizes}): "
                   f"{first_line}", error=repr(err))


def probe_shapes(fn: Callable[..., Any], *args: Any, target: Any = None,
                 loss_fn: Callable[[Any, Any], Any] | None = None,
                 dims: Mapping[Any, DimSpec] | None = None, **kwargs: Any) -> Report:
    """Probe ``fn(*args, **kwargs)`` (and ``loss_fn(fn(...), target)``) for dim bugs."""
    report = Report("probe_shapes")
    naming = name_inputs(fn, args, kwargs, dims)
    try:
        closed, structs, out_shape = _trace(fn, args, kwargs, naming)
    except Exception as err:  # any failure of user code on the probe is the finding
        retried = _retry_batch_only(fn, args, kwargs, naming, dims)
        if retried is None:
            report.findings.append(_failed(naming, args, kwargs, err))
            report.data["dims"] = dict(naming.primes)
            return report
        report.data["fixed_dims"] = [n for n in naming.real if n != naming.batch]
        naming, (closed, structs, out_shape) = retried
    walker = Walker(naming.primes, naming.batch)
    outs = walker.run(closed, _inputs(naming, structs))
    report.data.update(dims=dict(naming.primes), real=dict(naming.real),
                       inputs=_shown(naming, structs), modules=dict(walker.modules),
                       output=[describe(s.shape, naming.primes)
                               for s in jax.tree_util.tree_leaves(out_shape)])
    events = list(walker.events)
    others: list[tuple[Diagnostic, Site | None]] = []
    for state in outs:
        batch_kept = naming.batch in {a for ax in state.layout for a in ax}
        if state.mixed_at is not None and batch_kept:
            site = state.mixed_at
            where = f" in {site.module!r}" if site.module else ""
            others.append((finding(
                "NR103", f"output row i depends on other rows of the batch: {site.op}{where} "
                f"works along {naming.batch}; each example must be computed on its own",
                module=site.module, source=site.source, op=site.op), site))
            break
    if loss_fn is not None and target is not None:
        loss_events, failed = _probe_loss(loss_fn, out_shape, outs, target, naming, dims,
                                          report)
        events += loss_events
        if failed is not None:
            cut = next((s.cut_at for s in outs if s.cut_at is not None), None)
            others.append((failed, cut))
    others += [(f, None) for f in _broadcast_findings(events)]
    report.findings += _folded(_cut_findings(events), events, others)
    return report


def _probe_loss(loss_fn: Callable[[Any, Any], Any], out_shape: Any, outs: list[State],
                target: Any, naming: Naming, dims: Mapping[Any, DimSpec] | None,
                report: Report) -> tuple[list[Event], Diagnostic | None]:
    """The loss's broadcast events, or the NR104 finding of a loss that fails."""
    targets = name_target(target, naming, (dims or {}).get("target"))
    tree = jax.tree_util.tree_structure(target)
    try:
        closed = jax.make_jaxpr(loss_fn)(out_shape, jax.tree_util.tree_unflatten(tree, targets))
    except Exception as err:
        return [], finding(
            "NR104", f"loss_fn fails on prediction {report.data['output']} and target "
            f"{_shown(naming, targets)}: {type(err).__name__}: {err}".splitlines()[0])
    walker = Walker(naming.primes, naming.batch, loss=True)
    target_states = [State(tuple(by_size(int(s), naming.primes) for s in t.shape), data=True)
                     for t in targets]
    walker.run(closed, [*(State(s.layout, data=True) for s in outs), *target_states])
    report.data["target"] = _shown(naming, targets)
    pair = f"prediction {', '.join(report.data['output'])} against target {report.data['target']}"
    return [dataclasses.replace(e, before=pair) for e in walker.events], None
