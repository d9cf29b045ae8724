"""NN201 / NN202: models built by a function of the file, and helpers called on several
models (the finding holds when any of them has dropout or batch norm)."""

from __future__ import annotations

from tests.helpers import assert_findings

HEAD = """
import torch
import torch.nn as nn


def conv_block(ni, no):
    return nn.Sequential(nn.Conv2d(ni, no, 3), nn.ReLU(), nn.BatchNorm2d(no))


def plain_block(ni, no):
    return nn.Sequential(nn.Conv2d(ni, no, 3), nn.ReLU())
"""

LOOP = """

for epoch in range(5):
    for x, y in trn_dl:
        train_batch(x, y, model, optimizer, loss_fn)
    for x, y in val_dl:
        accuracy(x, y, model)
"""

TRAIN = """

def train_batch(x, y, model, opt, loss_fn):
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    opt.zero_grad()
"""


def _factory(block: str) -> str:
    return f"""

def get_model():
    model = nn.Sequential({block}(3, 64), nn.Flatten(), nn.Linear(64, 1)).to("cpu")
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    return model, loss_fn, optimizer


model, loss_fn, optimizer = get_model()
"""


ACCURACY = """

@torch.no_grad()
def accuracy(x, y, model):  # expect: NN201
    return ((model(x) > 0) == y).float().mean()
"""


def test_model_from_a_factory_tuple_with_a_batch_norm_block() -> None:
    assert_findings(HEAD + ACCURACY + TRAIN + _factory("conv_block") + LOOP, "NN201")


def test_model_from_a_factory_without_dropout_or_batch_norm_is_silent() -> None:
    assert_findings(HEAD + ACCURACY.replace("  # expect: NN201", "") + TRAIN
                    + _factory("plain_block") + LOOP, "NN201")


def test_factory_model_put_in_eval_mode_before_the_helper_is_silent() -> None:
    loop = LOOP.replace("    for x, y in val_dl:", "    model.eval()\n    for x, y in val_dl:")
    loop = loop.replace("    for x, y in trn_dl:", "    model.train()\n    for x, y in trn_dl:")
    assert_findings(HEAD + ACCURACY.replace("  # expect: NN201", "") + TRAIN
                    + _factory("conv_block") + loop, "NN201")


def test_factory_whose_returns_disagree_is_silent() -> None:
    assert_findings(HEAD + ACCURACY.replace("  # expect: NN201", "") + TRAIN + """

def get_model(deep):
    if deep:
        return nn.Sequential(conv_block(3, 64), nn.Flatten()), 1
    return nn.Linear(3, 1), 1


model, optimizer = get_model(True)
loss_fn = nn.BCEWithLogitsLoss()
""" + LOOP, "NN201")


def test_name_rebound_in_the_loop_is_not_followed_to_the_factory() -> None:
    assert_findings(HEAD + ACCURACY.replace("  # expect: NN201", "") + TRAIN
                    + _factory("conv_block") + LOOP + """
    model = torch.load("other.pt")
""", "NN201")


def test_helper_called_on_several_models_one_with_dropout() -> None:
    assert_findings("""
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)


class NetDropout(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        self.drop = nn.Dropout(0.4)

    def forward(self, x):
        return self.fc(self.drop(x))


def validate(model, loader):
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += int((model(x).argmax(1) == y).sum())  # expect: NN201
    return correct


model = Net()
validate(model, [])
model = NetDropout()
validate(model, [])
""".replace("  # expect: NN201", "").replace(
        "    with torch.no_grad():", "    with torch.no_grad():  # expect: NN201"), "NN201")


def test_helper_called_on_several_models_none_with_dropout_is_silent() -> None:
    assert_findings("""
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)


class Wide(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)


def validate(model, loader):
    with torch.no_grad():
        return [model(x) for x, _ in loader]


validate(Net(), [])
validate(Wide(), [])
""", "NN201")


def test_factory_model_left_in_eval_by_a_helper_in_the_loop() -> None:
    """NN202: the helper that calls eval() gets the model from a factory."""
    assert_findings(HEAD + TRAIN + """

def val_loss(x, y, model, loss_fn):
    model.eval()
    with torch.no_grad():
        return loss_fn(model(x), y).item()
""" + _factory("conv_block") + """

for epoch in range(5):
    for x, y in trn_dl:
        train_batch(x, y, model, optimizer, loss_fn)
    for x, y in val_dl:
        val_loss(x, y, model, loss_fn)  # expect: NN202
""", "NN202")


def test_factory_model_switched_back_by_train_at_the_top_of_the_loop() -> None:
    assert_findings(HEAD + TRAIN + """

def val_loss(x, y, model, loss_fn):
    model.eval()
    with torch.no_grad():
        return loss_fn(model(x), y).item()
""" + _factory("conv_block") + """

for epoch in range(5):
    model.train()
    for x, y in trn_dl:
        train_batch(x, y, model, optimizer, loss_fn)
    for x, y in val_dl:
        val_loss(x, y, model, loss_fn)
""", "NN202")
