"""NN101 across files: a project class's loss method (``disc.get_loss(pred)``) feeds its
argument to a loss that expects logits, and a caller in another file passes it the output
of the same model, which ends in a sigmoid (the class summary's FEEDS_LOSS fact)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lintnn.config import Settings
from lintnn.static.engine.result_json import decode_result, encode
from lintnn.static.engine.run import Engine, summarize_file

_MODEL = '''
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Disc(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(4, 1)
            self.bce = nn.BCELoss()

        def forward(self, x):
            return torch.sigmoid(self.proj(x))

        def get_loss(self, pred, real):
            gt = torch.ones_like(pred) if real else torch.zeros_like(pred)
            return F.binary_cross_entropy_with_logits(pred, gt)

        def prob_loss(self, pred, gt):
            return self.bce(pred, gt)

        def rescaled_loss(self, pred, gt):
            pred = torch.logit(pred)
            return F.binary_cross_entropy_with_logits(pred, gt)

        def swapped_loss(self, gt, pred):
            return F.binary_cross_entropy_with_logits(pred, gt)
'''

_LOGITS_MODEL = _MODEL.replace("return torch.sigmoid(self.proj(x))", "return self.proj(x)")


def _findings(root: Path, files: dict[str, str], gated: bool = True,
              cache: bool = False) -> list[tuple[str, int, str]]:
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text))
    engine = Engine(Settings(select=["NN101"], root=root), use_cache=cache, jobs=1,
                    gated=gated)
    return [(Path(d.filename).name, d.location.row, d.code)
            for d in engine.check_paths([root]).diagnostics]


def _train(call: str) -> str:
    return f'''
    import torch
    from model import Disc

    disc = Disc().to("cpu")
    for x in torch.ones(3, 4):
        pred = disc(x)
        loss = {call}
        loss.backward()
'''


@pytest.mark.parametrize("gated", [True, False])
@pytest.mark.parametrize("call", ["disc.get_loss(pred, real=True)",
                                  "disc.get_loss(pred=pred, real=True)",
                                  "disc.get_loss(real=True, pred=disc(x))"])
def test_a_model_s_sigmoid_output_into_its_own_logits_loss_method(
        tmp_path: Path, gated: bool, call: str) -> None:
    found = _findings(tmp_path, {"model.py": _MODEL, "train.py": _train(call)}, gated)
    assert found == [("train.py", 8, "NN101")]


@pytest.mark.parametrize("call", [
    "disc.prob_loss(pred, torch.ones(1))",  # the method's loss expects probabilities
    "disc.rescaled_loss(pred, torch.ones(1))",  # it turns them back into logits first
    "disc.swapped_loss(pred, torch.ones(1))",  # the probabilities are the target
    "disc.get_loss(disc.proj(x), True)",  # a layer's output: logits
    "disc.missing_loss(pred, True)",  # a method the class does not define
])
def test_no_finding_where_the_method_does_not_feed_probabilities_to_a_logits_loss(
        tmp_path: Path, call: str) -> None:
    assert _findings(tmp_path, {"model.py": _MODEL, "train.py": _train(call)}) == []


def test_no_finding_when_the_model_returns_logits(tmp_path: Path) -> None:
    files = {"model.py": _LOGITS_MODEL, "train.py": _train("disc.get_loss(pred, True)")}
    assert _findings(tmp_path, files) == []


def test_the_fact_survives_the_cache(tmp_path: Path) -> None:
    files = {"model.py": _MODEL, "train.py": _train("disc.get_loss(pred, True)")}
    first = _findings(tmp_path, files, cache=True)
    assert first == _findings(tmp_path, files, cache=True) == [("train.py", 8, "NN101")]


def test_the_summary_records_which_argument_feeds_which_loss(tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent(_MODEL))
    (disc,) = summarize_file(path)  # the deferred path's summary
    assert disc.loss_inputs == {
        "get_loss:0:loss.sigmoid_logits", "get_loss:pred:loss.sigmoid_logits",
        "prob_loss:0:loss.probabilities", "prob_loss:pred:loss.probabilities",
        "swapped_loss:1:loss.sigmoid_logits", "swapped_loss:pred:loss.sigmoid_logits",
    }


def test_the_fact_is_kept_only_for_methods_named_as_loss_methods(tmp_path: Path) -> None:
    """A caller is followed into a method only when its name names a loss (``get_loss``,
    ``criterion``...): what other methods feed their losses is never asked, so it is not
    read (the dataflow of every method of every class)."""
    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent(_MODEL.replace("def swapped_loss(", "def swapped(")))
    (disc,) = summarize_file(path)
    assert not any(role.startswith("swapped") for role in disc.loss_inputs)
    files = {"model.py": _MODEL.replace("def get_loss(", "def score("),
             "train.py": _train("disc.score(pred, True)")}
    assert _findings(tmp_path, files) == []


def test_the_summary_round_trips_through_the_cache_format(tmp_path: Path) -> None:
    from lintnn.static.engine.analyze import FileResult

    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent(_MODEL))
    result = FileResult(str(path), classes=summarize_file(path))
    assert decode_result(encode(result)).classes == result.classes


def test_the_same_in_one_file() -> None:
    from tests.helpers import assert_findings

    assert_findings(textwrap.dedent(_MODEL) + textwrap.dedent('''
        disc = Disc()
        for x in torch.ones(3, 4):
            probs = disc(x)
            disc.get_loss(probs, True).backward()  # expect: NN101
            disc.prob_loss(probs, torch.ones(1)).backward()
            disc.get_loss(disc.proj(x), True).backward()
    '''), "NN101")


# A loss object its callers pass in -------------------------------------------------------

_TRAINER = '''
    import torch
    from torch import nn

    class Trainer:
        def __init__(self, model, criterion, *, metric=None):
            self.model = model
            self.criterion = criterion
            self.metric = metric
            self.softmax = nn.Softmax(dim=1)

        def step(self, x, y):
            probs = self.softmax(self.model(x))
            self.criterion(probs, y).backward()
            self.metric(probs, y)

        def fit(self, x, y, loss_fn):
            probs = self.softmax(self.model(x))
            loss_fn(probs, y).backward()
'''


def _run(passed: str) -> str:
    return f'''
    import torch
    from torch import nn
    from trainer import Trainer

    trainer = Trainer(nn.Linear(4, 3), {passed})
    trainer.step(torch.ones(2, 4), torch.zeros(2))
'''


@pytest.mark.parametrize("gated", [True, False])
@pytest.mark.parametrize("passed", ["nn.CrossEntropyLoss()", "criterion=nn.CrossEntropyLoss()"])
def test_a_loss_object_a_caller_passes_into_the_constructor(
        tmp_path: Path, gated: bool, passed: str) -> None:
    found = _findings(tmp_path, {"trainer.py": _TRAINER, "run.py": _run(passed)}, gated)
    assert found == [("trainer.py", 14, "NN101")]


@pytest.mark.parametrize("passed", [
    "nn.NLLLoss()",  # expects log-probabilities: NN102's business, not this one's
    "nn.BCELoss()",  # expects probabilities
    "lambda p, y: p.sum()",  # no loss known to the tables
    "nn.Identity()",  # a module, not a loss
])
def test_no_finding_unless_a_caller_passes_a_logits_loss_for_that_parameter(
        tmp_path: Path, passed: str) -> None:
    assert _findings(tmp_path, {"trainer.py": _TRAINER, "run.py": _run(passed)}) == []


def test_each_parameter_is_asked_of_its_own_arguments(tmp_path: Path) -> None:
    files = {"trainer.py": _TRAINER, "run.py": _run("None, metric=nn.CrossEntropyLoss()")}
    assert _findings(tmp_path, files) == [("trainer.py", 15, "NN101")]


def test_a_loss_a_caller_passes_to_a_method(tmp_path: Path) -> None:
    run = '''
        import torch
        from torch import nn
        from trainer import Trainer

        trainer = Trainer(nn.Linear(4, 3), None)
        trainer.fit(torch.ones(2, 4), torch.zeros(2), nn.CrossEntropyLoss())
    '''
    assert _findings(tmp_path, {"trainer.py": _TRAINER, "run.py": run}) == [
        ("trainer.py", 19, "NN101")]


def test_no_finding_when_the_passed_loss_reads_another_argument(tmp_path: Path) -> None:
    trainer = _TRAINER.replace("self.criterion(probs, y)", "self.criterion(y, probs)")
    files = {"trainer.py": trainer, "run.py": _run("nn.CrossEntropyLoss()")}
    assert _findings(tmp_path, files) == []


@pytest.mark.parametrize("gated", [True, False])
def test_each_script_folder_s_own_model_module_is_asked(tmp_path: Path, gated: bool) -> None:
    """Two folders of one checkout each have a ``model.py`` with a ``Disc`` (course
    repositories, one folder per assignment): a script's ``from model import Disc`` is
    its own folder's, whichever of the two the run read last."""
    for folder, model in (("a", _MODEL), ("b", _LOGITS_MODEL)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "model.py").write_text(textwrap.dedent(model))
        (tmp_path / folder / "train.py").write_text(
            textwrap.dedent(_train("disc.get_loss(pred, True)")))
    engine = Engine(Settings(select=["NN101"], root=tmp_path), use_cache=False, jobs=1,
                    gated=gated)
    found = [(Path(d.filename).parent.name, d.location.row)
             for d in engine.check_paths([tmp_path]).diagnostics]
    assert found == [("a", 8)]
