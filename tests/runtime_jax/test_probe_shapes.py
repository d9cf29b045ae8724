"""probe_shapes: named dims traced through the jaxpr of real flax models."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import pytest

import lintnn.jax as lj

from .models import CNN, MLP, BatchSoftmax, Block, abstract_bind, xent

SEQ = jnp.ones((4, 10, 8))
FEATS = jnp.ones((4, 5))


_bind = abstract_bind


def test_healthy_transformer_block_has_no_findings_and_names_every_module() -> None:
    rep = lj.probe_shapes(_bind(Block(), SEQ), SEQ)
    assert rep.ok and rep.codes() == []
    assert rep.data["modules"]["attn/q"] == "(B, T, 8)"
    assert rep.data["modules"]["up"] == "(B, T, 16)"
    assert rep.data["real"] == {"B": 4, "T": 10}


def test_head_split_by_plain_reshape_is_nr101_in_attention() -> None:
    rep = lj.probe_shapes(_bind(Block(buggy=True), SEQ), SEQ)
    assert rep.codes() == ["NR101"]
    (f,) = rep.findings
    assert f.module == "attn" and f.extra["dim"] == "T"
    assert f.source.endswith("models.py:49")
    assert "(B, 2, T, 4)" in f.message


def test_batch_and_time_swapped_by_reshape_is_one_finding() -> None:
    rep = lj.probe_shapes(lambda x: x.reshape(x.shape[1], x.shape[0], -1) * 2.0, SEQ)
    (f,) = rep.findings
    assert f.code == "NR101" and f.extra["dims"] == ["B", "T"]
    assert [c.code for c in f.extra["consequences"]] == ["NR103"]  # the mixing it makes


def test_softmax_over_the_batch_axis_is_nr103() -> None:
    rep = lj.probe_shapes(_bind(BatchSoftmax(), FEATS), FEATS)
    assert rep.codes() == ["NR103"]
    assert rep.findings[0].source.endswith("models.py:74")
    assert rep.findings[0].extra["op"] in {"reduce_max", "reduce_sum"}


def test_row_independent_ops_are_not_batch_mixing() -> None:
    rep = lj.probe_shapes(lambda x: jax.nn.softmax(x, axis=-1) - x.mean(axis=1, keepdims=True),
                          FEATS)
    assert rep.ok


def _mse(pred, target):
    return ((pred - target) ** 2).mean()


@pytest.mark.parametrize(("target", "codes"), [
    (jnp.ones(4), ["NR102"]),
    (jnp.ones((4, 1)), []),
])
def test_regression_target_broadcast_is_nr102(target, codes) -> None:
    rep = lj.probe_shapes(_bind(MLP(classes=1), FEATS), FEATS, target=target, loss_fn=_mse)
    assert rep.codes() == codes
    if codes:
        assert "(B, B)" in rep.findings[0].message
        assert rep.findings[0].source.endswith("test_probe_shapes.py:" + str(_line()))


def _line() -> int:
    with open(__file__) as f:
        return next(i for i, line in enumerate(f, 1) if "((pred - target) ** 2)" in line)


def test_classification_loss_with_integer_labels_is_clean() -> None:
    rep = lj.probe_shapes(_bind(MLP(), FEATS), FEATS, target=jnp.zeros(4, int), loss_fn=xent)
    assert rep.ok and rep.data["target"] == "(B,)"


def test_cnn_with_fixed_spatial_size_probes_the_batch_only() -> None:
    img = jnp.ones((2, 8, 8, 3))
    rep = lj.probe_shapes(_bind(CNN(), img), img)
    assert rep.ok
    assert rep.data["fixed_dims"] == ["T"]
    assert rep.data["output"] == ["(B, 4)"]


def test_hard_coded_batch_size_is_nr104_with_named_dims() -> None:
    x = jnp.ones((32, 5))
    rep = lj.probe_shapes(lambda a: a.reshape(32, -1), x)
    assert rep.codes() == ["NR104"]
    assert "(B, 5)" in rep.findings[0].message and "B=7" in rep.findings[0].message


def test_dims_override_by_keyword_and_shared_names() -> None:
    def fn(x, mask):
        return jnp.where(mask[..., None], x, 0.0).reshape(x.shape[0], -1)

    mask = jnp.ones((4, 10), bool)
    rep = lj.probe_shapes(fn, SEQ, mask, dims={"x": ("B", "T", None), 1: ("B", "T")})
    assert rep.ok and rep.data["output"] == ["(B, 8*T)"]
    assert rep.data["dims"]["B"] != rep.data["dims"]["T"]


def test_batchnorm_in_training_mode_is_not_batch_mixing_as_in_torch() -> None:
    import flax.linen as nn

    class BN(nn.Module):
        @nn.compact
        def __call__(self, x):
            return nn.BatchNorm(use_running_average=False, name="bn")(nn.Dense(4)(x))

    model = BN()
    variables = jax.eval_shape(model.init, jax.random.PRNGKey(0), FEATS)
    variables = jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), variables)
    apply = functools.partial(model.apply, variables, mutable=["batch_stats"])
    rep = lj.probe_shapes(apply, FEATS)
    assert rep.findings == [], str(rep)  # torch's check_batch_independence is silent too


def test_one_reshape_bug_in_every_layer_and_the_loss_it_breaks_is_one_finding() -> None:
    """Was five findings: NR103, and NR101 for B and for T in each of two layers."""
    import flax.linen as nn

    class Swap(nn.Module):
        @nn.compact
        def __call__(self, x):
            b, t, f = x.shape
            return nn.Dense(f)(x).reshape(t, b, f)  # the bug

    class Net(nn.Module):
        @nn.compact
        def __call__(self, x):
            return Swap(name="second")(Swap(name="first")(x))

    target = jnp.ones((4, 10, 8))
    rep = lj.probe_shapes(_bind(Net(), SEQ), SEQ, target=target, loss_fn=_mse)
    (f,) = rep.findings
    assert f.code == "NR101" and f.extra["dims"] == ["B", "T"]
    assert f.extra["modules"] == ["first", "second"]
    assert f.source.endswith("test_probe_shapes.py:" + str(_line_of("# the bug")))
    assert "NR103" in [c.code for c in f.extra["consequences"]]


def _line_of(text: str) -> int:
    with open(__file__) as f:
        return next(i for i, line in enumerate(f, 1) if text in line and "_line_of" not in line)
