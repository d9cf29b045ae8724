"""NN512 at-update-discarded."""

from __future__ import annotations

import pytest

from tests.helpers import assert_findings

POSITIVES = {
    "set": """
        import jax.numpy as jnp
        x = jnp.zeros(3)
        x.at[0].set(1.0)  # expect: NN512
    """,
    "multiply_on_a_dict_entry": """
        import jax
        def reset_column(params):
            params["w"].at[:, 0].multiply(0.0)  # expect: NN512
            return params
    """,
    "add_in_a_loop": """
        import jax.numpy as jnp
        def histogram(labels, n):
            counts = jnp.zeros(n)
            for label in labels:
                counts.at[label].add(1)  # expect: NN512
            return counts
    """,
    "attribute_array": """
        from jax import numpy as jnp
        class Buffer:
            def push(self, i, v):
                self.data.at[i].set(v)  # expect: NN512
    """,
}

NEGATIVES = {
    "assigned_returned_passed": """
        import jax.numpy as jnp
        x = jnp.zeros(3)
        x = x.at[0].set(1.0)
        def f(x):
            use(x.at[1].add(2.0))
            g = lambda y: y.at[0].set(0.0)
            return x.at[2].max(3.0)
    """,
    "get_only_reads": """
        import jax.numpy as jnp
        x = jnp.arange(3)
        x.at[5].get(mode="fill", fill_value=0)
    """,
    "pandas_at": """
        import jax
        import pandas as pd
        df = pd.DataFrame({"a": [1]})
        df.at[0, "a"] = 2
    """,
    "no_jax_import": """
        grid.at[0].set(1)
    """,
    "numpy_ufunc_at": """
        import jax
        import numpy as np
        np.add.at(counts, labels, 1)
    """,
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_positive(name: str) -> None:
    assert_findings(POSITIVES[name], "NN512")


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_negative(name: str) -> None:
    assert_findings(NEGATIVES[name], "NN512")
