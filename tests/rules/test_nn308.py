"""NN308 model-selected-on-test-data."""

from __future__ import annotations

from tests.helpers import assert_findings

LOOP = """
import copy
import torch
from tensorflow import keras

def train_one_epoch(model, loader, optimizer):
    for x, y in loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
"""


def test_nn308_positives() -> None:
    assert_findings(LOOP + """
def best_checkpoint(model, optimizer, train_loader, test_loader, evaluate):
    best = 0.0
    for epoch in range(10):
        train_one_epoch(model, train_loader, optimizer)
        acc = evaluate(model, test_loader)
        if acc > best:  # expect: NN308
            best = acc
            torch.save(model.state_dict(), "best.pt")

def early_stopping(model, optimizer, loader, test_loss_of):
    best_loss, bad = float("inf"), 0
    for epoch in range(100):
        train_one_epoch(model, loader, optimizer)
        test_loss = test_loss_of(model)
        if test_loss >= best_loss:  # expect: NN308
            bad += 1
            if bad > 5:
                break
        else:
            best_loss = test_loss

def copied(model, optimizer, loader, test_acc_of):
    best_acc, best_model = 0, None
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer)
        holdout_acc = test_acc_of(model)
        if holdout_acc > best_acc:  # expect: NN308
            best_model_state = copy.deepcopy(model.state_dict())

def plateau(model, optimizer, loader, evaluate, test_loader):
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer)
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer)
        test_loss = evaluate(model, test_loader)
        scheduler.step(test_loss)  # expect: NN308

callbacks = [keras.callbacks.ModelCheckpoint("best.keras", save_best_only=True)]
model.fit(x_train, y_train, validation_data=(x_test, y_test), callbacks=callbacks)  # expect: NN308

best_acc = 0

def test(epoch):
    global best_acc
    correct = total = 0
    for inputs, targets in testloader:
        correct += (net(inputs).argmax(1) == targets).sum().item()
        total += targets.size(0)
    acc = 100. * correct / total
    if acc > best_acc:  # expect: NN308
        torch.save(net.state_dict(), "ckpt.pth")
        best_acc = acc

for epoch in range(200):
    train_one_epoch(net, trainloader, optimizer)
    test(epoch)
""", "NN308")


def test_nn308_negatives() -> None:
    """Validation data selects (the right way); a test score printed, logged or computed
    after training selects nothing; a comparison that keeps nothing is harmless."""
    assert_findings(LOOP + """
def on_validation(model, optimizer, train_loader, val_loader, test_loader, evaluate):
    best = 0.0
    for epoch in range(10):
        train_one_epoch(model, train_loader, optimizer)
        val_acc = evaluate(model, val_loader)
        test_acc = evaluate(model, test_loader)
        print(test_acc)
        if val_acc > best:
            best = val_acc
            torch.save(model.state_dict(), "best.pt")
        if test_acc > 0.99:
            print("suspiciously good")
    final = evaluate(model, test_loader)
    if final > best:
        torch.save(model.state_dict(), "final.pt")

def no_training_loop(models, test_loader, evaluate):
    best = 0.0
    for model in models:
        acc = evaluate(model, test_loader)
        if acc > best:
            best_model = model

model.fit(x_train, y_train, validation_data=(x_val, y_val),
          callbacks=[keras.callbacks.EarlyStopping(patience=3)])
model.fit(x_train, y_train, validation_data=(x_test, y_test))
stop_on_training_loss = keras.callbacks.EarlyStopping(monitor="loss", patience=10)
model.fit(x_train, y_train, validation_data=(x_test, y_test), callbacks=[stop_on_training_loss])

def test(epoch):
    acc = evaluate(net, testloader)
    if acc > 0.5:
        torch.save(net.state_dict(), "ckpt.pth")
""", "NN308")


