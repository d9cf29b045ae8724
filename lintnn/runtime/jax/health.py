"""``check_health``: the first-step sanity checks of a training setup (37 reasons, part IV).

NR301 initial loss far from ``ln C`` (#17), NR302 one batch cannot be overfit (#27),
NR303 a parameter does not change after a step (#23), NR304 dead ReLUs, NR305 per-layer
gradient norms that vanish or explode (#35). ``params`` are never modified.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lintnn.runtime.jax.activations import relu_stats
from lintnn.runtime.jax.rules import finding
from lintnn.runtime.jax.trees import path_str
from lintnn.runtime.report import Report

CHANCE_RATIO = (0.5, 1.6)  # initial loss / ln C outside this range: NR301
OVERFIT_FALL = 0.8  # the loss must fall by this fraction of its initial value: NR302
DEAD_FRACTION = 0.5  # more dead units than this in one ReLU site: NR304
GRAD_VANISH, GRAD_EXPLODE = 1e-7, 1e3  # per-layer gradient norm: NR305


def _scalar(loss_fn: Callable[..., Any]) -> Callable[..., jax.Array]:
    def loss(params: Any, batch: Any) -> jax.Array:
        out = loss_fn(params, batch)
        return out[0] if isinstance(out, tuple) else out

    return loss


def _layer(path: tuple[Any, ...]) -> str:
    """``params/fc1/kernel`` -> ``fc1``: the module that owns a parameter."""
    text = path_str(path)
    text = text.removeprefix("params/")
    return text.rsplit("/", 1)[0] if "/" in text else text


def _train(loss: Callable[..., jax.Array], opt: optax.GradientTransformation, params: Any,
           batch: Any, steps: int) -> tuple[Any, Any, jax.Array]:
    """(first gradients, parameters after one step, loss curve of ``steps`` steps)."""
    def step(carry: Any, _: Any) -> tuple[Any, tuple[jax.Array, Any, Any]]:
        p, state = carry
        value, grads = jax.value_and_grad(loss)(p, batch)
        updates, state = opt.update(grads, state, p)
        p = optax.apply_updates(p, updates)
        return (p, state), (value, grads, p)

    state = opt.init(params)
    (_, _), (_, grads, stepped) = step((params, state), None)
    (final, _), (values, _, _) = jax.lax.scan(step, (params, state), None, length=steps)
    return grads, stepped, jnp.append(values, loss(final, batch))


def check_health(loss_fn: Callable[..., Any], params: Any, batch: Any,
                 num_classes: int | None = None,
                 optimizer: optax.GradientTransformation | None = None, *,
                 steps: int = 100) -> Report:
    """Run the first-step checks of ``loss_fn(params, batch)`` with an optax optimizer."""
    report = Report("check_health")
    loss = _scalar(loss_fn)
    opt = optimizer or optax.adam(1e-2)
    grads, stepped, curve = jax.jit(lambda p, b: _train(loss, opt, p, b, steps))(params, batch)
    curve = np.asarray(curve)
    initial = float(curve[0])
    report.data["initial_loss"] = initial
    if num_classes:
        _chance(report, initial, num_classes)
    _unchanged(report, params, stepped)
    report.data["update_weight_ratio"] = _update_ratios(params, stepped)
    _grad_norms(report, grads)
    _dead_relus(report, loss, params, batch)
    report.data["overfit_losses"] = curve.tolist()
    fall = (curve[0] - curve[-1]) / abs(curve[0]) if curve[0] else 0.0
    if not np.isfinite(curve[-1]) or fall < OVERFIT_FALL:
        report.findings.append(finding(
            "NR302", f"cannot overfit one batch: loss {curve[0]:.4g} -> {curve[-1]:.4g} after "
            f"{steps} steps (fell {fall:.0%}, expected {OVERFIT_FALL:.0%}); check that the "
            "output depends on the input and the labels match the inputs (#27)",
            initial=float(curve[0]), final=float(curve[-1])))
    return report


def _chance(report: Report, initial: float, num_classes: int) -> None:
    chance = math.log(num_classes)
    report.data["chance_loss"] = chance
    low, high = CHANCE_RATIO
    if not low * chance <= initial <= high * chance:
        report.findings.append(finding(
            "NR301", f"initial loss {initial:.4g} is far from -ln(1/{num_classes}) = "
            f"{chance:.4g}: check the final layer's init and the loss (#17)",
            initial=initial, chance=chance))


def _unchanged(report: Report, before: Any, after: Any) -> None:
    pairs = zip(jax.tree_util.tree_leaves_with_path(before), jax.tree_util.tree_leaves(after),
                strict=True)
    frozen = [path_str(path) for (path, a), b in pairs
              if jnp.issubdtype(jnp.asarray(a).dtype, jnp.inexact)
              and bool(np.array_equal(np.asarray(a), np.asarray(b)))]
    report.data["unchanged"] = frozen
    for path in frozen:
        report.findings.append(finding(
            "NR303", f"parameter {path} did not change after one optimizer step: its gradient "
            "is zero (unused, detached by stop_gradient, or masked) or the optimizer skips "
            "it (#23)", module=_layer_of(path), path=path))


def _update_ratios(before: Any, after: Any) -> dict[str, float]:
    """|update| / |weight| of each layer's kernels over the first step (for the report)."""
    squares: dict[str, list[float]] = {}
    pairs = zip(jax.tree_util.tree_leaves_with_path(before), jax.tree_util.tree_leaves(after),
                strict=True)
    for (path, a), b in pairs:
        if jnp.ndim(a) >= 2 and jnp.issubdtype(jnp.asarray(a).dtype, jnp.inexact):
            old = np.asarray(a, dtype=np.float64)
            delta = np.asarray(b, dtype=np.float64) - old
            acc = squares.setdefault(_layer(path), [0.0, 0.0])
            acc[0] += float(np.sum(delta * delta))
            acc[1] += float(np.sum(old * old))
    return {layer: math.sqrt(d) / (math.sqrt(w) + 1e-12) for layer, (d, w) in squares.items()}


