"""Loss-input rules NN101-NN107: true positives and the negatives a naive rule would flag."""

from __future__ import annotations

import textwrap

import libcst as cst

from lintnn.diagnostics import Diagnostic
from tests.helpers import assert_findings, lint, lint_project

TORCH = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
"""


def torch_snippet(body: str) -> str:
    return TORCH + textwrap.dedent(body)


def net_module(returns: str) -> str:
    """A ``models.py`` defining ``Net`` whose forward returns ``returns`` (of ``self.fc``)."""
    return TORCH + textwrap.dedent(f"""
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 2)
            def forward(self, x):
                return {returns}
    """)


def apply_fix(source: str, diagnostic: Diagnostic) -> str:
    """Apply a diagnostic's edits (1-based rows and columns) to ``source``."""
    assert diagnostic.fix is not None, f"no fix for {diagnostic}"
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(location) -> int:
        return offsets[location.row - 1] + location.column - 1

    out = source
    for edit in sorted(diagnostic.fix.edits, key=lambda e: e.start, reverse=True):
        out = out[: offset(edit.start)] + edit.content + out[offset(edit.end):]
    cst.parse_module(out)  # the fixed text must still parse
    return out


def fixed(source: str, code: str) -> str:
    source = textwrap.dedent(source)
    found = [d for d in lint(source) if d.code == code]
    assert len(found) == 1, found
    return apply_fix(source, found[0])


# NN101 -------------------------------------------------------------------------------


def test_nn101_keras_sequential_grown_with_add_is_not_trusted() -> None:
    assert_findings("""
        from tensorflow import keras
        model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])
        model.add(keras.layers.Dense(10))
        model.compile("adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    """, "NN101")


def test_nn101_keras_softmax_last_layer_with_from_logits() -> None:
    assert_findings("""
        from tensorflow import keras
        model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)  # expect: NN101
        model.compile("adam", loss=loss)
    """, "NN101")


def test_nn101_model_in_another_file(tmp_path) -> None:
    found = lint_project(tmp_path, {
        "models.py": net_module("torch.sigmoid(self.fc(x))"),
        "train.py": TORCH + textwrap.dedent("""
            from models import Net
            model = Net()
            loss = nn.BCEWithLogitsLoss()(model(torch.zeros(1, 4)), torch.ones(1, 2))
        """),
    })
    assert [(d.code, d.location.row) for d in found if d.code == "NN101"] == [("NN101", 7)]


def test_nn101_fix_drops_the_inline_softmax() -> None:
    assert fixed(TORCH + "loss = F.cross_entropy(F.softmax(z, dim=1), y)\n", "NN101").endswith(
        "loss = F.cross_entropy(z, y)\n")
    assert fixed(TORCH + "loss = nn.BCEWithLogitsLoss()(z.sigmoid(), y)\n", "NN101").endswith(
        "loss = nn.BCEWithLogitsLoss()(z, y)\n")


# NN102 -------------------------------------------------------------------------------


def test_nn102_log_softmax_into_cross_entropy() -> None:
    assert_findings(torch_snippet("""
        criterion = nn.CrossEntropyLoss()
        head = nn.Sequential(nn.Linear(4, 3), nn.LogSoftmax(dim=1))
        def step(x, y, logits):
            a = criterion(F.log_softmax(logits, dim=1), y)  # expect: NN102
            log_probs = logits.log_softmax(-1)
            b = F.cross_entropy(log_probs, y)  # expect: NN102
            c = criterion(head(x), y)  # expect: NN102
            return a + b + c
    """), "NN102")


def test_nn102_optax() -> None:
    assert_findings("""
        import jax
        import optax
        def loss_fn(logits, labels):
            return optax.softmax_cross_entropy(jax.nn.log_softmax(logits), labels)  # expect: NN102
    """, "NN102")