def test_nn308_traced_to_test_data() -> None:
    """The score reaches the test split through assignments, this file's functions, a
    data set built with ``train=False``, a split string, a trainer callback, a search
    over fitted trials; the choice sits in an ``and``, an ``else`` or a saved flag."""
    assert_findings(LOOP + """
from torchvision import datasets
from sklearn.metrics import mean_squared_error

def evaluate_epoch():
    correct = 0
    for x, y in test_loader:
        correct += (net(x).argmax(1) == y).sum()
    return correct / len(test_loader.dataset)

def validate(loader, model):
    hits = 0
    for x, y in loader:
        hits += (model(x).argmax(1) == y).sum()
    return hits

def main():
    best_acc = 0.0
    for epoch in range(100):
        train_one_epoch(net, train_loader, optimizer)
        acc = evaluate_epoch()
        if epoch > 50 and best_acc < acc:  # expect: NN308
            torch.save(net.state_dict(), "best.pt")
            best_acc = acc

def curve(model, optimizer, train_loader, test_loader, criterion):
    test_losses, best, patience = [], float("inf"), 0
    for epoch in range(500):
        train_one_epoch(model, train_loader, optimizer)
        test_losses.append(sum(criterion(model(x), y).item() for x, y in test_loader))
        if test_losses[-1] < best:  # expect: NN308
            best = test_losses[-1]
            patience = 0
        else:
            patience += 1
            if patience >= 10:
                break

def cifar(model, optimizer, train_loader, save_checkpoint):
    val_loader = torch.utils.data.DataLoader(datasets.CIFAR10("./data", train=False))
    best_prec = 0
    for epoch in range(200):
        train_one_epoch(model, train_loader, optimizer)
        prec = validate(val_loader, model)
        is_best = prec > best_prec  # expect: NN308
        best_prec = max(prec, best_prec)
        save_checkpoint(model.state_dict(), is_best)

def search(trials, build, X_train, y_train, X_test, y_test):
    best_rmse = float("inf")
    for params in trials:
        model = build(params)
        model.fit(X_train, y_train)
        rmse = mean_squared_error(y_test, model.predict(X_test)) ** 0.5
        if rmse < best_rmse:  # expect: NN308
            best_rmse = rmse
            model.save("best.keras")

def run(trainer, model, eval_split):
    top_score = 0
    def on_batch_end(trainer):
        global top_score
        train_score = eval_split(trainer, "train")
        test_score = eval_split(trainer, "test")
        score = train_score + test_score
        if score > top_score:  # expect: NN308
            top_score = score
            torch.save(model.state_dict(), "model.pt")
    trainer.set_callback("on_batch_end", on_batch_end)
    trainer.run()
""", "NN308")


def test_nn308_traced_negatives() -> None:
    """Validation data built from the training files, a score traced to validation data
    too, settings named like test data, a flag that saves nothing, a callback that is
    never registered: nothing is chosen on the test split."""
    assert_findings(LOOP + """
from torchvision import datasets

def validate(loader, model):
    hits = 0
    for x, y in loader:
        hits += (model(x).argmax(1) == y).sum()
    return hits

def from_training_files(model, optimizer, train_loader, save_checkpoint, sampler):
    val_loader = torch.utils.data.DataLoader(datasets.CIFAR10("./data", train=True),
                                             sampler=sampler)
    best_prec = 0
    for epoch in range(200):
        train_one_epoch(model, train_loader, optimizer)
        prec = validate(val_loader, model)
        is_best = prec > best_prec
        save_checkpoint(model.state_dict(), is_best)
        if prec > best_prec:
            torch.save(model.state_dict(), "best.pt")

def mixed(model, optimizer, train_loader, val_loader, test_loader, evaluate):
    best = 0
    for epoch in range(10):
        train_one_epoch(model, train_loader, optimizer)
        val_acc = evaluate(model, val_loader)
        test_acc = evaluate(model, test_loader)
        score = val_acc if epoch % 2 else test_acc
        if score > best:
            torch.save(model.state_dict(), "either.pt")
        reported = evaluate(model, test_loader)
        is_better = reported > best
        print(is_better)
        if val_acc > best:
            best = val_acc
            torch.save(model.state_dict(), "best.pt")

def named_test_but_validation(model, optimizer, train_loader, data_loader_val, evaluate):
    best = 0
    for epoch in range(10):
        train_one_epoch(model, train_loader, optimizer)
        test_stats = evaluate(data_loader_val, model)
        if best < test_stats["acc1"]:
            best = test_stats["acc1"]
            torch.save(model.state_dict(), "best.pt")

def model_flag(optimizer, train_loader, loader, Net, score):
    eval_net = Net(train=False)
    best = 0
    for epoch in range(10):
        train_one_epoch(eval_net, train_loader, optimizer)
        acc = score(eval_net, loader)
        if acc > best:
            torch.save(eval_net.state_dict(), "best.pt")

def settings(model, optimizer, train_loader, args):
    for epoch in range(10):
        train_one_epoch(model, train_loader, optimizer)
        warm = args.test_every
        if epoch > warm:
            torch.save(model.state_dict(), "late.pt")

def unregistered(trainer, model, eval_split):
    top_score = 0
    def on_batch_end(trainer):
        score = eval_split(trainer, "test")
        if score > top_score:
            torch.save(model.state_dict(), "model.pt")
    print(on_batch_end)
    trainer.run()

def compare_fitted(models, X_train, y_train, X_test, y_test, score):
    scores = []
    for model in models:
        model.fit(X_train, y_train)
        scores.append(score(model, X_test, y_test))
    if max(scores) > 0.9:
        print("good")
""", "NN308")


