"""NN201: model calls on validation / test data outside any no_grad block or evaluation
function (the validation loop inside the training function, predictions right after
training) are evaluation code too."""

from __future__ import annotations

from tests.helpers import assert_findings

NET = """
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 4)
        self.drop = nn.Dropout(0.3)

    def forward(self, x):
        return self.fc(self.drop(x))


class Plain(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        return self.fc(x)
"""

TRAIN_FN = """

def fit(model, train_loader, val_loader, criterion):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
        val_loss = []
        for x, y in val_loader:
            out = model(x){mark}
            val_loss.append(criterion(out, y).item())
        print(sum(val_loss))
    return model


fit({model}, train_loader, val_loader, nn.CrossEntropyLoss())
"""

SUBMISSION = """

model = {model}
optimizer = torch.optim.Adam(model.parameters())
for epoch in range(5):
    for x, y in train_loader:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
{before}
preds = []
for x in test_loader:
    preds.append(model(x).argmax(1)){mark}
"""


def test_validation_loop_inside_the_training_function() -> None:
    assert_findings(NET + TRAIN_FN.format(model="Net()", mark="  # expect: NN201"), "NN201")


def test_model_without_dropout_or_batch_norm_is_silent() -> None:
    assert_findings(NET + TRAIN_FN.format(model="Plain()", mark=""), "NN201")


def test_validation_loop_after_eval_is_silent() -> None:
    source = NET + TRAIN_FN.format(model="Net()", mark="").replace(
        "        val_loss = []", "        model.eval()\n        val_loss = []")
    assert_findings(source, "NN201")


def test_submission_loop_right_after_training() -> None:
    assert_findings(NET + SUBMISSION.format(model="Net()", before="",
                                            mark="  # expect: NN201"), "NN201")


def test_submission_after_eval_in_a_helper_called_before_is_silent() -> None:
    helper = "\n\ndef prepare(m):\n    m.eval()\n    return m\n"
    assert_findings(NET + helper + SUBMISSION.format(model="Net()", before="prepare(model)",
                                                     mark=""), "NN201")


def test_inference_mode_after_eval_in_a_function_called_first_is_silent() -> None:
    source = NET + """

def switch(m):
    m.eval()


def predict_all(m, loader):
    with torch.inference_mode():
        return [m(x) for x in loader]


model = Net()
optimizer = torch.optim.Adam(model.parameters())
for x, y in train_loader:
    optimizer.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()
switch(model)
preds = predict_all(model, test_loader)
for x in test_loader:
    preds.append(model(x))
"""
    assert_findings(source, "NN201")


def test_model_given_to_an_imported_function_first_is_silent() -> None:
    # ``run_epochs`` lives in another file: it may end with ``model.eval()``.
    source = NET + """
from engine import run_epochs

model = Net()
run_epochs(model, train_loader)
preds = [model(x) for x in test_loader]
for x in test_loader:
    preds.append(model(x))
"""
    assert_findings(source, "NN201")


def test_lightning_trainer_predict_is_silent() -> None:
    source = """
import torch
import torch.nn as nn
import lightning as L


class Lit(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(16, 4), nn.Dropout(0.2))

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return nn.functional.cross_entropy(self(x), y)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters())


model = Lit()
trainer = L.Trainer(max_epochs=3)
trainer.fit(model, train_loader)
preds = trainer.predict(model, test_loader)
"""
    assert_findings(source, "NN201")


def test_loop_over_test_data_that_takes_steps_is_silent() -> None:
    # Test-time adaptation: the model trains on the test batches on purpose.
    source = NET + """

model = Net()
optimizer = torch.optim.Adam(model.parameters())
for x in test_loader:
    optimizer.zero_grad()
    out = model(x)
    out.softmax(1).max(1).values.mean().backward()
    optimizer.step()
"""
    assert_findings(source, "NN201")


def test_direct_call_on_validation_data_after_the_step() -> None:
    source = NET + """

model = Net()
optimizer = torch.optim.Adam(model.parameters())
for epoch in range(100):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(X_train), y_train)
    loss.backward()
    optimizer.step()
    val_loss = nn.functional.cross_entropy(model(X_val), y_val)  # expect: NN201
    print(val_loss.item())
"""
    assert_findings(source, "NN201")


def test_direct_call_on_validation_data_before_a_step_is_silent() -> None:
    source = NET + """

model = Net()
optimizer = torch.optim.Adam(model.parameters())
for epoch in range(100):
    optimizer.zero_grad()
    adapted = model(X_val)
    adapted.mean().backward()
    optimizer.step()
"""
    assert_findings(source, "NN201")


def test_monte_carlo_sampling_is_silent() -> None:
    source = NET + """

def mc_predict(model, test_loader, n=20):
    return [torch.stack([model(x) for _ in range(n)]).mean(0) for x in test_loader]


model = Net()
optimizer = torch.optim.Adam(model.parameters())
for x, y in train_loader:
    optimizer.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()
samples = mc_predict(model, test_loader)
"""
    assert_findings(source, "NN201")


def test_no_grad_block_is_reported_once_not_again_for_its_loop() -> None:
    source = NET + """

model = Net()
optimizer = torch.optim.Adam(model.parameters())
for x, y in train_loader:
    optimizer.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()
with torch.no_grad():  # expect: NN201
    for x in test_loader:
        preds.append(model(x))
"""
    assert_findings(source, "NN201")


FOLDS = NET + """

def fit(model, loader, optimizer):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return {returned}


def init():
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    return model, optimizer


def folds(splits):
    for train_loader, val_loader in splits:
        model, optimizer = init()
        model = fit(model, train_loader, optimizer)
        preds = []
        for x, y in val_loader:
            preds.append(model(x)){mark}
"""


def test_model_returned_unchanged_by_the_training_function() -> None:
    # ``model = fit(model, ...)`` inside the fold loop: fit returns the model it was given.
    assert_findings(FOLDS.format(returned="model", mark="  # expect: NN201"), "NN201")


def test_training_function_returning_another_model_is_silent() -> None:
    assert_findings(FOLDS.format(returned="torch.load('best.pt')", mark=""), "NN201")


def test_name_rebound_inside_the_evaluation_loop_is_silent() -> None:
    source = FOLDS.format(returned="model", mark="").replace(
        "            preds.append(model(x))",
        "            preds.append(model(x))\n            model = torch.load('other.pt')")
    assert_findings(source, "NN201")


def test_bare_dropout_used_as_noise_on_test_data_is_silent() -> None:
    source = NET + """

model = Plain()
noise = nn.Dropout(0.5)
optimizer = torch.optim.Adam(model.parameters())
for x, y in train_loader:
    optimizer.zero_grad()
    nn.functional.mse_loss(model(noise(torch.ones(x.shape)) * x), x).backward()
    optimizer.step()
for x, y in test_loader:
    noisy = noise(torch.ones(x.shape)) * x
    print(nn.functional.mse_loss(model(noisy), x).item())
"""
    assert_findings(source, "NN201")
