"""NN308: a name that says test but is bound to validation data alone (a loop over the
validation loader, the length of the validation set) is validation data."""

from __future__ import annotations

from tests.helpers import assert_findings

_TRAIN = """
import copy

def train_model(model, train_loader, validation_loader, criterion, optimizer, n_epochs):
    n_test = len({size_of})
    accuracy_best = 0
    for epoch in range(n_epochs):
        for x, y in train_loader:
            criterion(model(x), y).backward()
            optimizer.step()
            optimizer.zero_grad()
        correct = 0
        for x_test, y_test in {loader}:
            yhat = model(x_test).argmax(1)
            correct += (yhat == y_test).sum().item()
        accuracy = correct / n_test
        if accuracy > accuracy_best:{expect}
            accuracy_best = accuracy
            best = copy.deepcopy(model.state_dict())
    return best
"""


def test_test_names_bound_to_the_validation_loader_and_set_are_validation() -> None:
    assert_findings(
        _TRAIN.format(size_of="val_set", loader="validation_loader", expect=""), "NN308"
    )


def test_test_names_bound_to_the_test_set_stay_test_data() -> None:
    assert_findings(
        _TRAIN.format(size_of="test_set", loader="test_loader", expect="  # expect: NN308"),
        "NN308",
    )


def test_a_count_of_the_test_set_over_a_validation_loop_still_says_test() -> None:
    """``n_test = len(test_set)``: the score is divided by the test set's size."""
    assert_findings(
        _TRAIN.format(size_of="test_set", loader="validation_loader", expect="  # expect: NN308"),
        "NN308",
    )


def test_test_names_over_a_loader_of_unknown_split_keep_their_name() -> None:
    assert_findings(
        _TRAIN.format(size_of="x_test", loader="loader", expect="  # expect: NN308"), "NN308"
    )


_TOTALS = """
import torch

def train_model(model, train_loader, eval_dataset, optimizer, criterion, epochs=30):
    eval_loader = torch.utils.data.DataLoader({data}, batch_size=64)
    max_acc = 0
    for epoch in range(epochs):
        for x, y in train_loader:
            criterion(model(x), y).backward()
            optimizer.step()
            optimizer.zero_grad()
        test_acc = 0
        with torch.no_grad():
            for x, y in eval_loader:
                pred = model(x).argmax(-1)
                test_acc += (pred == y).float().mean().item()
        if test_acc > max_acc:{expect}
            max_acc = test_acc
            torch.save(model.state_dict(), "best_model.pth")
"""


def test_a_test_named_total_of_validation_batches_is_validation() -> None:
    """Real-world (course homework): ``test_acc = 0`` then ``test_acc += ...`` over the
    loader of the evaluation set: the total's additions say which data it scores, not
    its name; over the test set it stays a test score."""
    assert_findings(_TOTALS.format(data="eval_dataset", expect=""), "NN308")
    assert_findings(_TOTALS.format(data="test_dataset", expect="  # expect: NN308"),
                    "NN308")
