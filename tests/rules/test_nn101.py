"""NN101 probabilities-into-logits-loss."""

from __future__ import annotations

import pytest

from tests.helpers import assert_findings, lint_project

POSITIVES = {
    "through_variable": """
        import torch
        import torch.nn.functional as F
        def step(logits, y):
            p = torch.softmax(logits, dim=-1)
            return F.cross_entropy(p, y)  # expect: NN101
    """,
    "tensor_method": """
        import torch.nn as nn
        crit = nn.CrossEntropyLoss()
        def step(logits, y):
            return crit(logits.softmax(dim=-1), y)  # expect: NN101
    """,
    "sequential_ending_in_softmax": """
        import torch.nn as nn
        model = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))
        loss_fn = nn.CrossEntropyLoss()
        def step(x, y):
            out = model(x)
            return loss_fn(out, y)  # expect: NN101
    """,
    "self_attribute_loss_and_model": """
        import torch.nn as nn
        class Trainer:
            def __init__(self):
                self.net = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=-1))
                self.criterion = nn.CrossEntropyLoss()
            def step(self, x, y):
                return self.criterion(self.net(x), y)  # expect: NN101
    """,
    "sigmoid_into_bce_with_logits": """
        import torch
        import torch.nn as nn
        def step(z, y):
            return nn.BCEWithLogitsLoss()(torch.sigmoid(z), y)  # expect: NN101
    """,
    "model_class_in_same_file": """
        import torch.nn as nn
        import torch.nn.functional as F
        class Net(nn.Module):
            def forward(self, x):
                return F.softmax(self.fc(x), dim=1)
        model = Net().to("cpu")
        def train(x, y):
            return F.cross_entropy(model(x), y)  # expect: NN101
    """,
    "inherited_forward": """
        import torch.nn as nn
        class Base(nn.Module):
            def forward(self, x):
                return nn.functional.softmax(x, dim=-1)
        class Child(Base):
            pass
        def train(x, y):
            model = Child()
            return nn.CrossEntropyLoss()(model(x), y)  # expect: NN101
    """,
    "optax": """
        import jax, optax
        def loss(logits, labels):
            return optax.softmax_cross_entropy(jax.nn.softmax(logits), labels)  # expect: NN101
    """,
    "flax_model_call": """
        import flax.linen as nn
        import optax
        class MLP(nn.Module):
            @nn.compact
            def __call__(self, x):
                return nn.softmax(nn.Dense(3)(x))
        def loss(params, x, y):
            model = MLP()
            logits = model.apply(params, x)
            return optax.softmax_cross_entropy_with_integer_labels(model(x), y)  # expect: NN101
    """,
    "tf_nn_labels_first": """
        import tensorflow as tf
        def loss(y, z):
            p = tf.nn.softmax(z)
            return tf.nn.softmax_cross_entropy_with_logits(y, p)  # expect: NN101
    """,
    "keras_compile_from_logits": """
        from tensorflow import keras
        model = keras.Sequential([
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ])
        model.compile(
            optimizer="adam",
            loss=keras.losses.SparseCategoricalCrossentropy(
                from_logits=True),  # expect: NN101
        )
    """,
    "keras_direct_call": """
        import keras
        loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)
        def step(model, x, y):
            return loss_fn(y, keras.activations.softmax(model(x)))  # expect: NN101
    """,
    "flagged_tuple_return_left_out": """
        import torch.nn as nn
        import torch.nn.functional as F
        class CNN(nn.Module):
            def forward(self, x, return_features=False):
                feature_maps = self.conv(x)
                x = self.output(feature_maps)
                if return_features:
                    return F.softmax(x, dim=1), feature_maps
                return F.softmax(x, dim=1)
        model = CNN()
        loss_fn = nn.CrossEntropyLoss()
        def train(data, target):
            output = model(data)
            return loss_fn(output, target)  # expect: NN101
    """,
    "flag_off_on_the_else_side": """
        import torch.nn as nn
        import torch.nn.functional as F
        class Net(nn.Module):
            def forward(self, x, *, targets=None):
                if targets is None:
                    return F.softmax(self.fc(x), -1)
                else:
                    return F.softmax(self.fc(x), -1), targets
        def train(x, y):
            return F.cross_entropy(Net()(x.float()), y)  # expect: NN101
    """,
}