HELPER = LOOP + """
class Trainer:
    def train_epoch(self, loader):
        for batch in loader:
            self.state = self.train_step(self.state, batch)

    def train_model(self, train_loader, val_loader, epochs=10):
        best = 0.0
        for epoch in range(epochs):
            self.train_epoch(train_loader)
            metrics = self.eval_model(val_loader)
            if metrics["acc"] >= best:
                best = metrics["acc"]
                self.save_model(step=epoch)

    def report(self, loader):
        return self.eval_model(loader)
"""


def test_nn308_test_data_given_as_the_validation_data_of_a_helper() -> None:
    """The helper keeps the best checkpoint on its ``val_loader``; the caller gives it
    the test loader."""
    assert_findings(HELPER + """
def train_logreg(train_data, test_data):
    train_loader = torch.utils.data.DataLoader(train_data, shuffle=True)
    test_loader = torch.utils.data.DataLoader(test_data)
    trainer = Trainer()
    trainer.train_model(train_loader, test_loader, epochs=100)  # expect: NN308
    trainer.train_model(train_loader, val_loader=test_loader)  # expect: NN308
    return trainer.report(test_loader)
""", "NN308")


def test_nn308_helper_negatives() -> None:
    """The helper given validation data; the test data given to a helper that only
    reports; a method name the file defines twice (which one runs is unknown)."""
    assert_findings(HELPER + """
def train_properly(train_loader, val_loader, test_loader):
    trainer = Trainer()
    trainer.train_model(train_loader, val_loader)
    return trainer.report(test_loader)

class Other:
    def fit(self, train_loader, val_loader):
        best = 0.0
        for epoch in range(10):
            for x, y in train_loader:
                loss = self.loss(x, y)
                loss.backward()
                self.optimizer.step()
            if self.score(val_loader) > best:
                torch.save(self.model.state_dict(), "best.pt")

class Another:
    def fit(self, train_loader, test_loader):
        pass

Other().fit(train_loader, test_loader)
""", "NN308")


def test_nn308_a_condition_that_names_the_validation_phase() -> None:
    assert_findings(LOOP + """
def phases(model, loaders, optimizer, evaluate):
    best_test_acc = 0.0
    for epoch in range(10):
        for phase in ("train", "val"):
            if phase == "train":
                train_one_epoch(model, loaders[phase], optimizer)
            acc = evaluate(model, loaders[phase])
            if phase == "val" and best_test_acc < acc:
                best_test_acc = acc
                torch.save(model.state_dict(), "best.pt")

def named_test(model, train_loader, test_loader, optimizer, evaluate):
    best_test_acc = 0.0
    for epoch in range(10):
        train_one_epoch(model, train_loader, optimizer)
        test_acc = evaluate(model, test_loader)
        if epoch > 2 and best_test_acc < test_acc:  # expect: NN308
            best_test_acc = test_acc
            torch.save(model.state_dict(), "best.pt")
""", "NN308")


