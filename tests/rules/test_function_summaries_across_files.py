"""What a module-level function of another project file returns (or a module-level name
holds): NN513 and NN515 on a criterion built there (``criterion = get_loss(cfg)``,
``from losses import criterion``) or passed in by a caller of another file."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lintnn.config import Settings
from lintnn.static.engine.run import Engine

_LOSSES = '''
    import torch.nn as nn

    def get_loss(cfg):
        return nn.CrossEntropyLoss()

    def get_summed_loss(cfg):
        return nn.CrossEntropyLoss(reduction="sum")

    def loss_by_name(reduction):
        return nn.CrossEntropyLoss(reduction=reduction)

    def loss_for(cfg):
        if cfg.sum:
            return nn.CrossEntropyLoss(reduction="sum")
        return nn.CrossEntropyLoss()

    criterion = nn.NLLLoss()
'''

_EVALUATE = '''
    from losses import {imported}

    def evaluate(model, loader, cfg):
        {binding}
        total = 0.0
        for x, y in loader:
            total += criterion(model(x), y).item()
        total /= len(loader.dataset)
        return total
'''

_ACCUMULATE = '''
    from losses import get_loss

    def train(model, loader, optimizer, cfg):
        criterion = get_loss(cfg)
        for i, (x, y) in enumerate(loader):
            loss = criterion(model(x), y)
            loss.backward()
            if (i + 1) % 4 == 0:
                optimizer.step()
                optimizer.zero_grad()
'''


def _findings(root: Path, files: dict[str, str], select: str,
              gated: bool = True) -> list[tuple[str, int, str]]:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    engine = Engine(Settings(select=[select], root=root), use_cache=False, jobs=1, gated=gated)
    return sorted((str(Path(d.filename).relative_to(root)), d.location.row, d.code)
                  for d in engine.check_paths([root]).diagnostics)


def _evaluate(imported: str, binding: str) -> str:
    return textwrap.dedent(_EVALUATE).format(imported=imported, binding=binding)


@pytest.mark.parametrize("gated", [True, False])
def test_a_mean_loss_built_by_a_function_of_another_file(tmp_path: Path, gated: bool) -> None:
    files = {"losses.py": _LOSSES,
             "train.py": _evaluate("get_loss", "criterion = get_loss(cfg).to('cuda')")}
    assert _findings(tmp_path, files, "NN513", gated) == [("train.py", 9, "NN513")]


def test_a_mean_loss_object_imported_from_another_file(tmp_path: Path) -> None:
    files = {"losses.py": _LOSSES, "train.py": _evaluate("criterion", "pass")}
    assert _findings(tmp_path, files, "NN513") == [("train.py", 9, "NN513")]


@pytest.mark.parametrize("binding", [
    "criterion = get_summed_loss(cfg)",  # summed: dividing by the samples is right
    "criterion = loss_by_name(cfg.reduction)",  # the reduction is the caller's argument
    "criterion = loss_for(cfg)",  # the returns disagree on the reduction
])
def test_no_finding_when_the_function_does_not_always_build_a_mean_loss(
        tmp_path: Path, binding: str) -> None:
    imported = binding.split("= ")[1].split("(")[0]
    files = {"losses.py": _LOSSES, "train.py": _evaluate(imported, binding)}
    assert _findings(tmp_path, files, "NN513") == []


def test_no_finding_for_a_same_named_function_of_another_package(tmp_path: Path) -> None:
    """``other.losses.get_loss`` is not the project's ``mine/losses.py``."""
    files = {"mine/__init__.py": "", "mine/losses.py": _LOSSES,
             "train.py": _evaluate("get_loss", "criterion = get_loss(cfg)").replace(
                 "from losses import", "from other.losses import")}
    assert _findings(tmp_path, files, "NN513") == []


def test_no_finding_when_two_folders_define_the_function_and_neither_is_the_callers(
        tmp_path: Path) -> None:
    summed = _LOSSES.replace('def get_loss(cfg):\n        return nn.CrossEntropyLoss()',
                             'def get_loss(cfg):\n        return nn.CrossEntropyLoss('
                             'reduction="sum")')
    files = {"a/losses.py": _LOSSES, "b/losses.py": summed,
             "b/train.py": _evaluate("get_loss", "criterion = get_loss(cfg)")}
    assert _findings(tmp_path, files, "NN513") == []  # b's own losses.py sums


def test_no_finding_through_a_re_export_it_cannot_resolve(tmp_path: Path) -> None:
    files = {"pkg/__init__.py": "from .impl import *\n", "pkg/impl.py": _LOSSES,
             "train.py": _evaluate("get_loss", "criterion = get_loss(cfg)").replace(
                 "from losses import", "from pkg import")}
    assert _findings(tmp_path, files, "NN513") == []


def test_no_finding_when_the_imported_name_is_rebound(tmp_path: Path) -> None:
    rebound = _evaluate("criterion", "pass") + "\ncriterion = make_criterion()\n"
    files = {"losses.py": _LOSSES, "train.py": rebound}
    assert _findings(tmp_path, files, "NN513") == []


def test_no_finding_when_the_imported_function_is_shadowed_by_a_local_one(
        tmp_path: Path) -> None:
    shadowed = _evaluate("get_loss", "criterion = get_loss(cfg)") + (
        "\ndef get_loss(cfg):\n    return make_criterion(cfg)\n")
    files = {"losses.py": _LOSSES, "train.py": shadowed}
    assert _findings(tmp_path, files, "NN513") == []


