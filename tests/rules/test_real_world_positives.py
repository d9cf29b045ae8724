"""True positives met in the training-code corpus (benchmarks/corpus), reduced to the form
that the analysis had to learn to follow. Each names the mechanism it exercises."""

from __future__ import annotations

from tests.helpers import assert_findings


def test_a_lowercase_model_class_of_the_file_is_a_model() -> None:
    """A course script's ``class neuralNetwork(nn.Module)``: classes of the file are
    models whatever their case (names from elsewhere still need a capital)."""
    assert_findings("""
        import torch.nn as nn

        class neuralNetwork(nn.Module):
            def __init__(self):
                super().__init__()
                self.layer1 = nn.Sequential(nn.Linear(784, 300), nn.ReLU(True))
                self.layer2 = nn.Sequential(nn.Linear(300, 10), nn.ReLU(True))

            def forward(self, x):
                x = self.layer1(x)
                x = self.layer2(x)
                return x

        model = neuralNetwork()
        if use_gpu:
            model = model.cuda()
        criterion = nn.CrossEntropyLoss()
        for img, label in train_loader:
            out = model(img)
            loss = criterion(out, label)  # expect: NN107
    """, "NN107")


def test_a_torchvision_model_with_dropout_evaluated_in_training_mode() -> None:
    """A Kaggle notebook fine-tunes ``squeezenet1_1``: its dropout lives in torchvision, so
    the knowledge tables say which builders hold dropout or batch norm (ViT holds neither
    with its default rates, and stays silent)."""
    assert_findings("""
        import torch
        from torchvision import models

        model = models.squeezenet1_1(pretrained=True)
        vit = models.vit_b_16()

        def evaluate(loader):
            with torch.no_grad():  # expect: NN201
                return [model(x) for x, _ in loader]

        def embed(loader):
            with torch.no_grad():
                return [vit(x) for x, _ in loader]
    """, "NN201")


def test_an_evaluation_helper_called_inside_the_training_loop_leaks_eval_mode() -> None:
    """Homework: ``inference(model, loader)`` starts with ``model.eval()`` and is called at
    the end of every epoch; the next epoch trains in eval mode. A helper that switches back
    to training, or only evaluates under a branch, does not leak."""
    source = """
        import torch
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 2)
                self.drop = nn.Dropout(0.5)

            def forward(self, x):
                return self.fc(self.drop(x))

        def inference(model, loader):
            model.eval()
            return sum(model(x).sum() for x in loader)

        def restoring(model, loader):
            model.eval()
            out = sum(model(x).sum() for x in loader)
            model.train()
            return out

        def maybe(model, loader, check):
            if check:
                model.eval()
            return 0

        class Trainer:
            def __init__(self):
                self.model = Net()
                self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)

            def run(self, loader, val_loader, epochs):
                self.model.train()
                for epoch in range(epochs):
                    for x, y in loader:
                        self.optimizer.zero_grad()
                        self.model(x).sum().backward()
                        self.optimizer.step()
                    val = inference(self.model, val_loader)  # expect: NN202

            def run_restoring(self, loader, val_loader, epochs):
                for epoch in range(epochs):
                    for x, y in loader:
                        self.model(x).sum().backward()
                        self.optimizer.step()
                    again = restoring(self.model, val_loader)
                    maybe(self.model, val_loader, epoch % 2)
    """
    assert_findings(source, "NN202")


NET_WITH_DROPOUT = """
    import os
    import torch
    import torch.nn as nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)
            self.drop = nn.Dropout(0.5)

        def forward(self, x):
            return self.fc(self.drop(x))

    class Plain(nn.Module):
        def forward(self, x):
            return x
"""


def test_a_reloaded_checkpoint_is_the_model_the_other_branch_builds() -> None:
    """``net = torch.load(path)`` if a checkpoint exists, else ``net = Net()``: the facts of
    ``Net`` survive the merge (the opaque side cannot contradict them); two known models
    that differ, or a checkpoint alone, stay unknown."""
    assert_findings(NET_WITH_DROPOUT + """
    if os.path.exists("ckpt.pt"):
        net = torch.load("ckpt.pt")
    else:
        net = Net()
    if flag:
        other = Net()
    else:
        other = Plain()
    loaded = torch.load("ckpt.pt")

    with torch.no_grad():  # expect: NN201
        print(net(x))
    with torch.no_grad():
        print(other(x), loaded(x))
    """, "NN201")