def test_nn308_keras_callbacks_built_by_a_helper() -> None:
    """The selecting callback comes from a function of the file, the test data through a
    name that says validation, a learning-rate schedule on the test loss, a keras-tuner
    search over trials scored on the test split."""
    assert_findings('''
import numpy as np
import keras_tuner as kt
from tensorflow import keras

def create_model_checkpoint(model_name, save_path="experiments"):
    return keras.callbacks.ModelCheckpoint(save_path + model_name, save_best_only=True)

def callbacks_for(name):
    checkpoint = create_model_checkpoint(name)
    return [checkpoint]

model.fit(X_train, y_train, validation_data=(X_test, y_test),  # expect: NN308
          callbacks=[create_model_checkpoint(model.name)])
model.fit(X_train, y_train, validation_data=(X_test, y_test),  # expect: NN308
          callbacks=callbacks_for("m"))

validation_data = (np.expand_dims(x_test_scaled, axis=0), np.expand_dims(y_test_scaled, axis=0))
model.fit(generator, validation_data=validation_data,  # expect: NN308
          callbacks=[keras.callbacks.ReduceLROnPlateau(factor=0.1, patience=0)])

tuner = kt.RandomSearch(build_model, objective="val_accuracy", max_trials=5)
tuner.search(X_train, y_train, validation_data=(X_test, y_test), epochs=10)  # expect: NN308
''', "NN308")


def test_nn308_keras_callbacks_that_choose_nothing() -> None:
    """A checkpoint of every epoch (no ``save_best_only``), also from a helper; a part of
    the test set kept as validation data; a tuner searching on validation data; a
    ``search`` of something that is no tuner."""
    assert_findings('''
import keras_tuner as kt
from tensorflow import keras

def every_epoch(name):
    return keras.callbacks.ModelCheckpoint(name, monitor="val_acc", verbose=1)

checkpoint = keras.callbacks.ModelCheckpoint("out.h5", monitor="val_acc", period=10)
model.fit(x_train, y_train, callbacks=[checkpoint], validation_data=(x_test, y_test))
model.fit(x_train, y_train, callbacks=[every_epoch("m")], validation_data=(x_test, y_test))

x_val, y_val = x_test[:500], y_test[:500]
model.fit(x_train, y_train, validation_data=(x_val, y_val),
          callbacks=[keras.callbacks.EarlyStopping(restore_best_weights=True)])

tuner = kt.Hyperband(build_model, objective="val_accuracy")
tuner.search(x_train, y_train, validation_data=(x_val, y_val))
index = SearchIndex()
index.search(x_train, y_train, validation_data=(x_test, y_test))
''', "NN308")


def test_nn308_a_bound_the_loop_never_updates() -> None:
    """Compared with a best score that nothing updates (or a constant), a branch that saves
    keeps every epoch that passes: nothing is chosen. Stopping on it still chooses when
    training ends."""
    assert_findings(LOOP + """
accuracy_best = 0

def fixed(model, optimizer, train_loader, test_loader, evaluate):
    for epoch in range(10):
        train_one_epoch(model, train_loader, optimizer)
        test_acc = evaluate(model, test_loader)
        if test_acc >= accuracy_best:
            torch.save(model.state_dict(), "best.pt")
        if test_acc > 0.9:
            torch.save(model.state_dict(), "good.pt")
        if test_acc > 0.99:  # expect: NN308
            break

def tracked(model, optimizer, train_loader, test_loader, evaluate):
    best = 0.0
    for epoch in range(10):
        train_one_epoch(model, train_loader, optimizer)
        test_acc = evaluate(model, test_loader)
        if test_acc >= best:  # expect: NN308
            torch.save(model.state_dict(), "best.pt")
        best = max(best, test_acc)

def test_epoch(model, best_acc, evaluate):
    acc = evaluate(model, test_loader)
    if acc > best_acc:  # expect: NN308
        torch.save(model.state_dict(), "best.pt")
    return max(acc, best_acc)

def run(model, optimizer, train_loader, test_loader, evaluate):
    best_acc = 0.0
    for epoch in range(10):
        train_one_epoch(model, train_loader, optimizer)
        best_acc = test_epoch(model, best_acc, evaluate)
""", "NN308")