def _layer_of(path: str) -> str:
    text = path.removeprefix("params/")
    return text.rsplit("/", 1)[0] if "/" in text else ""


def _grad_norms(report: Report, grads: Any) -> None:
    squares: dict[str, float] = {}
    for path, g in jax.tree_util.tree_leaves_with_path(grads):
        squares[_layer(path)] = squares.get(_layer(path), 0.0) + float(jnp.sum(jnp.square(g)))
    norms = {layer: math.sqrt(s) for layer, s in squares.items()}
    report.data["grad_norms"] = norms
    for layer, norm in norms.items():
        if not math.isfinite(norm) or norm > GRAD_EXPLODE:
            kind = f"explodes ({norm:.3g} > {GRAD_EXPLODE:g})"
        elif norm < GRAD_VANISH:
            kind = f"vanishes ({norm:.3g} < {GRAD_VANISH:g})"
        else:
            continue
        report.findings.append(finding(
            "NR305", f"gradient norm of {layer} {kind}: check init scale, depth, saturating "
            "activations and the loss scale (#35)", module=layer, norm=norm))


def _dead_relus(report: Report, loss: Callable[..., jax.Array], params: Any,
                batch: Any) -> None:
    stats = relu_stats(loss, params, batch)
    report.data["dead_relus"] = {f"{s.module or '<root>'}@{s.source}": s.dead_fraction
                                 for s in stats}
    for s in stats:
        if s.dead_fraction > DEAD_FRACTION:
            report.findings.append(finding(
                "NR304", f"{s.dead}/{s.units} ReLU units are zero for every example of the "
                "batch: they get no gradient (check bias init, input scale, learning rate)",
                module=s.module, source=s.source, dead_fraction=s.dead_fraction))