def test_nn102_negatives_nll_and_kl_divergence() -> None:
    assert_findings(torch_snippet("""
        nll = nn.NLLLoss()
        kl = nn.KLDivLoss(reduction="batchmean")
        def step(logits, teacher, y):
            log_probs = F.log_softmax(logits, dim=1)
            a = nll(log_probs, y)
            b = F.nll_loss(log_probs, y)
            c = kl(log_probs, F.softmax(teacher, dim=1))
            d = F.kl_div(log_probs, teacher.log_softmax(-1), log_target=True)
            e = F.cross_entropy(logits, y)
            return a + b + c + d + e
    """), "NN102")


def test_nn102_model_ending_in_log_softmax_in_another_file(tmp_path) -> None:
    found = lint_project(tmp_path, {
        "models.py": net_module("F.log_softmax(self.fc(x), dim=-1)"),
        "train.py": TORCH + textwrap.dedent("""
            from models import Net
            model = Net()
            ce = nn.CrossEntropyLoss()
            nll = nn.NLLLoss()
            def step(x, y):
                return ce(model(x), y) + nll(model(x), y)
        """),
    }, select="NN10")
    assert [(d.code, d.location.row) for d in found] == [("NN102", 10)]


# NN103 -------------------------------------------------------------------------------


def test_nn103_probabilities_and_known_logits() -> None:
    assert_findings(torch_snippet("""
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(8, 3)
            def forward(self, x):
                return self.fc(x)

        model = Net()
        nll = nn.NLLLoss()
        fc = nn.Linear(8, 3)
        def step(x, y):
            a = nll(model(x), y)  # expect: NN103
            b = F.nll_loss(F.softmax(model(x), dim=1), y)  # expect: NN103
            probs = torch.softmax(fc(x), dim=-1)
            c = F.nll_loss(probs, y)  # expect: NN103
            d = F.nll_loss(fc(x), y)  # expect: NN103
            e = nll(input=torch.sigmoid(fc(x)), target=y)  # expect: NN103
            return a + b + c + d + e
    """), "NN103")


def test_nn103_negatives() -> None:
    assert_findings(torch_snippet("""
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(8, 3)
            def forward(self, x):
                return F.log_softmax(self.fc(x), dim=1)

        class Wrapped(nn.Module):
            def __init__(self, backbone):
                super().__init__()
                self.backbone = backbone
            def forward(self, x):
                return self.backbone(x)

        model = Net()
        nll = nn.NLLLoss()
        fc = nn.Linear(8, 3)
        def step(x, y, scores, other: Wrapped):
            a = nll(model(x), y)
            b = F.nll_loss(F.log_softmax(fc(x), dim=1), y)
            c = F.nll_loss(scores, y)
            d = F.nll_loss(torch.log(F.softmax(fc(x), dim=1)), y)
            e = nll(other(x), y)
            h = fc(x)
            h = F.log_softmax(h, dim=-1)
            f = nll(h, y)
            return a + b + c + d + e + f
    """), "NN103")