def test_nn308_boosters_that_keep_the_best_iteration_on_the_test_set() -> None:
    assert_findings('''
import lightgbm as lgb
import xgboost as xgb
from catboost import CatBoostClassifier

clf = CatBoostClassifier(iterations=1000, verbose=5)
clf.fit(X_train, y_train, eval_set=(X_test, y_test))  # expect: NN308
booster = xgb.XGBClassifier(n_estimators=500, early_stopping_rounds=20)
booster.fit(X_train, y_train, eval_set=[(X_test, y_test)])  # expect: NN308
gbm = lgb.LGBMRegressor()
gbm.fit(X_train, y_train, eval_set=[(X_test, y_test)],  # expect: NN308
        callbacks=[lgb.early_stopping(50)])
''', "NN308")


def test_nn308_boosters_that_only_report_on_the_test_set() -> None:
    """Without early stopping XGBoost and LightGBM only log the test score; CatBoost told
    not to keep the best model; CatBoost selecting on validation data."""
    assert_findings('''
import lightgbm as lgb
import xgboost as xgb
from catboost import CatBoostRegressor

booster = xgb.XGBClassifier(n_estimators=500)
booster.fit(X_train, y_train, eval_set=[(X_train, y_train), (X_test, y_test)])
gbm = lgb.LGBMRegressor(early_stopping_rounds=None)
gbm.fit(X_train, y_train, eval_set=[(X_test, y_test)], callbacks=[lgb.log_evaluation(10)])
cat = CatBoostRegressor(use_best_model=False)
cat.fit(X_train, y_train, eval_set=(X_test, y_test))
other = CatBoostRegressor()
other.fit(X_train, y_train, eval_set=(X_valid, y_valid))
''', "NN308")


def test_nn308_a_score_accumulated_over_the_test_batches() -> None:
    """The score is the mean of a list appended to in a loop over the test data; the loop
    variable is traced to what the loop iterates over."""
    assert_findings(LOOP + """
def fit(model, optimizer, train_ds, test_ds, eval_step, checkpointer):
    best_acc = 0.0
    for epoch in range(10):
        train_one_epoch(model, train_ds, optimizer)
        acc = []
        for batch in test_ds:
            batch = prepare(batch)
            acc.append(eval_step(model, batch))
        acc = sum(acc) / len(acc)
        if acc > best_acc:  # expect: NN308
            checkpointer.save("ckpt", model)
            best_acc = acc
""", "NN308")


def test_nn308_accumulated_scores_that_are_not_only_test() -> None:
    assert_findings(LOOP + """
def fit(model, optimizer, train_ds, val_ds, test_ds, eval_step, checkpointer):
    best_acc = 0.0
    for epoch in range(10):
        train_one_epoch(model, train_ds, optimizer)
        acc = []
        for batch in val_ds:
            acc.append(eval_step(model, batch))
        scores = []
        for batch in test_ds:
            scores.append(eval_step(model, batch))
        for batch in val_ds:
            scores.append(eval_step(model, batch))
        score = sum(acc) / len(acc)
        if score > best_acc:
            checkpointer.save("ckpt", model)
            best_acc = score
        mixed = sum(scores)
        if mixed > best_acc:
            checkpointer.save("ckpt", model)
            best_acc = mixed
""", "NN308")


def test_nn308_rows_picked_from_data_that_combines_splits() -> None:
    """The validation rows are picked by index from features of the training and test
    tables stacked together: their name, not the stack, says what they are."""
    assert_findings('''
import pandas as pd
from tensorflow import keras

input_data = scaler.fit_transform(pd.concat([df_train, df_test]))
cv_input = input_data[cv_index]
model.fit(train_input, train_target, validation_data=(cv_input, cv_target),
          callbacks=[keras.callbacks.EarlyStopping(restore_best_weights=True)])
''', "NN308")


def test_nn308_test_data_glued_to_a_data_word() -> None:
    """``testloader`` says test as ``test_loader`` does; the branch that selects inside
    the training function is the bug, not the call that passes the loader."""
    assert_findings(LOOP + """
def test_epoch(model, testloader):
    total = 0.0
    for batch in testloader:
        total += model.loss(batch)
    return total

def train(model, optimizer, trainloader, testloader, steps):
    best_loss, best_model = 1e10, model
    for step in range(steps):
        train_one_epoch(model, trainloader, optimizer)
        test_loss = test_epoch(model, testloader)
        if best_loss > test_loss:  # expect: NN308
            best_loss = test_loss
            best_model = model
    return best_model

best = train(model, optimizer, trainloader, testloader, 100)
""", "NN308")


