"""Qualified-name resolution through import aliases, without scope analysis."""

from __future__ import annotations

import libcst as cst
import pytest

from lintnn.static.syntax.imports import ImportMap, canonical


def resolve(source: str, expr: str, module_name: str = "pkg.mod") -> str | None:
    from lintnn.static.syntax.index import NodeIndex

    module = cst.parse_module(source)
    table = ImportMap(module_name, False)
    NodeIndex.build(module, table)
    return table.resolve(cst.parse_expression(expr))


@pytest.mark.parametrize(
    ("source", "expr", "expected"),
    [
        ("import torch.nn.functional as F", "F.softmax", "torch.nn.functional.softmax"),
        ("from torch.nn import functional as F", "F.softmax", "torch.nn.functional.softmax"),
        ("import torch", "torch.nn.CrossEntropyLoss", "torch.nn.CrossEntropyLoss"),
        ("from torch import nn", "nn.Softmax", "torch.nn.Softmax"),
        ("import flax.linen as nn", "nn.Dropout", "flax.linen.Dropout"),
        ("from tensorflow import keras", "keras.layers.Dense", "keras.layers.Dense"),
        ("import tensorflow as tf", "tf.keras.layers.Dense", "keras.layers.Dense"),
        ("from torch.nn.modules.loss import CrossEntropyLoss as CE", "CE",
         "torch.nn.CrossEntropyLoss"),
        ("from .models import Net", "Net", "pkg.models.Net"),
        ("from . import models", "models.Net", "pkg.models.Net"),
        ("import torch\ntorch = 3", "torch.softmax", None),
        ("x = 1", "F.softmax", None),
    ],
)
def test_resolution(source: str, expr: str, expected: str | None) -> None:
    assert resolve(source, expr) == expected


def test_conflicting_imports_of_one_name_resolve_to_nothing() -> None:
    source = "try:\n    import jax.numpy as np\nexcept ImportError:\n    import numpy as np\n"
    assert resolve(source, "np.mean") is None


def test_canonical_folds_keras_spellings() -> None:
    assert canonical("keras.src.layers.core.dense.Dense") == "keras.layers.Dense"
    assert canonical("tensorflow.keras.losses.CategoricalCrossentropy") == (
        "keras.losses.CategoricalCrossentropy"
    )