def test_nn103_model_in_another_file(tmp_path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/models.py": TORCH + textwrap.dedent("""
            class Logits(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = nn.Linear(4, 2)
                def forward(self, x):
                    return self.fc(x)

            class LogProbs(Logits):
                def forward(self, x):
                    return F.log_softmax(self.fc(x), dim=-1)

            class Inherits(Logits):
                pass
        """),
        "train.py": TORCH + textwrap.dedent("""
            from pkg.models import Inherits, LogProbs, Logits
            nll = nn.NLLLoss()
            def step(x, y):
                a = nll(Logits()(x), y)
                b = nll(LogProbs()(x), y)
                c = nll(Inherits()(x), y)
                return a + b + c
        """),
    }
    found = lint_project(tmp_path, files, select="NN103")
    assert sorted((d.filename.endswith("train.py"), d.location.row) for d in found) == [
        (True, 8), (True, 10)]


# NN104 -------------------------------------------------------------------------------


def test_nn104_linear_output_into_bce() -> None:
    assert_findings(torch_snippet("""
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))
            def forward(self, x):
                return self.body(x)

        bce = nn.BCELoss()
        fc = nn.Linear(8, 1)
        def step(x, y):
            a = bce(Net()(x), y)  # expect: NN104
            b = F.binary_cross_entropy(fc(x), y)  # expect: NN104
            return a + b
    """), "NN104")


def test_nn104_negatives() -> None:
    assert_findings(torch_snippet("""
        bce = nn.BCELoss()
        fc = nn.Linear(8, 1)
        head = nn.Sequential(nn.Linear(8, 1), nn.Sigmoid())
        def step(x, y, probs):
            a = bce(torch.sigmoid(fc(x)), y)
            b = F.binary_cross_entropy(head(x), y)
            c = bce(probs, y)
            d = nn.BCEWithLogitsLoss()(fc(x), y)
            e = nn.MSELoss()(fc(x), y)
            return a + b + c + d + e
    """), "NN104")


def test_nn104_keras_linear_last_layer_with_probability_loss() -> None:
    assert_findings("""
        import tensorflow as tf
        from tensorflow import keras
        from tensorflow.keras import layers

        a = keras.Sequential([layers.Dense(64, activation="relu"), layers.Dense(10)])
        a.compile(optimizer="adam", loss="sparse_categorical_crossentropy")  # expect: NN104
        b = keras.Sequential([layers.Dense(64, "relu"), layers.Dense(1, activation=None)])
        b.compile("adam", keras.losses.BinaryCrossentropy())  # expect: NN104
        c = keras.Sequential([layers.Dense(3, activation="linear")])
        c.compile("adam", keras.losses.CategoricalCrossentropy(from_logits=False))  # expect: NN104
        d = keras.Sequential([layers.Dense(3)])
        d.compile("adam", loss=keras.losses.categorical_crossentropy)  # expect: NN104
    """, "NN104")


def test_keras_functional_model_last_layer() -> None:
    """``keras.Model(inputs, outputs)``: the layer whose call made ``outputs`` is the head."""
    source = """
        import keras
        from tensorflow import keras as tfk
        from keras import layers

        inputs = keras.Input(shape=(784,))
        x = layers.Dense(64, activation="relu")(inputs)
        logits = layers.Dense(10)(x)
        a = keras.Model(inputs, logits)
        a.compile("adam", loss="sparse_categorical_crossentropy")  # expect: NN104
        head = layers.Dense(10, activation="softmax")
        b = tfk.Model(inputs=inputs, outputs=head(x))
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)  # expect: NN101
        b.compile("adam", loss)
        relu_out = layers.Dense(10, activation="relu")(x)
        c = keras.models.Model(inputs=inputs, outputs=relu_out)
        c.compile("adam", keras.losses.CategoricalCrossentropy(from_logits=True))  # expect: NN107
    """
    for code in ("NN101", "NN104", "NN107"):
        assert_findings(source, code)


def test_keras_functional_model_negatives() -> None:
    """Right pairings, several outputs, an output not made by one layer call."""
    source = """
        import keras
        from keras import layers

        def build_head(x):
            return layers.Dense(10)(x)

        inputs = keras.Input(shape=(784,))
        x = layers.Dense(64, activation="relu")(inputs)
        probs = layers.Dense(10, activation="softmax")(x)
        ok = keras.Model(inputs, probs)
        ok.compile("adam", loss="sparse_categorical_crossentropy")
        logits = layers.Dense(10)(x)
        ok2 = keras.Model(inputs=inputs, outputs=logits)
        ok2.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        two = keras.Model(inputs, [logits, probs])
        two.compile("adam", loss="sparse_categorical_crossentropy")
        built = keras.Model(inputs, build_head(x))
        built.compile("adam", loss="sparse_categorical_crossentropy")
        scaled = keras.Model(inputs, logits * 2.0)
        scaled.compile("adam", loss="sparse_categorical_crossentropy")
    """
    for code in ("NN101", "NN104", "NN107"):
        assert_findings(source, code)


def test_nn104_keras_negatives() -> None:
    assert_findings("""
        import tensorflow as tf
        from tensorflow import keras
        from tensorflow.keras import layers

        def my_activation(x):
            return tf.nn.softmax(x)

        class Trainer:
            def build(self):
                self.model = keras.Sequential([layers.Dense(10)])
                self.model.add(layers.Softmax())
                self.model.compile("adam", loss="categorical_crossentropy")

        a = keras.Sequential([layers.Dense(64, activation="relu"), layers.Dense(10, "softmax")])
        a.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        b = keras.Sequential([layers.Dense(10)])
        b.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        c = keras.Sequential([layers.Dense(10, activation=my_activation)])
        c.compile("adam", loss="categorical_crossentropy")
        d = keras.Sequential([layers.Dense(10), layers.Softmax()])
        d.compile("adam", loss="categorical_crossentropy")
        e = keras.Sequential([layers.Dense(1)])
        e.compile("adam", loss="mse")
        f = keras.Sequential([layers.Dense(10)])
        f.add(layers.Activation("softmax"))
        f.compile("adam", loss="categorical_crossentropy")
        g = keras.Sequential([layers.Dense(10)])
        g.compile("adam", loss=keras.losses.CategoricalCrossentropy(from_logits=flag))
    """, "NN104")


# NN105 -------------------------------------------------------------------------------


def test_nn105_log_of_softmax_forms() -> None:
    assert_findings(torch_snippet("""
        import jax
        import jax.numpy as jnp
        import tensorflow as tf
        def step(x, logits):
            a = torch.log(F.softmax(logits, dim=1))  # expect: NN105
            b = torch.log(torch.sigmoid(logits))  # expect: NN105
            c = jnp.log(jax.nn.softmax(x))  # expect: NN105
            d = tf.math.log(tf.nn.softmax(x))  # expect: NN105
            probs = F.softmax(logits, dim=-1)
            e = probs.log()  # expect: NN105
            f = torch.log2(probs)  # expect: NN105
            g = logits.softmax(-1).log()  # expect: NN105
            return a, b, c, d, e, f, g
    """), "NN105")


def test_nn105_negatives() -> None:
    assert_findings(torch_snippet("""
        import math
        import numpy as np
        def step(x, logits, eps=1e-8):
            probs = F.softmax(logits, dim=-1)
            a = torch.log(probs + eps)
            b = torch.log(probs.clamp(min=eps))
            c = torch.log(x)
            d = torch.log(F.relu(x) + 1)
            e = math.log(2.0)
            f = np.log(probs.numpy())
            g = F.log_softmax(logits, dim=-1)
            h = x.log()
            return a, b, c, d, e, f, g, h
    """), "NN105")


def test_nn105_fixes_keep_the_import_alias() -> None:
    assert fixed(TORCH + "y = torch.log(F.softmax(z, dim=1))\n", "NN105").endswith(
        "y = F.log_softmax(z, dim=1)\n")
    assert fixed(TORCH + "y = torch.log(torch.softmax(z, 1))\n", "NN105").endswith(
        "y = torch.log_softmax(z, 1)\n")
    assert fixed(TORCH + "y = torch.log(torch.sigmoid(z))\n", "NN105").endswith(
        "y = F.logsigmoid(z)\n")
    assert fixed(TORCH + "y = z.softmax(-1).log()\n", "NN105").endswith(
        "y = z.log_softmax(-1)\n")
    assert fixed("import jax\nimport jax.numpy as jnp\ny = jnp.log(jax.nn.softmax(z, axis=-1))\n",
                 "NN105").endswith("y = jax.nn.log_softmax(z, axis=-1)\n")
    assert fixed("import jax\nimport jax.numpy as jnp\ny = jnp.log(jax.nn.sigmoid(z))\n",
                 "NN105").endswith("y = jax.nn.log_sigmoid(z)\n")
    assert fixed("import tensorflow as tf\ny = tf.math.log(tf.nn.softmax(z))\n",
                 "NN105").endswith("y = tf.nn.log_softmax(z)\n")


def test_nn105_no_fix_without_an_import_for_the_fused_form() -> None:
    cases = [
        # logsigmoid lives in torch.nn.functional, which nothing here imports
        "from torch import log, sigmoid\ny = log(sigmoid(z))\n",
        # the softmax is in a variable: other uses of it would change
        TORCH + "p = F.softmax(z, dim=1)\ny = torch.log(p)\n",
        # log10 has no fused equivalent
        TORCH + "y = torch.log10(F.softmax(z, dim=1))\n",
        # tensors have no logsigmoid method
        TORCH + "y = z.sigmoid().log()\n",
    ]
    for source in cases:
        found = [d for d in lint(source) if d.code == "NN105"]
        assert len(found) == 1 and found[0].fix is None, (source, found)


def test_nn105_log_of_model_ending_in_softmax_in_another_file(tmp_path) -> None:
    found = lint_project(tmp_path, {
        "models.py": TORCH + textwrap.dedent("""
            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = nn.Linear(4, 2)
                def forward(self, x):
                    return F.softmax(self.fc(x), dim=-1)

            class Logits(Net):
                def forward(self, x):
                    return self.fc(x)
        """),
        "train.py": TORCH + textwrap.dedent("""
            from models import Logits, Net
            def step(x):
                return torch.log(Net()(x)), torch.log(Logits()(x))
        """),
    }, select="NN105")
    assert [(d.location.row, d.fix) for d in found] == [(7, None)]


# NN106 -------------------------------------------------------------------------------


def test_nn106_implicit_dim_and_dim0_on_batches() -> None:
    assert_findings(torch_snippet("""
        fc = nn.Linear(8, 3)
        act = nn.Softmax()
        log_act = nn.LogSoftmax(dim=None)
        lstm = nn.LSTM(8, 8)
        head = nn.Sequential(nn.Linear(8, 3), nn.Softmax(dim=0))  # expect: NN106
        pool = nn.Sequential(nn.ReLU(), nn.Softmax(0))
        attn = nn.Softmax(dim=0)
        def step(x, model, logits, b, t):
            a = F.softmax(fc(x.view(b, t, -1)))  # expect: NN106
            out, hidden = lstm(x)
            b = log_act(out)  # expect: NN106
            seq = x.reshape(b, t, 8)
            g = act(F.relu(seq))  # expect: NN106
            h = F.softmax(torch.flatten(x, 1).sum(1))
            k = F.log_softmax(x.view(-1))  # expect: NN106
            c = F.softmax(fc(x), dim=0)  # expect: NN106
            d = F.log_softmax(model(x).logits, 0)  # expect: NN106
            e = torch.softmax(model.class_logits, dim=0)  # expect: NN106
            f = F.softmax(logits, dim=0)  # a bare name may be one sample's logits
            return a, b, c, d, e, f, g, h, k
    """), "NN106")


def test_nn106_implicit_dim_on_two_dimensions_is_the_right_dim() -> None:
    """Real-world (course code): ``x.view(n, -1)`` then a Linear layer gives a
    ``(batch, classes)`` input, whose implicit dim is 1: deprecated, not a training bug.
    An input of unknown rank is not flagged either."""
    assert_findings(torch_snippet("""
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(320, 10)
                self.out = nn.Softmax()
            def forward(self, x):
                x = x.view(x.size(0), -1)
                x = self.fc(x)
                a = F.log_softmax(x)
                b = self.out(x)
                c = F.softmax(torch.flatten(x, 1))
                d = F.softmax(self.fc(x))
                e = nn.Softmax()(x)
                return a, b, c, d, e
    """), "NN106")


def test_nn106_negatives() -> None:
    assert_findings(torch_snippet("""
        import jax
        import tensorflow as tf
        act = nn.Softmax(dim=-1)
        weights = nn.Parameter(torch.ones(4))
        def step(x, logits, dims, kwargs):
            a = F.softmax(logits, dim=-1)
            b = F.log_softmax(logits, 1)
            c = jax.nn.softmax(x)
            d = tf.nn.softmax(x)
            e = x.softmax(-1)
            f = weights.softmax(0)
            g = F.softmax(weights, dim=0)
            h = F.softmax(x, dim=0)
            i = F.softmax(logits, *dims)
            j = F.softmax(logits, **kwargs)
            return a, b, c, d, e, f, g, h, i, j
    """), "NN106")


# NN107 -------------------------------------------------------------------------------


def test_nn107_activation_on_final_logits() -> None:
    assert_findings(torch_snippet("""
        import optax
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(8, 3)
            def forward(self, x):
                return F.relu(self.fc(x))

        criterion = nn.CrossEntropyLoss()
        seq = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 3), nn.ReLU())
        fc = nn.Linear(8, 3)
        def step(x, y):
            a = criterion(F.relu(fc(x)), y)  # expect: NN107
            b = criterion(seq(x), y)  # expect: NN107
            c = criterion(Net()(x), y)  # expect: NN107
            d = nn.BCEWithLogitsLoss()(torch.tanh(fc(x)), y)  # expect: NN107
            e = optax.softmax_cross_entropy(jax_relu(x), y)
            return a + b + c + d + e
    """), "NN107")


def test_nn107_optax_and_flax() -> None:
    assert_findings("""
        import flax.linen as nn
        import jax
        import optax

        class Head(nn.Module):
            @nn.compact
            def __call__(self, x):
                return nn.relu(nn.Dense(10)(x))

        def loss_fn(params, x, labels):
            logits = nn.Dense(10).apply(params, x)
            a = optax.softmax_cross_entropy(jax.nn.gelu(logits), labels)  # expect: NN107
            b = optax.softmax_cross_entropy(logits, labels)
            return a + b
    """, "NN107")


def test_linear_outputs_into_logits_losses_are_clean() -> None:
    # the makes.linear role of Linear layers must not make any logits-loss rule fire
    source = torch_snippet("""
        fc = nn.Linear(8, 3)
        seq = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 3))
        def step(x, y):
            return nn.CrossEntropyLoss()(fc(x), y) + F.cross_entropy(seq(x), y)
    """)
    assert [d.code for d in lint(source, select="NN1")] == []


def test_nn107_negatives() -> None:
    assert_findings(torch_snippet("""
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.hidden = nn.Linear(8, 8)
                self.out = nn.Linear(8, 3)
            def forward(self, x):
                return self.out(F.relu(self.hidden(x)))

        criterion = nn.CrossEntropyLoss()
        seq = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 3))
        regressor = nn.Sequential(nn.Linear(8, 1), nn.ReLU())
        def step(x, y):
            a = criterion(Net()(x), y)
            b = criterion(seq(x), y)
            c = nn.MSELoss()(regressor(x), y)
            d = F.mse_loss(F.relu(x), y)
            return a + b + c + d
    """), "NN107")


def test_nn107_keras_relu_last_layer_with_from_logits() -> None:
    assert_findings("""
        from tensorflow import keras
        from tensorflow.keras import layers
        a = keras.Sequential([layers.Dense(10, activation="relu")])
        a.compile("adam", keras.losses.CategoricalCrossentropy(from_logits=True))  # expect: NN107
        b = keras.Sequential([layers.Dense(64, activation="relu"), layers.Dense(10)])
        b.compile("adam", loss=keras.losses.CategoricalCrossentropy(from_logits=True))
        c = keras.Sequential([layers.Dense(10, activation="relu")])
        c.compile("adam", loss="mse")
    """, "NN107")


def test_nn107_model_in_another_file(tmp_path) -> None:
    found = lint_project(tmp_path, {
        "models.py": net_module("torch.relu(self.fc(x))"),
        "train.py": TORCH + textwrap.dedent("""
            from models import Net
            model = Net()
            loss = F.cross_entropy(model(torch.zeros(1, 4)), torch.ones(1).long())
        """),
    }, select="NN107")
    assert [d.location.row for d in found] == [7]


# True positives met in real code, reduced --------------------------------------------


def test_real_world_positives() -> None:
    # a detector's post-processing: implicit dim on (batch, queries, classes) is dim 0;
    # a focal-style loss taking the log of a sigmoid kept in a variable
    source = torch_snippet("""
        def post_process(out_logits):
            scores = torch.nn.functional.softmax(out_logits)[:, :, :-1]  # expect: NN106
            return scores.max(dim=-1)

        def loss_labels(outputs, pos_weights, neg_weights):
            prob = outputs["logits"].sigmoid()
            loss = -pos_weights * prob.log() - neg_weights * (1 - prob).log()  # expect: NN105
            return loss.sum()
    """)
    assert_findings(source, "NN106")
    assert_findings(source, "NN105")
