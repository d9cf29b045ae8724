"""The steady-state flag of watch: exact for NaN, +-Inf and huge finite values."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest

from lintnn.runtime.jax.trees import all_finite


@pytest.mark.parametrize("bad", [jnp.nan, jnp.inf, -jnp.inf])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4)])
def test_all_finite_flags_every_nonfinite_value(bad, shape) -> None:
    x = jnp.ones(shape)
    index = tuple(s - 1 for s in shape)
    tree = {"a": jnp.full((2, 2), 3e38), "b": x.at[index].set(bad), "n": jnp.arange(3)}
    assert not bool(jax.jit(all_finite)(tree))
    assert bool(jax.jit(all_finite)({**tree, "b": x}))  # 3e38 * 4 would overflow a sum


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16, jnp.complex64])
def test_all_finite_in_other_dtypes_and_mixed_groups(dtype) -> None:
    x = jnp.full((3, 4), 60000.0 if dtype == jnp.float16 else 3e38).astype(dtype)
    same_shape = jnp.ones((3, 4))  # grouped with x when the dtypes match: they do not
    check = jax.jit(all_finite)
    assert bool(check([x, same_shape, x]))
    bad = complex(0.0, float("inf")) if dtype == jnp.complex64 else jnp.inf  # imag only
    assert not bool(check([x.at[1, 2].set(bad), same_shape, x]))
    assert not bool(check([x, x.at[2, 3].set(jnp.nan)]))  # same shape and dtype: one group
