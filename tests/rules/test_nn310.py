"""NN310 model-carried-across-folds: true positives and the near misses it must skip."""

from __future__ import annotations

from tests.helpers import assert_findings

TORCH = """
import copy
import torch
import torch.nn as nn
from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit
from torch.utils.data import DataLoader, Subset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)


crit = nn.CrossEntropyLoss()
kfold = KFold(n_splits=5, shuffle=True)
"""

KERAS = """
from tensorflow import keras
from sklearn.model_selection import StratifiedKFold

skf = StratifiedKFold(n_splits=5)


def build():
    model = keras.Sequential([keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model
"""


def check(header: str, body: str) -> None:
    assert_findings(header + body, "NN310")


def test_keras_model_built_once_and_fitted_in_every_fold() -> None:
    check(KERAS, """
model = build()
scores = []
for train_idx, val_idx in skf.split(X, y):
    model.fit(X[train_idx], y[train_idx], epochs=10)  # expect: NN310
    scores.append(model.evaluate(X[val_idx], y[val_idx]))
""")


def test_keras_model_passed_in_and_fitted_per_fold() -> None:
    check(KERAS, """
def cross_validate(model, X, y):
    history = []
    for fold, (tr, va) in enumerate(skf.split(X, y)):
        print("fold", fold)
        history.append(model.fit(X[tr], y[tr], validation_data=(X[va], y[va]),  # expect: NN310
                                 epochs=50))
    return history
""")


def test_torch_alias_of_a_model_built_before_the_folds() -> None:
    check(TORCH, """
net = Net()
splits = list(kfold.split(X, y))
for i, (train_idx, valid_idx) in enumerate(splits):
    model = net  # expect: NN310
    optimizer = torch.optim.Adam(model.parameters())
    for epoch in range(10):
        for xb, yb in DataLoader(Subset(data, train_idx), batch_size=32, shuffle=True):
            optimizer.zero_grad()
            crit(model(xb), yb).backward()
            optimizer.step()
""")


def test_torch_optimizer_built_once_model_called_through_forward() -> None:
    check(TORCH, """
model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
folds = kfold.split(data)
for fold, (train_idx, valid_idx) in enumerate(folds):
    loader = DataLoader(Subset(data, train_idx), batch_size=32, shuffle=True)
    model.train()  # expect: NN310
    for xb, yb in loader:
        optimizer.zero_grad()
        crit(model.forward(xb), yb).backward()
        optimizer.step()
""")


# --- near misses ------------------------------------------------------------------------


def test_a_new_model_in_each_fold() -> None:
    check(KERAS, """
for train_idx, val_idx in skf.split(X, y):
    model = build()
    model.fit(X[train_idx], y[train_idx], epochs=10)
""")
    check(TORCH, """
for train_idx, valid_idx in kfold.split(X):
    model = Net().cuda()
    optimizer = torch.optim.Adam(model.parameters())
    for xb, yb in DataLoader(Subset(data, train_idx), batch_size=32, shuffle=True):
        optimizer.zero_grad()
        crit(model(xb), yb).backward()
        optimizer.step()
""")


def test_weights_restored_at_the_start_of_each_fold() -> None:
    check(KERAS, """
model = build()
initial = model.get_weights()
for train_idx, val_idx in skf.split(X, y):
    model.set_weights(initial)
    model.fit(X[train_idx], y[train_idx], epochs=10)
""")
    check(TORCH, """
net = Net()
init_state = copy.deepcopy(net.state_dict())
for train_idx, valid_idx in kfold.split(X):
    net.load_state_dict(init_state)
    optimizer = torch.optim.Adam(net.parameters())
    for xb, yb in DataLoader(Subset(data, train_idx), batch_size=32, shuffle=True):
        optimizer.zero_grad()
        crit(net(xb), yb).backward()
        optimizer.step()
""")


def test_a_deep_copy_of_a_template_per_fold() -> None:
    check(TORCH, """
template = Net()
for train_idx, valid_idx in kfold.split(X):
    model = copy.deepcopy(template)
    optimizer = torch.optim.Adam(model.parameters())
    for xb, yb in DataLoader(Subset(data, train_idx), batch_size=32, shuffle=True):
        optimizer.zero_grad()
        crit(model(xb), yb).backward()
        optimizer.step()
""")


def test_scikit_learn_estimators_refit_from_scratch() -> None:
    check(KERAS, """
from sklearn.linear_model import LogisticRegression

clf = LogisticRegression()
for train_idx, val_idx in skf.split(X, y):
    clf.fit(X[train_idx], y[train_idx])
""")


def test_walk_forward_time_series_folds_may_continue() -> None:
    check(TORCH, """
tscv = TimeSeriesSplit(n_splits=5)
model = Net()
optimizer = torch.optim.Adam(model.parameters())
for train_idx, valid_idx in tscv.split(X):
    for xb, yb in DataLoader(Subset(data, train_idx), batch_size=32):
        optimizer.zero_grad()
        crit(model(xb), yb).backward()
        optimizer.step()
""")


def test_a_trained_model_only_evaluated_on_each_fold() -> None:
    check(KERAS, """
model = build()
model.fit(X, y, epochs=10)
for train_idx, val_idx in skf.split(X, y):
    print(model.evaluate(X[val_idx], y[val_idx]))
""")


def test_models_of_a_list_built_before_the_folds_each_trained_per_fold() -> None:
    check(TORCH, """
models = [Net(), Net()]
for i, (train_idx, test_idx) in enumerate(kfold.split(X, y)):
    for j, model in enumerate(models):  # expect: NN310
        optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
        for epoch in range(10):
            for xb, yb in DataLoader(Subset(data, train_idx), batch_size=32, shuffle=True):
                optimizer.zero_grad()
                crit(model(xb), yb).backward()
                optimizer.step()
""")


def test_models_of_a_list_built_in_each_fold() -> None:
    check(TORCH, """
for i, (train_idx, test_idx) in enumerate(kfold.split(X, y)):
    for model in [Net(), Net()]:
        optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
        for xb, yb in DataLoader(Subset(data, train_idx), batch_size=32, shuffle=True):
            optimizer.zero_grad()
            crit(model(xb), yb).backward()
            optimizer.step()
    models = [Net() for _ in range(3)]
    for model in models:
        optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
        for xb, yb in DataLoader(Subset(data, train_idx), batch_size=32, shuffle=True):
            optimizer.zero_grad()
            crit(model(xb), yb).backward()
            optimizer.step()
""")
