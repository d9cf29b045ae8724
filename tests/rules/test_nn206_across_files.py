"""NN206 across files: the statistics a training ``apply`` drops matter only if the model
has a BatchNorm that reads them; one built with ``use_running_average=False`` (flax) or
``track_running_stats=False`` (torch) never does. The class summaries say which."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lintnn.config import Settings
from lintnn.static.engine.run import Engine

_MODELS = '''
    import flax.linen as nn

    class Base(nn.Module):
        pass

    class Block(nn.Module):
        @nn.compact
        def __call__(self, x):
            return nn.BatchNorm(use_running_average=False)(nn.Dense(4)(x))

    class BatchStatsOnly(Base):
        @nn.compact
        def __call__(self, x):
            x = Block()(x)
            return nn.BatchNorm(use_running_average=False)(x)

    class Plain(Base):
        @nn.compact
        def __call__(self, x):
            return nn.Dense(4)(x)

    class Switched(nn.Module):
        train: bool = True

        @nn.compact
        def __call__(self, x):
            return nn.BatchNorm(use_running_average=not self.train)(Block()(x))
'''


def _train(model: str, annotated: str = "") -> str:
    """The model a global (``annotated`` empty) or a parameter typed ``annotated``."""
    net = "net" if annotated else "model"
    return f'''
    import jax
    import optax
    from models import {model}, Base

    model = {model}()

    def loss_fn(params, x, y, net{annotated}):
        logits = {net}.apply(params, x, mutable=["batch_stats"])[0]
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    def train_step(params, x, y):
        return jax.grad(loss_fn)(params, x, y, model)
'''


def _findings(root: Path, files: dict[str, str], gated: bool = True) -> list[tuple[str, int]]:
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text))
    engine = Engine(Settings(select=["NN206"], root=root), use_cache=False, jobs=1,
                    gated=gated)
    return [(Path(d.filename).name, d.location.row)
            for d in engine.check_paths([root]).diagnostics]


@pytest.mark.parametrize("gated", [True, False])
@pytest.mark.parametrize("model,annotated", [
    ("BatchStatsOnly", ""),  # every BatchNorm, its block's too, ignores running averages
    ("Plain", ""),  # no BatchNorm at all
    ("BatchStatsOnly", ": Base"),  # typed by the base: each subclass ignores them
])
def test_no_finding_when_no_batchnorm_reads_running_statistics(
        tmp_path: Path, gated: bool, model: str, annotated: str) -> None:
    files = {"models.py": _MODELS, "train.py": _train(model, annotated)}
    assert _findings(tmp_path, files, gated) == []


@pytest.mark.parametrize("gated", [True, False])
@pytest.mark.parametrize("model,annotated", [
    ("Switched", ""),  # use_running_average=not self.train: evaluation reads them
    ("Unknown", ""),  # a class the project does not define: assumed to
    ("Switched", ": Switched"),
])
def test_the_finding_stays_when_a_batchnorm_may_read_them(
        tmp_path: Path, gated: bool, model: str, annotated: str) -> None:
    files = {"models.py": _MODELS, "train.py": _train(model, annotated)}
    assert _findings(tmp_path, files, gated) == [("train.py", 9)]


def test_a_subclass_that_reads_them_keeps_a_base_typed_finding(tmp_path: Path) -> None:
    models = _MODELS + '''
    class Reading(Base):
        @nn.compact
        def __call__(self, x, train=True):
            return nn.BatchNorm(use_running_average=not train)(x)
    '''
    files = {"models.py": models, "train.py": _train("BatchStatsOnly", ": Base")}
    assert _findings(tmp_path, files) == [("train.py", 9)]
