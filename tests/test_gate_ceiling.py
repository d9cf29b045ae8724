"""benchmarks/gate_ceiling.py: what the gate keeps, and what finer gates would keep."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from lintnn.static.rules import all_rules

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "gate_ceiling.py"

LOSS = '''\
import torch.nn as nn
import torch.nn.functional as F


def loss(logits, y):
    return nn.CrossEntropyLoss()(F.softmax(logits, dim=1), y)


def unrelated(x):
    return x + 1
'''

SPLIT = '''\
import numpy as np
from sklearn.model_selection import train_test_split


def unrelated(x):
    return x + 1


X = np.load("x.npy")
X = (X - X.mean(0)) / X.std(0)
a, b = train_test_split(X)
'''

MODEL = '''\
import torch.nn as nn
import torch.nn.functional as F


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = 2

    def forward(self, x, y):
        return nn.CrossEntropyLoss()(F.softmax(x, dim=1), y)
'''

UNRELATED = "def f(x):\n    return x + 1\n"


@pytest.fixture(scope="module")
def ceiling() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gate_ceiling", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def surveyed(ceiling: ModuleType, tmp_path_factory: pytest.TempPathFactory):
    tree = tmp_path_factory.mktemp("tree")
    for name, text in {"loss.py": LOSS, "split.py": SPLIT, "model.py": MODEL,
                       "other.py": UNRELATED}.items():
        (tree / name).write_text(text)
    files, total, kept = ceiling.survey(tree, [cls() for cls in all_rules().values()])
    return files, total, {k.path.name: k for k in kept}


def test_the_gate_keeps_files_with_a_rule_and_counts_every_file(surveyed) -> None:
    files, total, kept = surveyed
    assert files == 4
    assert total == len(LOSS) + len(SPLIT) + len(MODEL) + len(UNRELATED)
    assert set(kept) == {"loss.py", "split.py", "model.py"}
    assert "NN101" in kept["loss.py"].rules and "NN302" in kept["split.py"].rules


def test_a_function_no_rule_can_fire_in_is_left_out_of_finer_gates(surveyed) -> None:
    loss = surveyed[2]["loss.py"]
    # every rule kept for loss.py is statement-local, so even today's contract drops it
    assert all(cls.scope == "statement" for code, cls in all_rules().items()
               if code in loss.rules)
    dropped = len("def unrelated(x):\n    return x + 1\n")
    assert loss.finer == {kind: len(LOSS) - dropped for kind in loss.finer}


def test_module_scope_rules_keep_the_whole_file_under_the_declared_contract(surveyed) -> None:
    split = surveyed[2]["split.py"]
    assert split.finer["statement, declared"] == len(SPLIT)
    # the module-level fit and split are facts every function of the file sees
    assert split.finer["statement, every rule"] == len(SPLIT)


def test_per_function_drops_methods_that_the_per_statement_gate_keeps(surveyed) -> None:
    model = surveyed[2]["model.py"]
    assert model.finer["statement, every rule"] == len(MODEL)  # the class holds the loss
    init = MODEL.index("    def __init__")
    forward = MODEL.index("    def forward")
    assert model.finer["function, every rule"] == len(MODEL) - (forward - init - 1)


def test_the_drop_table_removes_the_rule_that_saves_most_first(ceiling: ModuleType) -> None:
    kept = [ceiling.Kept(Path("a.py"), 100, frozenset({"NN101"})),
            ceiling.Kept(Path("b.py"), 50, frozenset({"NN101", "NN302"})),
            ceiling.Kept(Path("c.py"), 70, frozenset({"NN302"}))]
    assert ceiling.drop_table(kept, 5) == [("NN101", 120), ("NN302", 0)]


TRAIN = '''\
import torch


def batches(data):
    return [data[i:i + 2] for i in range(0, len(data), 2)]


def train(model, data):
    for epoch in range(3):
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for x in batches(data):
            model(x).sum().backward()
            opt.step()


def plot(values):
    return sorted(values)
'''


def _firing(candidates, own, module_level):
    from lintnn.static.engine.gate import combine, gate

    return gate(candidates, combine([*module_level, own], (0, 1)), lambda: "")


def test_what_rules_read_keeps_a_dataflow_rule_s_callees_and_callers(
        ceiling: ModuleType) -> None:
    """NN519 reads the reach of the dataflow: the function it fires in and the functions
    that one calls (``batches``) are kept, an unrelated function (``plot``) is not."""
    rules = all_rules()
    assert "NN519" not in ceiling._READS_WHOLE_FILE | ceiling._READS_OWN_FUNCTION
    tree = ast.parse(TRAIN)
    sizes = ceiling.finer(tree, TRAIN, [rules["NN519"]()], _firing)
    plot = len("def plot(values):\n    return sorted(values)\n")
    assert sizes["function, what rules read"] == len(TRAIN) - plot
    assert sizes["function, every rule"] < sizes["function, what rules read"]  # batches


def test_a_whole_file_rule_keeps_the_whole_file(ceiling: ModuleType) -> None:
    rules = all_rules()
    assert "NN302" in ceiling._READS_WHOLE_FILE
    sizes = ceiling.finer(ast.parse(SPLIT), SPLIT, [rules["NN302"]()], _firing)
    assert sizes["function, what rules read"] == len(SPLIT)