NEGATIVES = {
    "softmax_only_for_metrics": """
        import torch.nn.functional as F
        def step(logits, y):
            loss = F.cross_entropy(logits, y)
            probs = F.softmax(logits, dim=1)
            acc = (probs.argmax(1) == y).float().mean()
            return loss, acc
    """,
    "log_softmax_with_nll": """
        import torch.nn.functional as F
        def step(logits, y):
            return F.nll_loss(F.log_softmax(logits, dim=1), y)
    """,
    "softmax_into_mse_distillation": """
        import torch.nn.functional as F
        def step(student, teacher):
            return F.mse_loss(F.softmax(student, 1), F.softmax(teacher, 1))
    """,
    "soft_targets_are_probabilities": """
        import torch.nn.functional as F
        def distill(student_logits, teacher_logits):
            return F.cross_entropy(student_logits, F.softmax(teacher_logits, dim=-1))
    """,
    "rebound_on_one_branch_only": """
        import torch
        import torch.nn.functional as F
        def step(z, y, use_probs):
            out = z
            if use_probs:
                out = torch.softmax(z, -1)
            return F.cross_entropy(out, y)
    """,
    "rebound_after_softmax": """
        import torch
        import torch.nn.functional as F
        def step(model, x, y):
            out = torch.softmax(model(x), -1)
            out = model(x)
            return F.cross_entropy(out, y)
    """,
    "keras_from_logits_with_linear_head": """
        from tensorflow import keras
        model = keras.Sequential([keras.layers.Dense(10)])
        model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    """,
    "keras_softmax_head_default_from_logits": """
        from tensorflow import keras
        model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])
        model.compile(loss=keras.losses.SparseCategoricalCrossentropy())
    """,
    "model_returns_logits": """
        import torch.nn as nn
        import torch.nn.functional as F
        class Net(nn.Module):
            def forward(self, x, return_probs=False):
                logits = self.fc(x)
                if return_probs:
                    return F.softmax(logits, -1)
                return logits
        def train(x, y):
            return nn.CrossEntropyLoss()(Net()(x), y)
    """,
    "call_passes_the_flag": """
        import torch.nn as nn
        import torch.nn.functional as F
        class CNN(nn.Module):
            def forward(self, x, return_features=False):
                x = self.output(x)
                if return_features:
                    return x, self.conv(x)
                return F.softmax(x, dim=1)
        model = CNN()
        def train(data, target):
            a = F.cross_entropy(model(data, return_features=True), target)
            b = F.cross_entropy(model(data, True), target)
            c = F.cross_entropy(model(data, **{"return_features": True}), target)
            logits, feats = model(data, return_features=True)
            return a + b + c + F.cross_entropy(logits, target)
    """,
    # The tuple mechanism reads a class output only when every return is a tuple: the
    # first part under the flag stays unknown.
    "flagged_tuple_first_part": """
        import torch.nn as nn
        import torch.nn.functional as F
        class CNN(nn.Module):
            def forward(self, x, return_features=False):
                x = self.output(x)
                if return_features:
                    return F.softmax(x, dim=1), x
                return F.softmax(x, dim=1)
        def train(data, target):
            model = CNN()
            out, feats = model(data, return_features=True)
            return F.cross_entropy(out, target)
    """,
    "returns_disagree_on_the_mode": """
        import torch.nn as nn
        import torch.nn.functional as F
        class Net(nn.Module):
            def forward(self, x, return_features=False):
                x = self.fc(x)
                if self.training:
                    return F.softmax(x, dim=1)
                return x
        def train(x, y):
            return F.cross_entropy(Net()(x), y)
    """,
    "flag_defaults_on": """
        import torch.nn as nn
        import torch.nn.functional as F
        class Net(nn.Module):
            def forward(self, x, probs=True):
                x = self.fc(x)
                if probs:
                    return F.softmax(x, dim=1)
                return x
        def train(x, y):
            return F.cross_entropy(Net()(x), y)
    """,
    "flag_reassigned_in_forward": """
        import torch.nn as nn
        import torch.nn.functional as F
        class Net(nn.Module):
            def forward(self, x, logits=False):
                logits = logits or self.always_logits
                x = self.fc(x)
                if logits:
                    return x
                return F.softmax(x, dim=1)
        def train(x, y):
            return F.cross_entropy(Net()(x), y)
    """,
    "delegates_to_a_flagged_class": """
        import torch.nn as nn
        import torch.nn.functional as F
        class Inner(nn.Module):
            def forward(self, x, raw=False):
                if raw:
                    return x
                return F.softmax(x, dim=1)
        class Outer(nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = Inner()
            def forward(self, x):
                return self.inner(x, raw=True)
        def train(x, y):
            return F.cross_entropy(Outer()(x), y)
    """,
    "user_function_named_softmax": """
        import torch.nn.functional as F
        def softmax(x):
            return x
        def step(z, y):
            return F.cross_entropy(softmax(z), y)
    """,
    "unknown_third_party_model": """
        import torch.nn as nn
        from transformers import AutoModel
        def train(x, y):
            model = AutoModel.from_pretrained("x")
            return nn.CrossEntropyLoss()(model(x), y)
    """,
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_positive(name: str) -> None:
    assert_findings(POSITIVES[name], "NN101")


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_negative(name: str) -> None:
    assert_findings(NEGATIVES[name], "NN101")


def test_model_in_another_file(tmp_path) -> None:
    found = lint_project(tmp_path, {
        "models.py": """
            import torch.nn as nn
            class Classifier(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.head = nn.Sequential(nn.Linear(8, 4), nn.Softmax(dim=1))
                def forward(self, x):
                    return self.head(x)
        """,
        "train.py": """
            import torch.nn as nn
            from models import Classifier
            model = Classifier()
            criterion = nn.CrossEntropyLoss()
            def step(x, y):
                return criterion(model(x), y)
        """,
    })
    assert [(d.code, d.location.row) for d in found] == [("NN101", 7)]
    assert "Classifier" in found[0].message


def test_inline_softmax_fix_produces_logits_call() -> None:
    from tests.helpers import lint

    found = lint("""
        import torch.nn.functional as F
        def step(z, y):
            return F.cross_entropy(F.softmax(z, dim=1), y)
    """)
    assert found[0].fix is not None
    (edit,) = found[0].fix.edits
    assert edit.content == "z"
    assert (edit.start.row, edit.start.column) == (4, 28)