def test_nn308_glued_words_that_are_not_test_data() -> None:
    """``testament``, ``tester``: not a data word glued to "test"; a validation loader
    glued (``valloader``) is what selection is for."""
    assert_findings(LOOP + """
def fit(model, optimizer, trainloader, valloader, testament, evaluate):
    best = 0.0
    for epoch in range(10):
        train_one_epoch(model, trainloader, optimizer)
        acc = evaluate(model, valloader)
        if acc > best:
            best = acc
            torch.save(model.state_dict(), "best.pt")
        tester = evaluate(model, testament)
        if tester > best:
            torch.save(model.state_dict(), "other.pt")
            best = tester
""", "NN308")


def test_nn308_a_flag_the_saving_branch_tests() -> None:
    """``is_best = acc > best; if is_best: torch.save(...)``: reported at the comparison."""
    assert_findings(LOOP + """
def run(model, optimizer, train_loader, test_loader, evaluate):
    best_acc = 0.0
    for epoch in range(10):
        train_one_epoch(model, train_loader, optimizer)
        _, current_acc = evaluate(model, test_loader)
        is_best = current_acc > best_acc  # expect: NN308
        if is_best:
            best_acc = current_acc
            torch.save(model.state_dict(), "best.pt")
""", "NN308")


def test_nn308_flags_that_select_nothing_on_test_data() -> None:
    """The flag compares a validation score; it is only printed; it is rebound between
    the comparison and the branch; the test score is computed once, after training."""
    assert_findings(LOOP + """
def run(model, optimizer, train_loader, val_loader, test_loader, evaluate):
    best_acc = 0.0
    for epoch in range(10):
        train_one_epoch(model, train_loader, optimizer)
        val_acc = evaluate(model, val_loader)
        is_best = val_acc > best_acc
        if is_best:
            best_acc = val_acc
            torch.save(model.state_dict(), "best.pt")
        test_acc = evaluate(model, test_loader)
        improved = test_acc > best_acc
        if improved:
            print("the test accuracy beats the best validation accuracy")
        better = test_acc > best_acc
        better = val_acc > best_acc
        if better:
            torch.save(model.state_dict(), "best.pt")
    final = evaluate(model, test_loader)
    is_best = final > best_acc
    if is_best:
        torch.save(model.state_dict(), "final.pt")
""", "NN308")


def test_nn308_a_list_named_validation_filled_on_test_batches() -> None:
    """``val_losses`` filled only with losses over ``test_loader``: its mean is a test
    loss, whatever the list is called; the scheduler and the best state follow it."""
    assert_findings(LOOP + """
import numpy as np

def fit(model, optimizer, criterion, train_loader, test_loader):
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer)
    min_val_loss, best_state = float("inf"), None
    for epoch in range(100):
        train_one_epoch(model, train_loader, optimizer)
        val_losses = []
        with torch.no_grad():
            for x_batch, y_batch in test_loader:
                x_batch, y_batch = x_batch.to("cuda"), y_batch.to("cuda")
                val_losses.append(criterion(model(x_batch), y_batch).item())
        val_loss = float(np.mean(val_losses))
        scheduler.step(val_loss)  # expect: NN308
        if val_loss < min_val_loss:  # expect: NN308
            min_val_loss = val_loss
            best_state = copy.deepcopy(model.state_dict())
""", "NN308")


def test_nn308_lists_named_validation_that_hold_validation_scores() -> None:
    """Filled over the validation loader, over both loaders, or with a part of the test
    batches: the name is not contradicted."""
    assert_findings(LOOP + """
import numpy as np

def fit(model, optimizer, criterion, train_loader, val_loader, test_loader):
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer)
    min_val_loss, best_state = float("inf"), None
    for epoch in range(100):
        train_one_epoch(model, train_loader, optimizer)
        val_losses = []
        for x_batch, y_batch in val_loader:
            val_losses.append(criterion(model(x_batch), y_batch).item())
        val_loss = float(np.mean(val_losses))
        scheduler.step(val_loss)
        if val_loss < min_val_loss:
            min_val_loss = val_loss
            best_state = copy.deepcopy(model.state_dict())
        val_scores = []
        for x_batch, y_batch in val_loader:
            val_scores.append(criterion(model(x_batch), y_batch).item())
        for x_batch, y_batch in test_loader:
            val_scores.append(criterion(model(x_batch), y_batch).item())
        if np.mean(val_scores) < min_val_loss:
            best_state = copy.deepcopy(model.state_dict())
        val_parts = []
        for x_batch, y_batch in test_loader:
            val_parts.append(criterion(model(x_batch[:8]), y_batch[:8]).item())
        val_part = float(np.mean(val_parts))
        if val_part < min_val_loss:
            best_state = copy.deepcopy(model.state_dict())
""", "NN308")


