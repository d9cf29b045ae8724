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
