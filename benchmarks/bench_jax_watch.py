"""Steady-state cost and NaN report of four ways to guard a jitted flax train step.

    python benchmarks/bench_jax_watch.py [--steps 30] [--rounds 7] [--batch 128] [--model mlp]

Two models (``--model mlp``, ``cnn`` or ``both``): the MLP is the worst case for ``watch``
(a cheap step with many parameters, every output leaf a memory pass), the small CNN spends
its step in convolutions. Side by side in one process: the plain jitted step,
``lintnn.jax.watch`` (its default check; ``check=`` on every output leaf; ``check=`` on the
loss only), the ``jax_debug_nans`` config flag (restored afterwards) and
``jax.experimental.checkify`` with float checks. Each method's time is the median (and best)
over interleaved rounds (methods in a shuffled order each round) of ``--steps`` steps after
one untimed step, each step synchronised on all its outputs, so machine noise hits all alike
(a second copy of the plain step is the control); the per-round ratio compares each method
with the plain step of the same round. Then one poisoned batch
shows what each method reports.
"""

from __future__ import annotations

import argparse
import functools
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from jax.experimental import checkify

import lintnn
import lintnn.jax as lj


class Prep(nn.Module):
    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        return jnp.log1p(x)  # NaN for pixels below -1: the poisoned batch


class Net(nn.Module):
    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        x = Prep(name="prep")(x)
        x = nn.relu(nn.Dense(512, name="fc1")(x))
        x = nn.relu(nn.Dense(512, name="fc2")(x))
        return nn.Dense(10, name="out")(x)


class ConvNet(nn.Module):
    """3x3 convolutions (16 channels at 28x28, 32 at 14x14), pooled to 7x7, then two dense."""

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        x = Prep(name="prep")(x.reshape(x.shape[0], 28, 28, 1))
        x = nn.avg_pool(nn.relu(nn.Conv(16, (3, 3), name="conv1")(x)), (2, 2), (2, 2))
        x = nn.avg_pool(nn.relu(nn.Conv(32, (3, 3), name="conv2")(x)), (2, 2), (2, 2))
        x = x.reshape(x.shape[0], -1)
        x = nn.relu(nn.Dense(128, name="fc")(x))
        return nn.Dense(10, name="out")(x)


MODELS = {"mlp": ("MLP 784-512-512-10", Net), "cnn": ("CNN conv16-conv32-fc128-10", ConvNet)}


def make_step(model: nn.Module, opt: optax.GradientTransformation) -> Callable[..., Any]:
    def loss_fn(params: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        logits = model.apply(params, x)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    def step(params: Any, state: Any, x: jax.Array, y: jax.Array) -> tuple[Any, Any, jax.Array]:
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    return step


def debug_nans(step: Callable[..., Any]) -> Callable[..., Any]:
    """A fresh ``jax.jit`` of ``step``, compiled and run with ``jax_debug_nans`` on (restored
    in ``finally``): a step compiled before the flag was set keeps its unchecked fast path."""
    step = jax.jit(step)

    @functools.wraps(step)
    def run(*args: Any) -> Any:
        old = jax.config.jax_debug_nans
        jax.config.update("jax_debug_nans", True)
        try:
            return step(*args)
        finally:
            jax.config.update("jax_debug_nans", old)

    return run


def checkified(step: Callable[..., Any]) -> Callable[..., Any]:
    checked = jax.jit(checkify.checkify(step, errors=checkify.float_checks))

    def run(*args: Any) -> Any:
        err, out = checked(*args)
        err.throw()
        return out

    return run


def time_steps(step: Callable[..., Any], params: Any, state: Any, x: jax.Array,
               y: jax.Array, steps: int) -> float:
    """Seconds per step over ``steps`` chained steps, after one untimed step (whichever
    method ran before leaves the caches to this one first)."""
    jax.block_until_ready(step(params, state, x, y))
    start = time.perf_counter()
    for _ in range(steps):
        params, state, loss = step(params, state, x, y)
        jax.block_until_ready((params, state, loss))  # nothing left running
    return (time.perf_counter() - start) / steps


def report_nan(step: Callable[..., Any], params: Any, state: Any, x: jax.Array,
               y: jax.Array) -> str:
    try:
        step(params, state, x, y)
    except lintnn.NonFiniteError as err:
        return str(err)
    except Exception as err:  # what the other tools raise
        return f"{type(err).__name__}: {str(err).strip().splitlines()[0]}"
    return "(nothing raised)"


def run_model(name: str, args: argparse.Namespace) -> None:
    """Time every method on one model, interleaved, and print its markdown table."""
    title, cls = MODELS[name]
    model, opt = cls(), optax.adam(1e-3)
    x = jax.random.uniform(jax.random.PRNGKey(1), (args.batch, 784))
    y = jax.random.randint(jax.random.PRNGKey(2), (args.batch,), 0, 10)
    params = model.init(jax.random.PRNGKey(0), x)
    state = opt.init(params)
    plain = jax.jit(make_step(model, opt))
    control = jax.jit(make_step(model, opt))
    methods = {"plain jit": plain, "plain jit, second copy (control)": control,
               "lintnn watch": lj.watch(plain),
               "lintnn watch, every output leaf": lj.watch(plain, check=lambda out: out),
               "lintnn watch, loss only": lj.watch(plain, check=lambda out: out[2]),
               "jax_debug_nans": debug_nans(make_step(model, opt)),
               "checkify float": checkified(make_step(model, opt))}
    for fn in methods.values():  # compile
        time_steps(fn, params, state, x, y, 2)
    times: dict[str, list[float]] = {name: [] for name in methods}
    order, rng = list(methods), random.Random(0)
    for _ in range(args.rounds):
        rng.shuffle(order)  # no method always follows the same one
        for method in order:
            times[method].append(time_steps(methods[method], params, state, x, y, args.steps))
    base, base_min = statistics.median(times["plain jit"]), min(times["plain jit"])
    poisoned = x.at[3, 17].set(-2.0)
    size = sum(leaf.size for leaf in jax.tree_util.tree_leaves(params))
    print(f"### {title} + adam ({size:,} parameters)\n\njax {jax.__version__}, backend "
          f"{jax.default_backend()}, batch {args.batch}, {args.rounds} rounds x {args.steps} "
          "steps\n")
    print("| method | ms/step median | vs plain | median of per-round ratios | ms/step best "
          "round | vs plain | on a NaN batch |")
    print("|---|---|---|---|---|---|---|")
    # In jax 0.10.2 on CPU, jax_debug_nans raised on a NaN batch only on a step's first call;
    # after a clean call (the steady state timed above) it let the NaN through.
    said = {method: report_nan(methods[method], params, state, poisoned, y).replace("|", "/")
            for method in ("jax_debug_nans", "checkify float", "lintnn watch",
                           "lintnn watch, every output leaf", "lintnn watch, loss only",
                           "plain jit", "plain jit, second copy (control)")}
    for method in methods:
        med, best = statistics.median(times[method]), min(times[method])
        paired = statistics.median(t / p for t, p in zip(times[method], times["plain jit"],
                                                          strict=True))
        print(f"| {method} | {med * 1e3:.2f} | {med / base:.3f}x | {paired:.3f}x | "
              f"{best * 1e3:.2f} | {best / base_min:.3f}x | {said[method]} |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--model", choices=[*MODELS, "both"], default="both")
    args = parser.parse_args()
    for name in MODELS if args.model == "both" else [args.model]:
        run_model(name, args)


if __name__ == "__main__":
    main()