def test_nn308_a_test_score_given_to_a_selecting_callable() -> None:
    """The selection happens in a function of the file, or in the ``__call__`` of an
    early-stopping object, given a score computed on the test data: the call is
    reported."""
    assert_findings(LOOP + """
class EarlyStopping:
    def __init__(self, min_delta=0):
        self.best_model, self.best_loss, self.min_delta = None, None, min_delta

    def __call__(self, model, val_loss):
        if self.best_loss is None:
            self.best_loss = val_loss
        elif self.best_loss - val_loss >= self.min_delta:
            self.best_model = copy.deepcopy(model.state_dict())
            self.best_loss = val_loss
        return False

def save_best_model(model, current_accuracy, best_accuracy):
    if current_accuracy > best_accuracy:
        best_accuracy = current_accuracy
        torch.save(model.state_dict(), "best.pt")
    return best_accuracy

def run(model, optimizer, loss_fn, train_loader, x_test, y_test, test_loader, evaluate):
    es = EarlyStopping()
    best_accuracy = 0.0
    for epoch in range(100):
        train_one_epoch(model, train_loader, optimizer)
        val_loss = loss_fn(model(x_test), y_test)
        if es(model, val_loss):  # expect: NN308
            break
        metrics = evaluate(model, test_loader)
        best_accuracy = save_best_model(model, metrics["accuracy"], best_accuracy)  # expect: NN308
""", "NN308")


def test_nn308_callables_given_no_test_score_or_that_choose_nothing() -> None:
    """A validation score given to the same callables; a test score given to a helper that
    saves unconditionally, one that only prints it, one that saves whenever it passes a
    constant; the test score computed once after training."""
    assert_findings(LOOP + """
class EarlyStopping:
    def __init__(self):
        self.best_model, self.best_loss = None, float("inf")

    def __call__(self, model, loss):
        if loss < self.best_loss:
            self.best_model = copy.deepcopy(model.state_dict())
            self.best_loss = loss

def save_best_model(model, current_accuracy, best_accuracy):
    if current_accuracy > best_accuracy:
        torch.save(model.state_dict(), "best.pt")
        best_accuracy = current_accuracy
    return best_accuracy

def save_every_epoch(model, accuracy):
    torch.save(model.state_dict(), f"epoch-{accuracy:.2f}.pt")

def report(accuracy, best_accuracy):
    if accuracy > best_accuracy:
        print("new best", accuracy)

def save_if_good(model, accuracy):
    if accuracy > 0.9:
        torch.save(model.state_dict(), "good.pt")

def run(model, optimizer, loss_fn, train_loader, val_loader, test_loader, evaluate):
    es = EarlyStopping()
    best_accuracy = 0.0
    for epoch in range(100):
        train_one_epoch(model, train_loader, optimizer)
        val_metrics = evaluate(model, val_loader)
        es(model, val_metrics["loss"])
        best_accuracy = save_best_model(model, val_metrics["accuracy"], best_accuracy)
        test_metrics = evaluate(model, test_loader)
        save_every_epoch(model, test_metrics["accuracy"])
        report(test_metrics["accuracy"], best_accuracy)
        save_if_good(model, test_metrics["accuracy"])
    final = evaluate(model, test_loader)
    save_best_model(model, final["accuracy"], best_accuracy)
    es(model, final["loss"])
""", "NN308")