def test_a_trainer_class_gets_its_model_through_the_constructor() -> None:
    """``Trainer(model, opt)`` binds ``__init__``'s parameters (the receiver is not an
    argument), and ``self.model`` keeps the model even where ``__init__`` may reload a
    checkpoint instead."""
    assert_findings(NET_WITH_DROPOUT + """
    class Trainer:
        def __init__(self, model, optimizer, load_path=None):
            self.model = model
            self.optimizer = optimizer
            if load_path:
                self.model = torch.load(load_path)

        def validate(self, loader):
            with torch.no_grad():  # expect: NN201
                return [self.model(x) for x in loader]

    model = Net()
    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1))
    """, "NN201")


def test_the_model_module_of_a_namespace_package_is_found(tmp_path) -> None:
    """A paper's repository: ``from TCN.poly_music.model import TCN`` in a folder tree
    without ``__init__.py``; checking the training script alone still learns that the model
    ends in ``self.sig = nn.Sigmoid()``."""
    from pathlib import Path

    from lintnn.config import Settings
    from lintnn.static.engine.run import Engine

    files = {
        "TCN/poly_music/model.py": (
            "from torch import nn\n\n"
            "class TCN(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.linear = nn.Linear(4, 4)\n"
            "        self.sig = nn.Sigmoid()\n\n"
            "    def forward(self, x):\n"
            "        return self.sig(self.linear(x))\n"),
        "TCN/poly_music/music_test.py": (
            "import torch\n"
            "from TCN.poly_music.model import TCN\n\n"
            "model = TCN()\n"
            "output = model(x).squeeze(0)\n"
            "loss = -torch.trace(torch.matmul(y, torch.log(output).float().t()))\n"),
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    engine = Engine(Settings(select=["NN105"], root=Path(tmp_path)), use_cache=False, jobs=1)
    found = engine.check_paths([tmp_path / "TCN/poly_music/music_test.py"]).diagnostics
    assert [(d.code, d.location.row) for d in found] == [("NN105", 6)]
    assert "ends in a sigmoid: when" in found[0].message


def test_a_subclassed_keras_model_compiled_with_a_logits_loss() -> None:
    """A Kaggle notebook: ``class BaseModel(tf.keras.Model)`` ends in
    ``Dense(2, activation="sigmoid")`` and is compiled with ``from_logits=True``; a
    subclass returning raw scores is fine."""
    assert_findings("""
        import tensorflow as tf
        from keras.layers import Dense

        class BaseModel(tf.keras.Model):
            def __init__(self):
                super().__init__()
                self.hidden = Dense(16, activation="relu")
                self.out = Dense(2, activation="sigmoid")

            def call(self, x):
                return self.out(self.hidden(x))

        class Scores(tf.keras.Model):
            def __init__(self):
                super().__init__()
                self.out = Dense(2)

            def call(self, x):
                return self.out(x)

        model = BaseModel()
        loss = tf.keras.losses.SparseCategoricalCrossentropy
        model.compile(optimizer="adam", loss=loss(from_logits=True))  # expect: NN101
        scores = Scores()
        scores.compile(optimizer="adam", loss=loss(from_logits=True))
    """, "NN101")


def test_a_hand_written_sigmoid_is_a_sigmoid() -> None:
    """A from-scratch MLP: ``def sigmoid(z): return 1 / (1 + np.exp(-z))`` and later
    ``np.log(sigmoid(...))``; a hand-written softmax likewise. A function that returns
    something else (``1 / (2 + exp(-z))``, ``z / z.max()``) is no sigmoid nor softmax."""
    assert_findings("""
        import numpy as np
        import torch

        def sigmoid(z):
            return 1.0 / (1.0 + np.exp(-z))

        def softmax(x):
            e = np.exp(x - x.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)

        def not_sigmoid(z):
            return 1 / (2 + np.exp(-z))

        def scaled(z):
            return z / z.max()

        def frequencies(counts):
            return counts / counts.sum()

        def bce(w, x, y):
            p = sigmoid(x @ w)
            return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()  # expect: NN105

        def nll(x, y):
            return -torch.log(softmax(x))[y]  # expect: NN105

        def fine(w, x):
            return torch.log(not_sigmoid(x @ w)) + torch.log(scaled(x)) + torch.log(
                frequencies(x))
    """, "NN105")