def test_a_function_of_the_same_file(tmp_path: Path) -> None:
    same = textwrap.dedent(_LOSSES) + _evaluate("get_loss", "criterion = get_loss(cfg)").replace(
        "from losses import get_loss", "")
    files = {"train.py": same}
    found = _findings(tmp_path, files, "NN513")
    assert [(f, c) for f, _, c in found] == [("train.py", "NN513")]


@pytest.mark.parametrize("gated", [True, False])
def test_unscaled_accumulation_of_a_loss_built_in_another_file(tmp_path: Path,
                                                                gated: bool) -> None:
    files = {"losses.py": _LOSSES, "train.py": _ACCUMULATE}
    assert _findings(tmp_path, files, "NN515", gated) == [("train.py", 8, "NN515")]


def test_no_accumulation_finding_when_the_function_computes_the_loss(tmp_path: Path) -> None:
    """A function that computes the loss value itself may divide inside: not a loss
    object, whatever it returns."""
    losses = '''
        import torch.nn.functional as F

        def get_loss(cfg):
            return lambda out, y: F.cross_entropy(out, y) / cfg.steps
    '''
    files = {"losses.py": losses, "train.py": _ACCUMULATE}
    assert _findings(tmp_path, files, "NN515") == []


_TRAIN_WITH_PARAMETER = '''
    def train(model, loader, cost, optimizer, epochs):
        for epoch in range(epochs):
            running_loss = 0
            for data, target in loader:
                optimizer.zero_grad()
                loss = cost(model(data), target)
                running_loss += loss
                loss.backward()
                optimizer.step()
            print(running_loss / len(loader.dataset))
'''

_CALLER = '''
    from torch import nn
    from train import train

    def run(model, loader, optimizer):
        cost = nn.NLLLoss({arguments})
        train(model, loader, cost, optimizer, 3)
'''


@pytest.mark.parametrize("gated", [True, False])
def test_a_mean_loss_passed_by_a_caller_of_another_file(tmp_path: Path, gated: bool) -> None:
    files = {"train.py": _TRAIN_WITH_PARAMETER, "main.py": _CALLER.format(arguments="")}
    assert _findings(tmp_path, files, "NN513", gated) == [("train.py", 11, "NN513")]


def test_no_finding_when_the_caller_passes_a_summed_loss(tmp_path: Path) -> None:
    files = {"train.py": _TRAIN_WITH_PARAMETER,
             "main.py": _CALLER.format(arguments="reduction='sum'")}
    assert _findings(tmp_path, files, "NN513") == []


_SAVING = '''
    import torch

    def save_best_model(model, current_accuracy, best_accuracy):
        if current_accuracy > best_accuracy:
            best_accuracy = current_accuracy
            torch.save(model.state_dict(), "best.pth")
        return best_accuracy

    def save_every_time(model, accuracy, path):
        torch.save(model.state_dict(), path)
        return accuracy

    def save_above(model, accuracy):
        if accuracy > 0.9:
            torch.save(model.state_dict(), "good.pth")
'''

_TRAINING = '''
    def train_epoch(model, loader, criterion, optimizer):
        for x, y in loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()

    def evaluate(model, loader):
        correct = 0
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
        return correct / len(loader.dataset)
'''

_RUN = '''
    from .saving import save_best_model, save_every_time, save_above
    from .training import train_epoch, evaluate

    def run(model, epochs, train_loader, test_loader, val_loader, optimizer, criterion, best):
        for epoch in range(epochs):
            train_epoch(model, train_loader, criterion, optimizer)
            test_acc = evaluate(model, test_loader)
            best = save_best_model(model, test_acc, best)
            save_every_time(model, test_acc, "last.pth")
            save_above(model, test_acc)
            val_acc = evaluate(model, val_loader)
            best = save_best_model(model, val_acc, best)
'''


@pytest.mark.parametrize("gated", [True, False])
def test_a_test_score_given_to_a_selecting_helper_of_another_file(tmp_path: Path,
                                                                   gated: bool) -> None:
    """Only the helper that keeps the weights when its argument beats the best selects;
    the loop trains through another file's function."""
    files = {"utils/__init__.py": "", "utils/saving.py": _SAVING,
             "utils/training.py": _TRAINING, "utils/run.py": _RUN}
    assert _findings(tmp_path, files, "NN308", gated) == [("utils/run.py", 9, "NN308")]


def test_no_selection_finding_when_no_function_of_the_loop_trains(tmp_path: Path) -> None:
    not_training = _TRAINING.replace("            loss.backward()\n            optimizer.step()\n",
                                     "")
    files = {"utils/__init__.py": "", "utils/saving.py": _SAVING,
             "utils/training.py": not_training, "utils/run.py": _RUN}
    assert _findings(tmp_path, files, "NN308") == []


def test_an_edit_of_the_function_s_file_changes_the_cached_caller_s_finding(
        tmp_path: Path) -> None:
    """The caller's cached result keeps the requirement; the summary is made anew from the
    edited file on the next run."""
    files = {"losses.py": _LOSSES,
             "train.py": _evaluate("get_loss", "criterion = get_loss(cfg)")}
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    settings = Settings(select=["NN513"], root=tmp_path, cache_dir=tmp_path / ".cache")

    def run() -> list[int]:
        engine = Engine(settings, use_cache=True, jobs=1)
        return [d.location.row for d in engine.check_paths([tmp_path]).diagnostics]

    assert run() == [9]
    losses = tmp_path / "losses.py"
    losses.write_text(losses.read_text().replace(
        "return nn.CrossEntropyLoss()\n", 'return nn.CrossEntropyLoss(reduction="sum")\n', 1))
    assert run() == []
