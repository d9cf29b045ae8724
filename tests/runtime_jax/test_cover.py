"""The output pruning of watch: which outputs another output provably covers."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lintnn
import lintnn.jax as lj
from lintnn.runtime.jax.cover import call_with_needed, uncovered_outputs
from lintnn.runtime.jax.trees import all_finite

from .models import MLP, xent

A = jnp.arange(1.0, 7.0).reshape(2, 3)
B = jnp.full((2, 3), 2.0)


def _need(fn, *args) -> list[bool]:
    return uncovered_outputs(jax.make_jaxpr(fn)(*args).jaxpr)


@pytest.mark.parametrize("fn", [
    lambda a, b: (a * b, a),
    lambda a, b: (a + b, a),
    lambda a, b: (b - a, a),
    lambda a, b: (-a, a),
    lambda a, b: (a / b, a),  # the numerator
    lambda a, b: (jnp.sqrt(a), a),
    lambda a, b: (a ** 2, a),
    lambda a, b: (a.reshape(3, 2).T, a),
    lambda a, b: (a.sum(), a),
    lambda a, b: (jnp.concatenate([b, a]), a),
    lambda a, b: (a.astype(jnp.bfloat16), a),
    lambda a, b: (jax.jit(lambda u, v: u * v + 1.0)(a, b), a),
    lambda a, b: (jax.checkpoint(lambda u: u * 3.0)(a), a),
    lambda a, b: (jax.lax.stop_gradient(a) * b, a),
], ids=["mul", "add", "sub", "neg", "div-numerator", "sqrt", "square", "reshape-transpose",
        "sum", "concatenate", "to-bf16", "nested-jit", "checkpoint", "stop-gradient"])
def test_covered(fn) -> None:
    assert _need(fn, A, B) == [True, False]


@pytest.mark.parametrize("fn", [
    lambda a, b: (b / a, a),  # the denominator: 1/inf == 0
    lambda a, b: (b / (jnp.sqrt(a) + 1e-8), a),  # adam's nu: sqrt(inf) still a denominator
    lambda a, b: (jnp.where(a > 0, b, 0.0), a),
    lambda a, b: (jnp.where(b > 0, a, 0.0), a),
    lambda a, b: (jnp.maximum(a, b), a),
    lambda a, b: (jnp.minimum(a, 0.0), a),
    lambda a, b: (jnp.exp(a), a),  # exp(-inf) == 0
    lambda a, b: (jnp.tanh(a), a),
    lambda a, b: (a ** -1, a),
    lambda a, b: (a ** 0, a),
    lambda a, b: (a.astype(jnp.int32).astype(jnp.float32), a),
    lambda a, b: ((a > b).astype(jnp.float32), a),
    lambda a, b: (a[:, :2], a),  # drops elements
    lambda a, b: (jnp.argmax(a).astype(jnp.float32), a),
    lambda a, b: (a.max(), a),
    lambda a, b: (jax.lax.fori_loop(0, 2, lambda i, c: c * 2.0, a), a),  # not looked into
], ids=["div-denominator", "adam-denominator", "where-condition", "where-branch", "maximum",
        "minimum", "exp", "tanh", "reciprocal", "pow0", "int-cast", "comparison", "slice",
        "argmax", "max", "loop"])
def test_not_covered(fn) -> None:
    assert _need(fn, A, B) == [True, True]


def test_chains_repeats_and_mutual_outputs() -> None:
    def chain(a, b):
        c = a * b
        return a, c, c + 1.0  # a -> c -> c + 1: only the last is checked

    assert _need(chain, A, B) == [False, False, True]
    assert _need(lambda a, b: (a, a, b), A, B) == [True, False, True]
    assert _need(lambda a, b: (a, b), A, B) == [True, True]  # passed through, unrelated
    assert _need(lambda a, b: (a, jnp.arange(3)), A, B) == [True, True]  # ints: no path


def test_covered_through_the_results_of_a_nested_jit() -> None:
    inner = jax.jit(lambda a, b: (a * b, a + 1.0))
    assert _need(lambda a, b: inner(a, b), A, B) == [True, True]  # unrelated results
    related = jax.jit(lambda a: (lambda c: (c, c + 1.0))(a * 2.0))
    assert _need(related, A) == [False, True]
    assert _need(lambda a: related(a)[::-1], A) == [True, False]
    chained = jax.jit(lambda a: (lambda c: (c, c.sum()))(a * 2.0))
    assert _need(chained, A) == [False, True]


def _adam_step(opt: optax.GradientTransformation):
    model = MLP()

    def step(params, state, x, y):
        loss, grads = jax.value_and_grad(lambda p: xent(model.apply(p, x), y))(params)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    x = jax.random.normal(jax.random.PRNGKey(1), (6, 5))
    y = jnp.arange(6) % 4
    params = model.init(jax.random.PRNGKey(0), x)
    return step, params, opt.init(params), x, y


def _paths(tree) -> list[str]:
    return [jax.tree_util.keystr(k) for k, _ in jax.tree_util.tree_leaves_with_path(tree)]


def test_adam_checks_params_nu_and_loss_not_mu() -> None:
    step, params, state, x, y = _adam_step(optax.adam(1e-3))
    closed, shape = jax.make_jaxpr(jax.jit(step), return_shape=True)(params, state, x, y)
    need = uncovered_outputs(closed.jaxpr)
    skipped = [p for p, n in zip(_paths(shape), need, strict=True) if not n]
    assert skipped and all(".mu[" in p for p in skipped)
    assert len(skipped) == len(jax.tree_util.tree_leaves(params))


@pytest.mark.parametrize("where", ["params", "mu", "nu", "x"])
@pytest.mark.parametrize("bad", [jnp.nan, jnp.inf, -jnp.inf, 3e38])
def test_pruned_flag_equals_the_full_flag(where, bad) -> None:
    step, params, state, x, y = _adam_step(optax.adam(1e-3))
    adam = state[0]
    if where == "params":
        params = jax.tree_util.tree_map(lambda p: p.at[(0,) * p.ndim].set(bad), params)
    elif where in ("mu", "nu"):
        moment = jax.tree_util.tree_map(lambda p: p.at[(-1,) * p.ndim].set(bad),
                                        getattr(adam, where))
        state = (adam._replace(**{where: moment}), *state[1:])
    else:
        x = x.at[2, 3].set(bad)

    @jax.jit
    def both(*args):
        out, needed = call_with_needed(step, *args)
        return all_finite(needed), all_finite(out)

    pruned, full = both(params, state, x, y)
    assert bool(pruned) == bool(full)
    if bad != 3e38:
        assert not bool(full)


def test_watch_catches_an_inf_born_in_adam_nu_in_the_same_step() -> None:
    """g = 1e20 is finite, g**2 is not: only nu becomes Inf (params see x / inf == 0)."""
    opt = optax.adam(1e-3)
    params = {"params": {"w": jnp.ones((3, 4))}}

    def step(params, state, scale):
        loss, g = jax.value_and_grad(lambda p: scale * p["params"]["w"].sum())(params)
        updates, state = opt.update(g, state, params)
        return optax.apply_updates(params, updates), state, loss

    state = opt.init(params)
    new_params, new_state, loss = jax.jit(step)(params, state, 1e20)
    assert bool(jnp.isfinite(loss)) and bool(jnp.isfinite(new_params["params"]["w"]).all())
    assert not bool(jnp.isfinite(new_state[0].nu["params"]["w"]).all())
    watched = lj.watch(jax.jit(step))
    watched(params, state, 1.0)  # compiled and clean
    with pytest.raises(lintnn.NonFiniteError) as info:
        watched(params, state, 1e20)
    assert info.value.origin.op == "integer_pow"  # g**2 in adam's second moment


def test_watch_catches_inf_injected_into_nu() -> None:
    step, params, state, x, y = _adam_step(optax.adam(1e-3))
    watched = lj.watch(jax.jit(step))
    out = watched(params, state, x, y)
    np.testing.assert_array_equal(out[2], jax.jit(step)(params, state, x, y)[2])
    adam = out[1][0]
    nu = jax.tree_util.tree_map(lambda v: v.at[(0,) * v.ndim].set(jnp.inf), adam.nu)
    bad_state = (adam._replace(nu=nu), *out[1][1:])
    new_params = jax.jit(step)(out[0], bad_state, x, y)[0]
    assert bool(all_finite(new_params))  # the parameters alone would not show it
    with pytest.raises(lintnn.NonFiniteError) as info:
        watched(out[0], bad_state, x, y)
    assert info.value.diagnostic.code == "NR203"
    assert "args[1]/0/nu/params/fc1/kernel" in info.value.origin.detail