def test_nn308_each_element_of_a_returned_tuple_keeps_its_own_split() -> None:
    """``x, y, x_te, y_te = read_data(path)`` where ``read_data`` returns ``x_train,
    y_train, x_test, y_test``: only the names at the test positions hold test data, also
    through a parameter (``first, second = pair(train_x, test_x)``)."""
    assert_findings(LOOP + """
from sklearn.model_selection import train_test_split

def read_data(path):
    x_train, x_test, y_train, y_test = train_test_split(*load(path))
    return x_train, y_train, x_test, y_test

def pair(a, b):
    return a, b

def select(model, optimizer, score):
    x, y, x_its, y_its = read_data("data.csv")
    best = 0.0
    for epoch in range(10):
        train_one_epoch(model, zip(x, y), optimizer)
        acc = score(model, x_its, y_its)
        if acc > best:  # expect: NN308
            best = acc
            torch.save(model.state_dict(), "best.pt")

def select_second(model, optimizer, score, train_x, test_x):
    first, second = pair(train_x, test_x)
    best = 0.0
    for epoch in range(10):
        train_one_epoch(model, first, optimizer)
        acc = score(model, second)
        if acc > best:  # expect: NN308
            best = acc
            torch.save(model.state_dict(), "best.pt")
""", "NN308")


def test_nn308_the_training_part_of_a_returned_tuple_is_not_test_data() -> None:
    """The positions that hold training data are not test data because the same tuple
    holds the test arrays; nor is a part of an unknown function's result that is given
    training and test data alike (which part holds which is unknown)."""
    assert_findings(LOOP + """
from sklearn.model_selection import train_test_split
from dataset import DATA

def read_data(path):
    x_train, x_test, y_train, y_test = train_test_split(*load(path))
    return x_train, y_train, x_test, y_test

def pair(a, b):
    return a, b

def cross_validate(model, optimizer, x, y):
    train_one_epoch(model, zip(x, y), optimizer)
    return model(x).mean().item()

def grid_search(x, y, make_model, make_optimizer):
    best, best_model = float("inf"), None
    for lr in (0.1, 0.01):
        model = make_model()
        loss = cross_validate(model, make_optimizer(model, lr), x, y)
        if loss < best:
            best = loss
            best_model = model
    return best_model

def select_first(model, optimizer, score, train_x, test_x):
    first, second = pair(train_x, test_x)
    best = 0.0
    for epoch in range(10):
        train_one_epoch(model, second, optimizer)
        acc = score(model, first)
        if acc > best:
            best = acc
            torch.save(model.state_dict(), "best.pt")

x, y, x_its, y_its = read_data("data.csv")
chosen = grid_search(x, y, Net, make_sgd)
data = DATA()
train_ds, validation_dataset, test_ds = data.get_dataset(train_points, test_points)
checkpoint = keras.callbacks.ModelCheckpoint("m.h5", save_best_only=True)
model.fit(train_ds, epochs=20, validation_data=validation_dataset, callbacks=[checkpoint])
""", "NN308")


def test_nn308_a_cap_on_the_batches_of_an_evaluation_is_not_early_stopping() -> None:
    """``for i, batch in enumerate(loader): if i < num_batches: ... else: break`` counts
    batches; a break on the test score itself still stops training on it."""
    assert_findings(LOOP + """
def accuracy(loader, model, num_batches=None):
    correct, seen = 0, 0
    num_batches = len(loader) if num_batches is None else min(num_batches, len(loader))
    for i, (x, y) in enumerate(loader):
        if i < num_batches:
            correct += (model(x).argmax(-1) == y).sum().item()
            seen += len(y)
        else:
            break
    return correct / seen

def loss_of(loader, model, max_batches):
    total, count = 0.0, 0
    for x, y in loader:
        total += model(x).sum().item()
        count += 1
        if count >= max_batches:
            break
    return total / count

def fit(model, optimizer, train_loader, val_loader, test_loader):
    best, bad = float("inf"), 0
    for epoch in range(100):
        train_one_epoch(model, train_loader, optimizer)
        print(accuracy(val_loader, model, num_batches=5), loss_of(val_loader, model, 5))
        for i, (x, y) in enumerate(test_loader):
            if i >= 10:
                break
            print(model(x))
        test_loss = loss_of(test_loader, model, 10)
        if test_loss < best:  # expect: NN308
            best = test_loss
        elif epoch > 10 and test_loss > 2 * best:  # expect: NN308
            break
    print(accuracy(test_loader, model))
""", "NN308")
