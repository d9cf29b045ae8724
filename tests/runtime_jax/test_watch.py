"""watch(fn): same results when finite; names op, module, source and phase when not."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lintnn
import lintnn.jax as lj

from .models import MLP, NaNMLP, xent

X = jax.random.normal(jax.random.PRNGKey(1), (6, 5))


@pytest.fixture(scope="module")
def nan_model():
    model = NaNMLP()
    return model, model.init(jax.random.PRNGKey(0), X)


def _origin(fn, *args) -> lintnn.Origin:
    with pytest.raises(lintnn.NonFiniteError) as info:
        lj.watch(fn)(*args)
    return info.value.origin


def test_returns_exactly_what_fn_returns() -> None:
    model = MLP()
    params = model.init(jax.random.PRNGKey(0), X)
    fn = functools.partial(model.apply, params)
    np.testing.assert_array_equal(lj.watch(fn)(X), fn(X))
    pair = lj.watch(lambda a, n: (a * n, {"s": a.sum()}))(X, 3)
    assert isinstance(pair, tuple) and set(pair[1]) == {"s"}
    np.testing.assert_allclose(pair[0], X * 3)


@pytest.mark.parametrize("wrap", [lambda f: f, jax.jit], ids=["plain", "jit"])
def test_forward_log_in_flax_head(nan_model, wrap) -> None:
    model, params = nan_model
    origin = _origin(wrap(functools.partial(model.apply, params)), X)
    assert (origin.phase, origin.op, origin.module) == ("forward", "log", "head")
    assert origin.source.endswith("models.py:26")
    assert not origin.parameters_nonfinite


def test_backward_sqrt_at_zero_under_grad_and_vmap() -> None:
    grad = jax.grad(lambda x: jnp.sqrt(x).sum())
    for fn in (grad, jax.vmap(grad), jax.jit(grad)):
        origin = _origin(fn, jnp.zeros((3, 3)) if fn is not grad else jnp.zeros(3))
        assert origin.phase == "backward"
        assert origin.source.endswith("test_watch.py:" + str(_line("jnp.sqrt(x).sum()")))


def _line(text: str) -> int:
    with open(__file__) as f:
        return next(i for i, line in enumerate(f, 1) if text in line)


def test_masked_nan_is_not_the_culprit() -> None:
    def f(x):
        safe = jnp.where(x > 0, jnp.log(x), 0.0)  # NaN inside, masked away
        return safe + 1.0 / x  # the real culprit: 1/0

    origin = _origin(f, jnp.array([0.0, 1.0, -1.0]))
    assert origin.op == "div"


def test_dirty_input_and_dirty_parameters(nan_model) -> None:
    model = MLP()
    params = model.init(jax.random.PRNGKey(0), X)
    with pytest.raises(lintnn.NonFiniteError) as info:
        lj.watch(model.apply)(params, X.at[2, 1].set(jnp.nan))
    assert info.value.origin.phase == "input" and info.value.diagnostic.code == "NR203"
    bad = jax.tree_util.tree_map(lambda p: p, params)
    bad["params"]["fc2"]["bias"] = bad["params"]["fc2"]["bias"].at[0].set(jnp.inf)
    with pytest.raises(lintnn.NonFiniteError) as info:
        lj.watch(functools.partial(model.apply, bad))(X)
    assert info.value.diagnostic.code == "NR204"
    assert info.value.origin.parameters_nonfinite
    assert "fc2/bias" in info.value.origin.detail


def test_grad_of_flax_loss_backward_in_module() -> None:
    model = MLP()
    params = model.init(jax.random.PRNGKey(0), X)
    labels = jnp.arange(6) % 4

    def loss(p, x, y):
        return xent(jnp.sqrt(jnp.abs(model.apply(p, x)) * 0.0), y)  # d sqrt at 0

    with pytest.raises(lintnn.NonFiniteError) as info:
        lj.watch(jax.jit(jax.grad(loss)))(params, X, labels)
    assert info.value.origin.phase == "backward"
    assert info.value.diagnostic.code == "NR202"


def test_no_recompilation_per_call() -> None:
    calls = []

    def f(x):
        calls.append(1)  # runs once per trace
        return x * 2

    watched = lj.watch(f)
    for i in range(5):
        watched(X + i)
    assert len(calls) == 1


def test_untraceable_fn_falls_back_to_eager() -> None:
    def f(x):
        return x if float(x.sum()) > 0 else -x  # Python control flow on a value

    assert float(lj.watch(f)(jnp.ones(3)).sum()) == 3.0
    with pytest.raises(lintnn.NonFiniteError):
        lj.watch(f)(jnp.array([1.0, jnp.inf]))


def test_backward_nan_inside_a_flax_module_names_the_module() -> None:
    from .models import SqrtMLP

    model = SqrtMLP()
    params = model.init(jax.random.PRNGKey(0), X)
    labels = jnp.arange(6) % 4
    grad = jax.jit(jax.grad(lambda p, x, y: xent(model.apply(p, x), y)))
    padded = X.at[0].set(0.0)  # a padding row: its norm is 0
    np.testing.assert_array_equal(jnp.isfinite(model.apply(params, padded)), True)
    with pytest.raises(lintnn.NonFiniteError) as info:
        lj.watch(grad)(params, padded, labels)
    origin = info.value.origin
    assert (origin.phase, origin.module) == ("backward", "head")
    assert origin.source.endswith("models.py:" + str(_models_line("jnp.linalg.norm(h")))


def _models_line(text: str) -> int:
    from . import models

    with open(models.__file__) as f:
        return next(i for i, line in enumerate(f, 1) if text in line)


def test_forward_nan_under_grad_stays_forward(nan_model) -> None:
    model, params = nan_model
    grad = jax.value_and_grad(lambda p, x: model.apply(p, x).sum())
    with pytest.raises(lintnn.NonFiniteError) as info:
        lj.watch(grad)(params, X)
    origin = info.value.origin
    assert (origin.phase, origin.op, origin.module) == ("forward", "log", "head")
    assert info.value.diagnostic.code == "NR201"


def test_check_selects_what_is_reduced() -> None:
    def step(x):
        return x * 0.0 + jnp.inf, x.sum()  # a non-finite part outside the selection

    out = lj.watch(step, check=lambda out: out[1])(X)
    assert bool(jnp.isinf(out[0]).all())
    with pytest.raises(lintnn.NonFiniteError):
        lj.watch(step)(X)


def test_flax_apply_with_static_flag_and_rngs_stays_compiled() -> None:
    import flax.linen as nn

    class Drop(nn.Module):
        @nn.compact
        def __call__(self, x, train: bool):
            return jnp.log(nn.Dropout(0.5, deterministic=not train)(nn.Dense(4)(x)))

    model = Drop()
    variables = model.init(jax.random.PRNGKey(0), X, train=False)
    watched = lj.watch(model.apply)
    with pytest.raises(lintnn.NonFiniteError) as info:
        watched(variables, X, train=True, rngs={"dropout": jax.random.PRNGKey(1)})
    assert info.value.origin.op == "log"
    cache = watched.__lintnn_watched__.cache
    assert len(cache) == 1 and all(callable(c) for c in cache.values())


def _causal_attention(x, mask, head):
    scores = x @ x.swapaxes(-1, -2) + mask  # an additive mask: -inf above the diagonal
    h = jax.nn.softmax(scores, axis=-1) @ x
    return head(h)


def test_additive_infinite_mask_is_not_blamed_for_a_nan_made_later() -> None:
    t = 4
    mask = jnp.triu(jnp.full((t, t), -jnp.inf), 1)
    x = jax.random.normal(jax.random.PRNGKey(0), (2, t, 3))
    fn = functools.partial(_causal_attention, head=lambda h: jnp.log(h - 10.0))  # NaN here
    with pytest.raises(lintnn.NonFiniteError) as info:
        lj.watch(fn)(x, mask)
    assert info.value.origin.phase == "forward" and info.value.origin.op == "log"
    assert info.value.diagnostic.code == "NR201"


def test_additive_infinite_mask_of_a_clean_model_does_not_fire() -> None:
    mask = jnp.triu(jnp.full((4, 4), -jnp.inf), 1)
    x = jax.random.normal(jax.random.PRNGKey(0), (2, 4, 3))
    out = lj.watch(functools.partial(_causal_attention, head=jnp.tanh))(x, mask)
    assert bool(jnp.isfinite(out).all())


def test_input_whose_inf_makes_a_nan_is_blamed() -> None:
    mask = jnp.triu(jnp.full((4, 4), -jnp.inf), 1)
    x = jax.random.normal(jax.random.PRNGKey(0), (2, 4, 3))

    def multiplied(x, mask):
        return jax.nn.softmax(x @ x.swapaxes(-1, -2) * mask, axis=-1)  # 0 * -inf: NaN

    with pytest.raises(lintnn.NonFiniteError) as info:
        lj.watch(multiplied)(x, mask)
    assert info.value.origin.phase == "input" and info.value.diagnostic.code == "NR203"
    assert info.value.origin.op is not None and "born from it" in str(info.value)
