"""NN516 best-model-kept-by-reference: true positives and the near misses it must skip."""

from __future__ import annotations

from tests.helpers import assert_findings

HEADER = """
import copy
import torch
import torch.nn as nn

model = nn.Linear(4, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
crit = nn.CrossEntropyLoss()
"""


def check(body: str) -> None:
    assert_findings(HEADER + body, "NN516")


def test_state_dict_kept_by_reference_and_loaded_after_training() -> None:
    check("""
best_loss = float("inf")
best_state = None
for epoch in range(10):
    for x, y in loader:
        opt.zero_grad()
        loss = crit(model(x), y)
        loss.backward()
        opt.step()
    val_loss = evaluate(model)
    if val_loss < best_loss:
        best_loss = val_loss
        best_state = model.state_dict()  # expect: NN516
model.load_state_dict(best_state)
""")


def test_model_aliased_in_a_trainer_and_returned() -> None:
    check("""
class Trainer:
    def __init__(self, model):
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters())
        self.best_loss = float("inf")

    def fit(self, loader, epochs):
        for epoch in range(epochs):
            for x, y in loader:
                self.optimizer.zero_grad()
                crit(self.model(x), y).backward()
                self.optimizer.step()
            loss = self.validate()
            if loss < self.best_loss:
                self.best_loss = loss
                self.best_model = self.model  # expect: NN516
        return self.best_model
""")


def test_keras_model_aliased_while_fit_goes_on() -> None:
    check("""
best_score, best_model = -1, None
for i in range(20):
    model.fit(X_train, y_train, epochs=1)
    score = roc_auc_score(y_valid, model.predict(X_valid))
    if score > best_score:
        best_score = score
        best_model = model  # expect: NN516
model = best_model
""")


def test_model_given_to_a_training_function() -> None:
    check("""
def run(model, loader):
    best = None
    best_err = 1e9
    for epoch in range(100):
        train_loop(model, loader, opt)
        err = test_loop(model, loader)
        if err < best_err:
            best_err = err
            best = model.state_dict()
            best_weights = model.state_dict()  # expect: NN516
    torch.save(best_weights, "best.pt")
""")


def test_copies_are_fine() -> None:
    check("""
best_loss = float("inf")
for epoch in range(10):
    for x, y in loader:
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()
    val_loss = evaluate(model)
    if val_loss < best_loss:
        best_loss = val_loss
        best_state = copy.deepcopy(model.state_dict())
        best_model = copy.deepcopy(model)
        best_cpu = {k: v.detach().clone() for k, v in model.state_dict().items()}
model.load_state_dict(best_state)
print(best_model, best_cpu)
""")


def test_a_new_model_each_iteration_is_kept_whole() -> None:
    check("""
best_score, best_model = -1, None
for config in configs:
    model = build_model(config)
    for x, y in loader:
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()
    score = evaluate(model)
    if score > best_score:
        best_score = score
        best_model = model
        best_state = model.state_dict()
print(best_model, best_state)

for candidate in candidates:
    candidate.fit(X_train, y_train)
    if candidate.score(X_val, y_val) > best_score:
        best_model = candidate
print(best_model)
""")


def test_not_used_after_training_or_saved_in_place_or_stopped_right_away() -> None:
    check("""
best_loss = float("inf")
for epoch in range(10):
    for x, y in loader:
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()
    val_loss = evaluate(model)
    if val_loss < best_loss:
        best_loss = val_loss
        best_state = model.state_dict()
        torch.save(best_state, "best.pt")

for epoch in range(10):
    for x, y in loader:
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()
    if evaluate(model) > 0.99:
        best_model = model
        break
print(best_model)

for epoch in range(10):
    for x, y in loader:
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()
    if evaluate(model) < best_loss:
        best_net = model
best_net.load_state_dict(torch.load("best.pt"))
""")


def test_numbers_and_immutable_parameters_are_not_models() -> None:
    check("""
best_acc = 0.0
for epoch in range(10):
    for x, y in loader:
        opt.zero_grad()
        loss = crit(model(x), y)
        loss.backward()
        opt.step()
    acc = evaluate(model)
    if acc > best_acc:
        best_acc = acc
        best_epoch = epoch
        best_loss = loss
print(best_acc, best_epoch, best_loss)

for step in range(1000):
    params, opt_state = train_step(params, opt_state, batch)
    if step % 100 == 0 and evaluate(params) < best_loss:
        best_params = params
print(best_params)
""")
