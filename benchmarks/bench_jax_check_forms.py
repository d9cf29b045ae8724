"""Ablation of ``watch``'s in-step finiteness flag on the MLP train step of bench_jax_watch.

    python benchmarks/bench_jax_check_forms.py [--rounds 31] [--steps 10] [--model mlp]

Each form is compiled into one jit with the step (as ``watch`` does) and timed interleaved
with the plain step (shuffled order each round, one untimed call first); the per-round ratio
to the plain step of the same round is the column to read. Forms: the previous flag
(``isfinite(sum(x * 0))`` by rows, every output leaf), ``x - x`` per leaf, ``x - x`` summed
over leaves of one shape first (every leaf), and that on the leaves the jaxpr analysis
leaves to check (the current ``watch`` default).
"""

from __future__ import annotations

import argparse
import functools
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import optax
from bench_jax_watch import MODELS, make_step

from lintnn.runtime.jax.cover import call_with_needed
from lintnn.runtime.jax.trees import all_finite, is_float_array


def _floats(tree: Any) -> list[jax.Array]:
    return [x for x in jax.tree_util.tree_leaves(tree) if is_float_array(x) and x.size]


def _and(flags: list[jax.Array]) -> jax.Array:
    return functools.reduce(jnp.logical_and, flags, jnp.asarray(True))


def mul0_rows(tree: Any) -> jax.Array:
    """The flag before this change: row sums of ``x * 0``, one reduction per leaf."""
    return _and([jnp.isfinite(jnp.sum(x * 0, axis=tuple(range(1, x.ndim)))).all()
                 if x.ndim >= 2 else jnp.isfinite(jnp.sum(x * 0)) for x in _floats(tree)])


def sub_per_leaf(tree: Any) -> jax.Array:
    return _and([jnp.isfinite(jnp.sum(x - x)) for x in _floats(tree)])


FORMS: dict[str, tuple[Callable[[Any], jax.Array], bool]] = {
    "x*0 row sums, every leaf (before)": (mul0_rows, False),
    "x-x per leaf, every leaf": (sub_per_leaf, False),
    "x-x grouped by shape, every leaf": (all_finite, False),
    "x-x grouped, uncovered leaves (watch now)": (all_finite, True),
}


def with_flag(step: Callable[..., Any], flag: Callable[[Any], jax.Array],
              prune: bool) -> Callable[..., Any]:
    def checked(*args: Any) -> Any:
        if prune:
            out, needed = call_with_needed(step, *args)
            return out, flag(needed)
        out = step(*args)
        return out, flag(out)

    return jax.jit(checked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--model", choices=list(MODELS), default="mlp")
    args = parser.parse_args()
    title, cls = MODELS[args.model]
    model, opt = cls(), optax.adam(1e-3)
    x = jax.random.uniform(jax.random.PRNGKey(1), (args.batch, 784))
    y = jax.random.randint(jax.random.PRNGKey(2), (args.batch,), 0, 10)
    params = model.init(jax.random.PRNGKey(0), x)
    state = opt.init(params)
    step = jax.jit(make_step(model, opt))
    out = step(params, state, x, y)
    control = jax.jit(make_step(model, opt))
    methods = {"plain jit": step, "plain jit, second copy (control)": control}
    alone = {}
    for name, (flag, prune) in FORMS.items():
        methods[name] = with_flag(step, flag, prune)
        if not prune:
            alone[name] = jax.jit(flag)
    needed = jax.jit(lambda *a: call_with_needed(step, *a)[1])(params, state, x, y)
    alone["x-x grouped, uncovered leaves (watch now)"] = jax.jit(all_finite)

    def time_it(fn: Callable[[], Any]) -> float:
        jax.block_until_ready(fn())  # untimed: the previous form leaves the caches first
        start = time.perf_counter()
        for _ in range(args.steps):
            jax.block_until_ready(fn())
        return (time.perf_counter() - start) / args.steps

    calls = {name: functools.partial(fn, params, state, x, y) for name, fn in methods.items()}
    for name, fn in alone.items():
        arg = needed if name.endswith("(watch now)") else out
        calls[f"{name}: flag alone"] = functools.partial(fn, arg)
    for call in calls.values():
        time_it(call)
    times: dict[str, list[float]] = {name: [] for name in calls}
    order, rng = list(calls), random.Random(0)
    for _ in range(args.rounds):
        rng.shuffle(order)
        for name in order:
            times[name].append(time_it(calls[name]))
    base = times["plain jit"]
    print(f"### {title} + adam: flag forms\n\njax {jax.__version__}, batch {args.batch}, "
          f"{args.rounds} rounds x {args.steps} calls; checked leaves: "
          f"{sum(v.size for v in _floats(out)):,} floats (every leaf), "
          f"{sum(v.size for v in _floats(needed)):,} (uncovered)\n")
    print("| form | ms median | median of per-round ratios to the plain step |")
    print("|---|---|---|")
    for name, ts in times.items():
        paired = statistics.median(t / p for t, p in zip(ts, base, strict=True))
        print(f"| {name} | {statistics.median(ts) * 1e3:.3f} | {paired:.3f}x |")


if __name__ == "__main__":
    main()
