"""What a model of the file outputs: the parts of a tuple its forward returns, a
recurrent layer's activated output, and ``self(x)`` inside the model's own methods."""

import textwrap

from tests.helpers import assert_findings


def test_nn101_part_of_a_tuple_output_made_by_softmax() -> None:
    assert_findings("""
        import torch.nn as nn

        class Discriminator(nn.Module):
            def __init__(self):
                super().__init__()
                self.adv = nn.Sequential(nn.Linear(8, 1), nn.Sigmoid())
                self.aux = nn.Sequential(nn.Linear(8, 10), nn.Softmax(dim=1))

            def forward(self, x):
                validity = self.adv(x)
                label = self.aux(x)
                return validity, label

        disc = Discriminator()
        adversarial = nn.BCELoss()
        auxiliary = nn.CrossEntropyLoss()
        for x, y, real in loader:
            validity, label = disc(x)
            loss = adversarial(validity, real) + auxiliary(label, y)  # expect: NN101
    """, "NN101")


def test_nn101_parts_that_are_logits_or_unknown_are_fine() -> None:
    assert_findings("""
        import torch.nn as nn

        class Heads(nn.Module):
            def __init__(self):
                super().__init__()
                self.cls = nn.Linear(8, 10)
                self.prob = nn.Softmax(dim=1)

            def forward(self, x):
                logits = self.cls(x)
                return logits, self.prob(logits)

        class Branchy(nn.Module):
            def __init__(self):
                super().__init__()
                self.cls = nn.Linear(8, 10)
                self.prob = nn.Softmax(dim=1)

            def forward(self, x, soft=False):
                if soft:
                    return self.prob(self.cls(x)), x
                return self.cls(x), x

        heads = Heads()
        branchy = Branchy()
        criterion = nn.CrossEntropyLoss()
        for x, y in loader:
            logits, probs = heads(x)
            loss = criterion(logits, y)
            shown = probs.argmax(1)  # the softmax only predicts
            out, _ = branchy(x)
            loss = loss + criterion(out, y)
            first, *rest = heads(x)
            loss = loss + criterion(rest, y)
    """, "NN101")


def test_nn107_recurrent_output_straight_into_cross_entropy() -> None:
    assert_findings("""
        import torch
        import torch.nn as nn

        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = nn.RNN(input_size=5, hidden_size=5, batch_first=True)

            def forward(self, hidden, x):
                out, hidden = self.rnn(x, hidden)
                return hidden, out.view(-1, 5)

        class Tagger(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(16, 5)

            def forward(self, x):
                return self.lstm(x)[0]

        model = Model()
        tagger = Tagger()
        criterion = nn.CrossEntropyLoss()
        for x, y in loader:
            hidden, output = model(hidden, x)
            loss = criterion(output, y)  # expect: NN107
            loss = loss + criterion(tagger(x), y)  # expect: NN107
    """, "NN107")


def test_nn107_recurrent_output_through_a_head_or_projected_is_fine() -> None:
    assert_findings("""
        import torch.nn as nn

        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(16, 32, batch_first=True)
                self.head = nn.Linear(32, 5)

            def forward(self, x):
                out, (h, c) = self.lstm(x)
                return self.head(out[:, -1]), h

        class Projected(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(16, 32, proj_size=5)

            def forward(self, x):
                out, _ = self.lstm(x)
                return out

        model = Model()
        projected = Projected()
        criterion = nn.CrossEntropyLoss()
        for x, y in loader:
            logits, h = model(x)
            loss = criterion(logits, y) + criterion(projected(x), y)
            loss = loss + criterion(h, y)  # the hidden state: nothing known
    """, "NN107")


def test_nn102_self_call_in_the_models_own_training_method() -> None:
    assert_findings("""
        import torch
        from torch import nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.loss_fn = nn.CrossEntropyLoss()
                self.fc = nn.Linear(8, 3)
                self.log_softmax = nn.LogSoftmax(dim=1)
                self.opt = torch.optim.Adam(self.parameters())

            def forward(self, x):
                return self.log_softmax(self.fc(x))

            def fit(self, loader):
                for x, y in loader:
                    self.opt.zero_grad()
                    out = self(x).squeeze()
                    loss = self.loss_fn(out, y)  # expect: NN102
                    loss.backward()
                    self.opt.step()
    """, "NN102")


def test_nn102_self_call_negatives() -> None:
    assert_findings("""
        import torch
        from torch import nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(8, 3)
                self.log_softmax = nn.LogSoftmax(dim=1)

            def forward(self, x):
                return self.log_softmax(self.fc(x))

            def fit(self, loader):
                nll = nn.NLLLoss()
                for x, y in loader:
                    loss = nll(self(x), y)  # log-probabilities into NLLLoss: right

            @staticmethod
            def score(self, x, y):
                return nn.CrossEntropyLoss()(self(x), y)  # ``self`` is any argument here

        class Logits(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(8, 3)

            def forward(self, x):
                return self.fc(x)

            def step(self, x, y):
                return nn.functional.cross_entropy(self(x), y)
    """, "NN102")


