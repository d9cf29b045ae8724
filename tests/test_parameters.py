"""Values that arrive as parameters: resolved through the file's own call sites, defaults,
and, with no call site, the one model class the file defines
(:meth:`FileContext.parameter_value`). Checked through the rules that read them."""

from __future__ import annotations

import pytest

from tests.helpers import assert_findings

MODEL = """
    import torch
    import torch.nn as nn

    class Classifier(nn.Module):
        def __init__(self, d, k):
            super().__init__()
            self.hidden = nn.Linear(d, 64)
            self.head = nn.Linear(64, k)

        def forward(self, x):
            return torch.softmax(self.head(torch.relu(self.hidden(x))), dim=-1)
"""

LOGITS_MODEL = """
    class Logits(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = nn.Linear(4, 3)

        def forward(self, x):
            return self.head(x)
"""

POSITIVES = {
    # The project card's first example: no call site, the file's one model class, and the
    # loss from the parameter's default.
    "sole_model_class_and_default_loss": MODEL + """
    def fit(net, batches, loss_fn=nn.CrossEntropyLoss()):
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        for x, y in batches:
            opt.zero_grad()
            loss_fn(net(x), y).backward()  # expect: NN101
            opt.step()
    """,
    "passed_from_main_block": MODEL + """
    def train(model, loader, criterion):
        for x, y in loader:
            loss = criterion(model(x), y)  # expect: NN101
            loss.backward()

    if __name__ == "__main__":
        train(Classifier(4, 3), [], nn.CrossEntropyLoss())
    """,
    "passed_by_keyword_through_two_functions": MODEL + """
    def step(model, x, y, criterion):
        return criterion(model(x), y)  # expect: NN101

    def epoch(net, batches):
        for x, y in batches:
            step(criterion=nn.CrossEntropyLoss(), model=net, x=x, y=y).backward()

    def main():
        epoch(Classifier(4, 3), [])
    """,
    # Callers disagree: on the first one's path the loss gets probabilities.
    "one_caller_passes_a_softmax_model": MODEL + LOGITS_MODEL + """
    def step(model, x, y):
        return nn.CrossEntropyLoss()(model(x), y)  # expect: NN101

    step(Classifier(4, 3), 1, 2)
    step(Logits(), 1, 2)
    """,
    "every_call_site_agrees": MODEL + """
    def evaluate(model, x, y):
        return nn.CrossEntropyLoss()(model(x), y)  # expect: NN101

    net = Classifier(4, 3)
    evaluate(net, 1, 2)
    evaluate(net, 3, 4)
    """,
    "method_called_through_self": MODEL + """
    class Trainer:
        def __init__(self):
            self.criterion = nn.CrossEntropyLoss()

        def step(self, model, x, y):
            return self.criterion(model(x), y)  # expect: NN101

        def run(self, batches):
            for x, y in batches:
                self.step(Classifier(4, 3), x, y)
    """,
}

NEGATIVES = {
    # One call site passes something unknown: no path is sure.
    "one_call_site_unknown": MODEL + """
    def step(model, x, y):
        return nn.CrossEntropyLoss()(model(x), y)

    step(Classifier(4, 3), 1, 2)
    step(load_model(), 1, 2)
    """,
    # Callers pass different models, none of which makes probabilities.
    "call_sites_disagree_harmlessly": "\n    import torch.nn as nn\n" + LOGITS_MODEL + """
    def step(model, x, y):
        return nn.CrossEntropyLoss()(model(x), y)

    step(Logits(), 1, 2)
    step(nn.Linear(4, 3), 1, 2)
    """,
    # The caller hides the argument in *args: nothing is known.
    "star_args_at_the_call": MODEL + """
    def step(model, x, y):
        return nn.CrossEntropyLoss()(model(x), y)

    args = (Classifier(4, 3), 1, 2)
    step(*args)
    """,
    # Two model classes: which one arrives is not known.
    "two_model_classes": MODEL + LOGITS_MODEL + """
    def fit(net, batches, loss_fn=nn.CrossEntropyLoss()):
        for x, y in batches:
            loss_fn(net(x), y).backward()
    """,
    # A called parameter named as a loss is not the model, whatever the file defines.
    "called_loss_parameter_is_no_model": MODEL + """
    def fit(net, batches, loss_fn):
        for x, y in batches:
            out = loss_fn(x)
            nn.CrossEntropyLoss()(out, y).backward()
    """,
    # A layer's forward receives tensors, not the file's model.
    "forward_arguments_are_tensors": MODEL + """
    class Wrapper(nn.Module):
        def forward(self, inner, x):
            return nn.CrossEntropyLoss()(inner(x), x)
    """,
    # A default that a call overrides does not hold there.
    "default_overridden_by_the_call": MODEL + """
    def fit(net, batches, loss_fn=nn.CrossEntropyLoss()):
        for x, y in batches:
            loss_fn(net(x), y).backward()

    fit(Classifier(4, 3), [], loss_fn=nn.NLLLoss())
    """,
    # Mutual recursion: the analysis stays unsure instead of looping.
    "mutual_recursion": MODEL + """
    def a(model, n):
        return b(model, n - 1)

    def b(model, n):
        return a(model, n) if n else nn.CrossEntropyLoss()(model(n), n)
    """,
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_parameter_values_reach_the_rules(name: str) -> None:
    assert_findings(POSITIVES[name], "NN101")


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_unsure_parameters_stay_silent(name: str) -> None:
    assert_findings(NEGATIVES[name], "NN101")


def test_one_bad_caller_is_enough() -> None:
    """Real-world (a course notebook): ``train_step(model, ...)`` is called with a model
    ending in ReLU and with one returning logits: the loss in ``train_step`` gets ReLU
    output on the first caller's path, a bug whatever the second one passes."""
    assert_findings(MODEL + LOGITS_MODEL + """
    class Relu(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 3)

        def forward(self, x):
            return torch.relu(self.fc(x))

    def train_step(model, x, y, loss_fn):
        return loss_fn(model(x), y)  # expect: NN107

    def val_step(model, x, y, loss_fn):
        return loss_fn(model(x), y)

    train_step(Relu(), 1, 2, nn.CrossEntropyLoss())
    train_step(Logits(), 1, 2, nn.CrossEntropyLoss())
    val_step(Logits(), 1, 2, nn.CrossEntropyLoss())
    val_step(nn.Linear(4, 3), 1, 2, nn.CrossEntropyLoss())
    """, "NN107")