def test_an_edit_of_the_models_forward_rechecks_the_training_function() -> None:
    """A part of a model's tuple output is read from the model class, another top-level
    statement: the language server's per-statement cache must not keep a stale finding."""
    from pathlib import Path

    from lintnn.config import Settings
    from lintnn.static.engine.run import Engine

    text = textwrap.dedent("""
        import torch.nn as nn

        class Disc(nn.Module):
            def __init__(self):
                super().__init__()
                self.aux = nn.Sequential(nn.Linear(8, 10), nn.Softmax(dim=1))

            def forward(self, x):
                return x, self.aux(x)

        disc = Disc()
        criterion = nn.CrossEntropyLoss()

        def step(x, y):
            _, label = disc(x)
            return criterion(label, y)
    """)
    full = Engine(Settings(), use_cache=False, jobs=1)
    incremental = Engine(Settings(), use_cache=False, jobs=1, incremental=True)
    path = Path("train_buffer.py")
    row = text.splitlines().index("    return criterion(label, y)") + 1

    def flagged(source: str) -> bool:
        got = incremental.check_source(path, source).diagnostics
        assert got == full.check_source(path, source).diagnostics
        return any(d.code == "NN101" and d.location.row == row for d in got)

    assert flagged(text)
    assert not flagged(text.replace("nn.Softmax(dim=1))", "nn.ReLU())"))
    assert flagged(text)


HAND_WRITTEN = """
    import torch

    class Linear:
        def __init__(self, n_in, n_out):
            self.weight = torch.randn(n_out, n_in)
            self.bias = torch.zeros(n_out)

        def __call__(self, x):
            return x @ self.weight.t() + self.bias

    class Softmax:
        def __call__(self, x):
            return torch.exp(x) / torch.exp(x).sum(dim=1, keepdim=True)

    class Sequential:
        def __init__(self, layers):
            self.layers = layers

        def __call__(self, x):
            for layer in self.layers:
                x = layer(x)
            return x
"""


def test_nn105_log_of_a_hand_written_sequential_ending_in_softmax() -> None:
    assert_findings(HAND_WRITTEN + """
    def cross_entropy(y_pred, y_true):
        return -torch.log(y_pred[range(y_pred.shape[0]), y_true]).mean()  # expect: NN105

    def train(model, loader):
        for x, y in loader:
            y_pred = model(x.view(x.shape[0], -1))
            loss = cross_entropy(y_pred, y)
            loss.backward()

    model = Sequential([Linear(784, 64), Linear(64, 10), Softmax()])
    train(model, loader)
    probs = Softmax()(torch.randn(4, 10))
    print(torch.log(probs))  # expect: NN105
    """, "NN105")


def test_nn105_hand_written_sequential_negatives() -> None:
    assert_findings(HAND_WRITTEN + """
    class Skipping:
        def __init__(self, layers):
            self.layers = layers

        def __call__(self, x):
            for layer in self.layers:
                if layer.skip:
                    continue
                x = layer(x)
            return x

    logits_model = Sequential([Linear(784, 64), Softmax(), Linear(64, 10)])
    skipping = Skipping([Linear(784, 10), Softmax()])
    unknown = Sequential(make_layers())
    for x, y in loader:
        a = torch.log(logits_model(x))  # ends in a Linear
        b = torch.log(skipping(x))  # the loop may skip the softmax
        c = torch.log(unknown(x))  # the layers are not written here
    """, "NN105")


def test_an_edit_of_a_hand_written_layer_rechecks_the_loss() -> None:
    """The hand-written Softmax class is another top-level statement than the loss."""
    from pathlib import Path

    from lintnn.config import Settings
    from lintnn.static.engine.run import Engine

    text = textwrap.dedent(HAND_WRITTEN + """
    def nll(y_pred, y_true):
        return -torch.log(y_pred[range(len(y_true)), y_true]).mean()

    model = Sequential([Linear(784, 10), Softmax()])
    for x, y in loader:
        loss = nll(model(x), y)
    """)
    full = Engine(Settings(), use_cache=False, jobs=1)
    incremental = Engine(Settings(), use_cache=False, jobs=1, incremental=True)
    path = Path("scratch_buffer.py")

    def flagged(source: str) -> bool:
        got = incremental.check_source(path, source).diagnostics
        assert got == full.check_source(path, source).diagnostics
        return any(d.code == "NN105" for d in got)

    assert flagged(text)
    assert not flagged(text.replace("torch.exp(x) / torch.exp(x).sum(dim=1, keepdim=True)",
                                    "x.clamp(min=0)"))
    assert flagged(text)
