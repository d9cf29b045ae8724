"""The language server's cached re-lint finds exactly what a full check finds, edit
after edit, while re-checking only the statements an edit touched."""

from __future__ import annotations

import ast
import importlib.util
import random
import re
import sys
from pathlib import Path

import pytest

from lintnn.config import Settings
from lintnn.static.engine.run import Engine, RunResult
from lintnn.static.rules import all_rules

DOCUMENT = '''\
"""A training module with findings of many kinds."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

criterion = nn.CrossEntropyLoss()
shared = nn.Linear(8, 8)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.5), nn.BatchNorm1d(8))
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return F.softmax(self.head(self.body(x)), dim=1)


def train(model, loader, optimizer):
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = criterion(F.softmax(model(inputs), dim=1), targets)
        loss.backward()
        optimizer.step()


def train_project_model(loader):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for inputs, targets in loader:
        loss = F.cross_entropy(model(inputs), targets)
        loss.backward()
        optimizer.step()


@torch.no_grad()
def log_probabilities(x):
    return torch.log(F.softmax(x, dim=-1))


def normalize(x):
    return F.softmax(x.view(2, 4, -1))


def uses_shared(x):
    bn = nn.BatchNorm1d(8)
    return bn(shared(x))


def stacked(x):
    return nn.Linear(8, 2)(shared(x))


def init(width):
    layer = nn.Linear(width, 4)
    nn.init.ones_(layer.weight)
    return layer


if __name__ == "__main__":
    net = Net()
    head = nn.Sequential(nn.Dropout(0.2), nn.BatchNorm1d(4))
    print(math.pi, net, head)
'''

NEW_FUNCTION = '''def added(x, y):
    return nn.CrossEntropyLoss()(torch.sigmoid(x), y)


'''


def _check(full: Engine, incremental: Engine, path: Path, text: str) -> RunResult:
    """The incremental result, asserted equal to the full one."""
    got = incremental.check_source(path, text)
    want = full.check_source(path, text)
    assert got.diagnostics == want.diagnostics
    got_file, want_file = got.results[str(path)], want.results[str(path)]
    assert got_file.classes == want_file.classes
    if want_file.pending:  # the full check's first pass kept their requirements only
        assert sorted(((d.code, r) for d, r in got_file.conditional), key=repr) == \
            sorted(want_file.pending, key=repr)
    else:
        assert sorted(got_file.conditional, key=repr) == sorted(want_file.conditional, key=repr)
    assert got_file.calls == want_file.calls
    return got


@pytest.fixture
def engines() -> tuple[Engine, Engine]:
    settings = Settings()
    return (Engine(settings, use_cache=False, jobs=1),
            Engine(settings, use_cache=False, jobs=1, incremental=True))


def _cache(engine: Engine, path: Path):
    return engine._documents[str(path)].cache  # type: ignore[index]


def test_rules_declared_statement_local() -> None:
    local = {code for code, cls in all_rules().items() if cls.scope == "statement"}
    assert local == {"NN101", "NN102", "NN103", "NN104", "NN105", "NN106", "NN107",
                     "NN401", "NN402", "NN403", "NN404"}


EDITS = [
    ("edit inside a function", lambda t: t.replace("lr=0.1", "lr=0.2")),
    ("fix a finding inside a function", lambda t: t.replace("F.softmax(x.view(2, 4, -1))",
                                                               "F.softmax(x.view(2, 4, -1), -1)")),
    ("add a function at the top", lambda t: t.replace("\n\nclass Net", "\n\n" + NEW_FUNCTION
                                                      + "class Net", 1)),
    ("remove a function", lambda t: re.sub(r"def normalize\(x\):\n    return .*\n\n\n", "", t)),
    ("an import changes what a name means",
     lambda t: t.replace("import torch.nn.functional as F", "import numpy as F")),
    ("the import back",
     lambda t: t.replace("import numpy as F", "import torch.nn.functional as F")),
    ("shadow an imported name", lambda t: t + "\nF = None\n"),
    ("unshadow it", lambda t: t.replace("\nF = None\n", "")),
    ("a module-level value changes", lambda t: t.replace(
        "criterion = nn.CrossEntropyLoss()", "criterion = nn.NLLLoss()")),
    ("a module-level value comes back", lambda t: t.replace(
        "criterion = nn.NLLLoss()", "criterion = nn.CrossEntropyLoss()")),
    ("a syntax error", lambda t: t.replace("def init(width):", "def init(width:")),
    ("fixed again", lambda t: t.replace("def init(width:", "def init(width):")),
    ("rename the project model", lambda t: t.replace("Net", "Model")),
    ("the module-level layer gets a bias flag", lambda t: t.replace(
        "shared = nn.Linear(8, 8)", "shared = nn.Linear(8, 8, bias=False)")),
    ("an edit in module-level code", lambda t: t.replace("nn.Dropout(0.2)", "nn.Dropout(0.3)")),
]


def test_every_edit_kind_matches_a_full_check(engines: tuple[Engine, Engine]) -> None:
    full, incremental = engines
    path = Path("train_buffer.py")
    text = DOCUMENT
    first = _check(full, incremental, path, text)
    assert {d.code for d in first.diagnostics} >= {
        "NN101", "NN105", "NN106", "NN401", "NN402", "NN403", "NN404"}
    assert any(d.fix for d in first.diagnostics)
    for _, edit in EDITS:
        edited = edit(text)
        assert edited != text
        text = edited
        _check(full, incremental, path, text)


def test_an_edit_rechecks_one_statement(engines: tuple[Engine, Engine]) -> None:
    full, incremental = engines
    path = Path("train_buffer.py")
    _check(full, incremental, path, DOCUMENT)
    cache = _cache(incremental, path)
    before = cache.analysed, cache.reused
    _check(full, incremental, path, DOCUMENT.replace("lr=0.1", "lr=0.2"))
    analysed, reused = cache.analysed - before[0], cache.reused - before[1]
    # One of 8 functions and classes changed: each local rule ran on it, and those that
    # read ``Net.__init__``'s parameters (``Net()`` there passes them) on the class, and
    # reused its findings in the 6 others.
    rules = (analysed + reused) // 8
    assert rules < analysed <= 2 * rules and analysed + reused == 8 * rules


def test_findings_move_with_their_statement(engines: tuple[Engine, Engine]) -> None:
    full, incremental = engines
    path = Path("train_buffer.py")
    before = _check(full, incremental, path, DOCUMENT)
    moved = _check(full, incremental, path, "\n\n" + DOCUMENT)
    assert [d.location.row + 2 for d in before.diagnostics] == [
        d.location.row for d in moved.diagnostics]
    assert _cache(incremental, path).reused > 0


def test_import_change_invalidates_cached_findings(engines: tuple[Engine, Engine]) -> None:
    full, incremental = engines
    path = Path("train_buffer.py")
    assert any(d.code == "NN106" for d in _check(full, incremental, path, DOCUMENT).diagnostics)
    cache = _cache(incremental, path)
    reused = cache.reused
    changed = DOCUMENT.replace("import torch.nn.functional as F", "import numpy as F")
    after = _check(full, incremental, path, changed)
    assert not any(d.code == "NN106" for d in after.diagnostics)
    assert cache.reused == reused  # nothing could be reused


def test_report_outside_the_statement_falls_back(engines: tuple[Engine, Engine]) -> None:
    """NN403 reports the module-level ``shared`` layer from inside ``uses_shared``."""
    full, incremental = engines
    path = Path("train_buffer.py")
    result = _check(full, incremental, path, DOCUMENT)
    row = DOCUMENT.splitlines().index("shared = nn.Linear(8, 8)") + 1
    assert any(d.code == "NN403" and d.location.row == row for d in result.diagnostics)
    _check(full, incremental, path, DOCUMENT.replace("def uses_shared(x)", "def uses(x)"))


# Random edit sequences on 3,000-line files ----------------------------------------------


def _blocks(text: str) -> list[tuple[int, int]]:
    """(first line, end line), 0-based and exclusive, of each top-level function."""
    body = ast.parse(text).body
    return [(min([s.lineno, *(d.lineno for d in s.decorator_list)]) - 1, s.end_lineno or 0)
            for s in body if isinstance(s, (ast.FunctionDef, ast.ClassDef))]


def _random_edit(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True)
    kind = rng.choice(["digit", "digit", "digit", "softmax", "move", "drop", "import"])
    if kind == "digit":
        rows = [i for i, line in enumerate(lines) if re.search(r"[1-9]", line)]
        row = rng.choice(rows)
        lines[row] = re.sub(r"[1-9]", lambda m: str(int(m.group()) % 9 + 1), lines[row], count=1)
    elif kind == "softmax":
        rows = [i for i, line in enumerate(lines) if "softmax" in line]
        if rows:
            row = rng.choice(rows)
            lines[row] = lines[row].replace("log_softmax", "§").replace(
                "softmax", "log_softmax").replace("§", "softmax")
    elif kind in ("move", "drop"):
        start, end = rng.choice(_blocks(text))
        block = lines[start:end]
        del lines[start:end]
        if kind == "move":
            at = rng.choice([s for s, _ in _blocks("".join(lines))] or [len(lines)])
            lines[at:at] = [*block, "\n\n"]
    else:
        toggle = "from torch.nn import functional as F\n"
        lines = lines[1:] if lines[0] == toggle else [toggle, *lines]
    return "".join(lines)


def _large_documents() -> list[tuple[str, str]]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    try:
        from bench_lsp import generate
    finally:
        sys.path.pop(0)
    documents = [("generated", generate(3000))]
    spec = importlib.util.find_spec("transformers")
    if spec is not None and spec.origin:
        real = Path(spec.origin).parent / "models" / "speecht5" / "modeling_speecht5.py"
        if real.is_file():
            documents.append(("speecht5", real.read_text(encoding="utf-8")))
    return documents


@pytest.mark.slow
@pytest.mark.parametrize("name,text", _large_documents())
def test_random_edit_sequences_match_a_full_check(name: str, text: str) -> None:
    settings = Settings()
    full = Engine(settings, use_cache=False, jobs=1)
    incremental = Engine(settings, use_cache=False, jobs=1, incremental=True)
    path = Path(f"{name}.py")
    rng = random.Random(name)
    for _ in range(12):
        _check(full, incremental, path, text)
        text = _random_edit(text, rng)
    assert _cache(incremental, path).reused > 0


def test_a_callers_edit_rechecks_the_callee(engines: tuple[Engine, Engine]) -> None:
    """What a call passes becomes the callee's parameter (``parameter_value``): an edit of
    the caller alone must change what is found in the unchanged callee."""
    full, incremental = engines
    path = Path("train_buffer.py")
    caller = "\n\nif __name__ == '__main__':\n    step(Net(), 1, 2)\n"
    callee = "\n\ndef step(model, x, y):\n    return criterion(model(x), y)\n"
    text = DOCUMENT + callee + caller
    row = text.splitlines().index("    return criterion(model(x), y)") + 1

    def flagged(result: RunResult) -> bool:
        return any(d.code == "NN101" and d.location.row == row for d in result.diagnostics)

    assert flagged(_check(full, incremental, path, text))
    assert not flagged(_check(full, incremental, path,
                              text.replace("step(Net(), 1, 2)", "step(nn.Linear(8, 2), 1, 2)")))
    assert flagged(_check(full, incremental, path, text))


def test_an_edit_of_a_called_function_rechecks_the_caller(
        engines: tuple[Engine, Engine]) -> None:
    """What a function of the file returns (``returned_roles``): editing the hand-written
    sigmoid changes what is found in the unchanged statement that takes its log."""
    full, incremental = engines
    path = Path("train_buffer.py")
    helper = "\n\ndef squash(z):\n    return 1 / (1 + torch.exp(-z))\n"
    user = "\n\ndef log_likelihood(z):\n    return torch.log(squash(z))\n"
    text = DOCUMENT + helper + user
    row = text.splitlines().index("    return torch.log(squash(z))") + 1

    def flagged(result: RunResult) -> bool:
        return any(d.code == "NN105" and d.location.row == row for d in result.diagnostics)

    assert flagged(_check(full, incremental, path, text))
    assert not flagged(_check(full, incremental, path,
                              text.replace("1 / (1 + torch.exp(-z))", "torch.tanh(z)")))
    assert flagged(_check(full, incremental, path, text))


def test_a_view_keeps_every_attribute_of_a_fresh_context() -> None:
    """A statement's view shares the file context's state except its node lists and
    findings: an attribute set in ``FileContext.__post_init__`` but missing from the view
    makes every rule that reads it fail on the view, and the cache then silently runs that
    rule over the whole file on each edit (a callee memo once made re-lints 4x slower)."""
    import libcst as cst

    from lintnn.static.engine.statement_cache import _SHARED, _view
    from lintnn.static.syntax.context import FileContext

    text = "import torch\nloss = crit(torch.softmax(model(x), 1), y)\n"
    ctx = FileContext(Path("a.py"), text, cst.parse_module(text), "a", False)
    assert set(ctx.__dict__) - _SHARED == {"index", "findings", "current_rule"}
    view = _view(ctx, ctx.index)
    assert [view.callee(call) for call in ctx.index.calls] == \
        [ctx.callee(call) for call in ctx.index.calls]


TUPLE_MODEL = '''\
import torch
import torch.nn as nn


class Disc(nn.Module):
    def __init__(self):
        super().__init__()
        self.adv = nn.Linear(8, 1)
        self.aux = nn.Sequential(nn.Linear(8, 10), nn.Softmax(dim=1))

    def forward(self, x):
        return self.adv(x), self.aux(x)


def step(disc, x, y):
    _, label = disc(x)
    return nn.CrossEntropyLoss()(label, y)


def run(loader):
    disc = Disc()
    for x, y in loader:
        step(disc, x, y).backward()


def unrelated(width):
    return nn.Linear(width, 2)
'''


def test_a_models_edit_rechecks_the_loss_that_reads_its_output(
        engines: tuple[Engine, Engine]) -> None:
    """The loss in ``step`` is fed a part of ``Disc``'s tuple output, read from the class
    (another statement): an edit of the class alone must change what is found there, and
    an edit elsewhere must reuse what was found in ``step`` (the loss rules used to run
    over the whole file on every edit of a file whose classes return tuples)."""
    full, incremental = engines
    path = Path("gan_buffer.py")
    row = TUPLE_MODEL.splitlines().index("    return nn.CrossEntropyLoss()(label, y)") + 1

    def flagged(result: RunResult) -> bool:
        return any(d.code == "NN101" and d.location.row == row for d in result.diagnostics)

    assert flagged(_check(full, incremental, path, TUPLE_MODEL))
    cache = _cache(incremental, path)
    analysed = cache.analysed
    assert flagged(_check(full, incremental, path, TUPLE_MODEL.replace("(width, 2)", "(width, 3)")))
    rules = sum(cls.scope == "statement" for cls in all_rules().values())
    assert cache.analysed - analysed <= rules  # only ``unrelated`` was checked again
    assert any(code == "NN101" for _, code in cache._found)
    assert not flagged(_check(full, incremental, path,
                              TUPLE_MODEL.replace("nn.Softmax(dim=1)", "nn.ReLU()")))
    assert flagged(_check(full, incremental, path, TUPLE_MODEL))


def test_a_finding_read_from_module_level_code_is_not_cached(
        engines: tuple[Engine, Engine]) -> None:
    """The hand-written Sequential's layers are listed in module-level code (what ``last``
    holds there is not its final value, which the module-level facts keep): an edit there
    must change what is found in the unchanged function."""
    full, incremental = engines
    path = Path("chain_buffer.py")
    text = '''\
import torch


class Softmax:
    def __call__(self, x):
        return torch.exp(x) / torch.exp(x).sum(dim=1, keepdim=True)


class Tanh:
    def __call__(self, x):
        return torch.tanh(x)


class Chain:
    def __init__(self, layers):
        self.layers = layers

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


last = Softmax()
model = Chain([Tanh(), last])
last = None


def score(x):
    return torch.log(model(x))
'''
    row = text.splitlines().index("    return torch.log(model(x))") + 1

    def flagged(result: RunResult) -> bool:
        return any(d.code == "NN105" and d.location.row == row for d in result.diagnostics)

    assert flagged(_check(full, incremental, path, text))
    assert not flagged(_check(full, incremental, path,
                              text.replace("last = Softmax()", "last = Tanh()")))
    assert flagged(_check(full, incremental, path, text))


def test_a_view_reads_another_statement_as_the_whole_file_does(
        engines: tuple[Engine, Engine]) -> None:
    """What a function of the file returns is read from its own statement, also on the
    first check of a buffer whose only other statement takes its log."""
    full, incremental = engines
    text = ("import torch\n\n\ndef squash(z):\n    return 1 / (1 + torch.exp(-z))\n\n\n"
            "def log_likelihood(z):\n    return torch.log(squash(z))\n")
    result = _check(full, incremental, Path("squash_buffer.py"), text)
    assert [d.code for d in result.diagnostics] == ["NN105"]


def _rechecked(cache, run) -> int:
    """The (statement, rule) results computed by ``run()``."""
    analysed = cache.analysed
    run()
    return cache.analysed - analysed


def test_a_callees_edit_through_another_function_rechecks_the_caller(
        engines: tuple[Engine, Engine]) -> None:
    """``log_likelihood`` reads what ``squash_twice`` returns, which reads what ``squash``
    returns (memoised facts, read through each other): an edit of ``squash`` alone
    changes what is found in the two unchanged functions above it, and an edit of a
    statement neither reads re-checks nothing of them."""
    full, incremental = engines
    path = Path("squash_buffer.py")
    text = ("import torch\n\n\ndef squash(z):\n    return 1 / (1 + torch.exp(-z))\n\n\n"
            "def squash_twice(z):\n    return squash(z)\n\n\n"
            "def log_likelihood(z):\n    return torch.log(squash_twice(z))\n\n\n"
            "def unrelated(width):\n    return torch.nn.Linear(width, 2)\n")

    def flagged(result: RunResult) -> bool:
        return [d.code for d in result.diagnostics] == ["NN105"]

    assert flagged(_check(full, incremental, path, text))
    cache = _cache(incremental, path)
    rules = sum(code == "NN105" for _, code in cache._found)  # statements, for one rule
    local = len(cache._found) // rules
    edited = text.replace("(width, 2)", "(width, 3)")
    assert _rechecked(cache, lambda: flagged(_check(full, incremental, path, edited))) == local
    tanh = edited.replace("1 / (1 + torch.exp(-z))", "torch.tanh(z)")
    assert not flagged(_check(full, incremental, path, tanh))
    assert flagged(_check(full, incremental, path, edited))


def test_a_new_caller_in_a_statement_not_read_rechecks_the_callee(
        engines: tuple[Engine, Engine]) -> None:
    """``step``'s parameter holds what every call passes: a call added in a function that
    did not call it before (so ``step`` never read it), whose ``*x`` may pass anything,
    must change what is found there."""
    full, incremental = engines
    path = Path("callers_buffer.py")
    text = DOCUMENT + (
        "\n\ndef step(model, x, y):\n    return criterion(model(x), y)\n"
        "\n\ndef run_a(x, y):\n    step(Net(), x, y)\n"
        "\n\ndef run_b(x, y):\n    return x\n")
    row = text.splitlines().index("    return criterion(model(x), y)") + 1

    def flagged(result: RunResult) -> bool:
        return any(d.code == "NN101" and d.location.row == row for d in result.diagnostics)

    assert flagged(_check(full, incremental, path, text))
    assert not flagged(_check(full, incremental, path, text.replace(
        "    return x\n", "    step(*x)\n")))
    assert flagged(_check(full, incremental, path, text))


def test_a_name_made_ambiguous_elsewhere_rechecks_its_callers(
        engines: tuple[Engine, Engine]) -> None:
    """A second ``squash`` (nested in a new function) means a call of ``squash`` no longer
    surely calls the function: the unchanged caller's finding goes, although it never
    read the new statement."""
    full, incremental = engines
    path = Path("ambiguous_buffer.py")
    text = ("import torch\n\n\ndef squash(z):\n    return 1 / (1 + torch.exp(-z))\n\n\n"
            "def log_likelihood(z):\n    return torch.log(squash(z))\n")
    other = "\n\ndef other(z):\n    def squash(z):\n        return z\n    return squash(z)\n"
    assert [d.code for d in _check(full, incremental, path, text).diagnostics] == ["NN105"]
    assert not _check(full, incremental, path, text + other).diagnostics
    assert [d.code for d in _check(full, incremental, path, text).diagnostics] == ["NN105"]


FORWARDED = '''\
import torch.nn as nn


def _conv_bn(c_in, c_out, **kwargs):
    return nn.Sequential(nn.Conv2d(c_in, c_out, **kwargs), nn.BatchNorm2d(c_out))


def options(**kwargs):
    return dict(kwargs)


model = nn.Sequential(_conv_bn(3, 16, kernel_size=3), _conv_bn(16, 8, kernel_size=3))
'''


def _forwards(text: str) -> bool:
    import libcst as cst

    from lintnn.static.analyses.layers import forwards_keywords
    from lintnn.static.syntax.context import FileContext

    return forwards_keywords(FileContext(Path("m.py"), text, cst.parse_module(text), "m", False))


def test_only_a_call_handing_on_its_functions_kwargs_forwards_keywords() -> None:
    """Only a call passing on the ``**`` parameter of the function around it reads other
    statements (that function's callers; NN404 then runs over the whole file); a
    ``**kwargs`` parameter alone reads none."""
    assert _forwards(FORWARDED)
    kept = FORWARDED.replace("**kwargs), nn.Batch", "), nn.Batch")
    assert not _forwards(kept)
    assert _forwards(kept.replace("return dict(kwargs)", "return dict(**kwargs)"))
    assert not _forwards(kept.replace("**kwargs):\n    return dict", "**extra):\n    return dict")
                         .replace("dict(kwargs)", "dict(**kwargs)"))


def test_an_edit_of_the_callers_keywords_rechecks_the_forwarding_layer(
        engines: tuple[Engine, Engine]) -> None:
    full, incremental = engines
    path = Path("forwarded.py")
    text = FORWARDED
    assert [d.code for d in _check(full, incremental, path, text).diagnostics] == ["NN403"]
    edited = text.replace("_conv_bn(3, 16, kernel_size=3)", "_conv_bn(3, 16, bias=False)")
    edited = edited.replace("_conv_bn(16, 8, kernel_size=3)", "_conv_bn(16, 8, bias=False)")
    assert _check(full, incremental, path, edited).diagnostics == []
    assert [d.code for d in _check(full, incremental, path, text).diagnostics] == ["NN403"]


def test_a_callers_keywords_recheck_the_helper_that_forwards_them(
        engines: tuple[Engine, Engine]) -> None:
    """``_conv_bn``'s layer has a bias unless a call passes ``bias``: NN403 reads every
    mention of the helper, so an unchanged helper is checked again when a caller passes
    the keyword, when a statement that never mentioned it starts to, and when a namesake
    appears; an edit elsewhere re-checks nothing of it."""
    full, incremental = engines
    path = Path("forwarding_buffer.py")
    text = ("from torch import nn\n\n\n"
            "def _conv_bn(c_in, c_out, **kwargs):\n"
            "    return nn.Sequential(nn.Conv2d(c_in, c_out, **kwargs), nn.BatchNorm2d(c_out))\n"
            "\n\ndef make():\n    return _conv_bn(3, 16, kernel_size=3)\n"
            "\n\ndef other(width):\n    return nn.Linear(width, 2)\n")

    def flagged(result: RunResult) -> bool:
        return [(d.code, d.location.row) for d in result.diagnostics] == [("NN403", 5)]

    assert flagged(_check(full, incremental, path, text))
    cache = _cache(incremental, path)
    assert any(code == "NN403" for _, code in cache._found)  # cached per statement
    unrelated = text.replace("(width, 2)", "(width, 3)")
    assert _rechecked(cache, lambda: flagged(_check(full, incremental, path, unrelated))) == (
        len({code for _, code in cache._found}))  # ``other`` alone, once per rule
    assert not flagged(_check(full, incremental, path, text.replace(
        "kernel_size=3)", "kernel_size=3, bias=False)")))
    assert flagged(_check(full, incremental, path, text))
    assert not flagged(_check(full, incremental, path, text.replace(
        "nn.Linear(width, 2)", "_conv_bn(width, 2, bias=False)")))
    assert flagged(_check(full, incremental, path, text))
    assert not flagged(_check(full, incremental, path, text.replace(
        "    return nn.Linear(width, 2)\n",
        "    def _conv_bn(x):\n        return x\n    return _conv_bn(width)\n")))
    assert flagged(_check(full, incremental, path, text))


def test_the_losses_a_statement_passes_follow_its_callers(
        engines: tuple[Engine, Engine]) -> None:
    """The loss object ``_fit`` hands to a project class is its callers' (a call fact of
    the file, kept per statement): an edit of a caller, or a new caller elsewhere, changes
    the facts of the unchanged ``_fit`` as a full check finds them."""
    full, incremental = engines
    path = Path("passing_buffer.py")
    text = ("import torch.nn as nn\nfrom trainer import Trainer\n\n\n"
            "def _fit(model, criterion):\n    return Trainer(model, criterion)\n\n\n"
            "def main(model):\n    return _fit(model, nn.CrossEntropyLoss())\n\n\n"
            "def other(model):\n    return Trainer(model, None)\n")

    def passed(result: RunResult) -> list[str]:
        # the loss kinds passed (the objects' own facts, ``object:...``, ride along)
        return [fact.detail for fact in result.results[str(path)].calls
                if fact.function == "trainer.Trainer" and ":loss." in fact.detail]

    assert passed(_check(full, incremental, path, text)) == ["1:loss.softmax_logits:0"]
    assert passed(_check(full, incremental, path, text.replace(
        "nn.CrossEntropyLoss()", "nn.BCEWithLogitsLoss()"))) == ["1:loss.sigmoid_logits:0"]
    assert passed(_check(full, incremental, path, text)) == ["1:loss.softmax_logits:0"]
    assert passed(_check(full, incremental, path, text.replace(
        "Trainer(model, None)", "_fit(model, nn.NLLLoss())"))) == []
    assert passed(_check(full, incremental, path, text)) == ["1:loss.softmax_logits:0"]
    assert passed(_check(full, incremental, path, text.replace(
        "import torch.nn as nn", "import torch.nn as nn\nimport numpy as np"))) == [
        "1:loss.softmax_logits:0"]


def test_a_training_step_added_elsewhere_rechecks_the_model(
        engines: tuple[Engine, Engine]) -> None:
    """NN404 judges a model only in a file that trains: the statement that adds or drops
    the file's only backward pass changes what the model's statement reports."""
    full, incremental = engines
    path = Path("trained_buffer.py")
    model = ("import torch.nn as nn\n\n\nnet = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2))\n"
             "\n\ndef report(x):\n    return net(x)\n")
    training = "\n\ndef fit(loss):\n    loss.backward()\n"

    def codes(text: str) -> list[str]:
        return [d.code for d in _check(full, incremental, path, text).diagnostics]

    assert "NN404" not in codes(model)
    assert "NN404" in codes(model + training)
    assert "NN404" not in codes(model + training.replace("backward", "detach"))
    assert "NN404" in codes(model + training)


CLASS_CALLER = '''import torch
import torch.nn as nn


def step(model, x, y):
    return nn.CrossEntropyLoss()(model(x), y)


class Trainer:
    def __init__(self, lr):
        self.lr = lr

    def fit(self, x, y):
        net = Classifier()
        return step(net, x, y)

    def report(self):
        return self.lr * 2


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return torch.softmax(self.fc(x), dim=-1)
'''


def test_an_edit_of_another_method_of_the_calling_class_leaves_the_callee(
        engines: tuple[Engine, Engine]) -> None:
    """``step``'s ``model`` is what ``Trainer.fit`` passes: ``fit``'s ``net``, read alone
    (not ``fit``'s whole flow, which reads the class's attributes, i.e. every method).
    An edit of ``report`` re-checks ``Trainer`` only; an edit of ``fit``'s argument
    changes what is found in ``step``."""
    full, incremental = engines
    path = Path("class_caller_buffer.py")
    row = CLASS_CALLER.splitlines().index("    return nn.CrossEntropyLoss()(model(x), y)") + 1

    def flagged(result: RunResult) -> bool:
        return any(d.code == "NN101" and d.location.row == row for d in result.diagnostics)

    assert flagged(_check(full, incremental, path, CLASS_CALLER))
    cache = _cache(incremental, path)
    rules = sum(code == "NN101" for _, code in cache._found)
    local = len(cache._found) // rules  # statement-local rules
    edited = CLASS_CALLER.replace("self.lr * 2", "self.lr * 3")
    assert _rechecked(cache, lambda: flagged(_check(full, incremental, path, edited))) == local
    assert not flagged(_check(full, incremental, path, edited.replace(
        "net = Classifier()", "net = nn.Linear(4, 2)")))
    assert flagged(_check(full, incremental, path, edited))


def test_a_method_read_is_keyed_by_its_class_outline(engines: tuple[Engine, Engine]) -> None:
    """A read of one method holds while its text and the class's outline (header, member
    names) hold: a renamed method, a changed base, re-check its readers (``step`` reads
    ``fit``'s ``net``, ``Classifier`` is built in ``fit``); an edit inside another method
    does not."""
    full, incremental = engines
    path = Path("outline_buffer.py")
    _check(full, incremental, path, CLASS_CALLER)
    cache = _cache(incremental, path)
    rules = sum(code == "NN101" for _, code in cache._found)
    local = len(cache._found) // rules
    renamed = CLASS_CALLER.replace("def report(self):", "def summary(self):")
    assert _rechecked(cache, lambda: _check(full, incremental, path, renamed)) == 3 * local
    based = renamed.replace("class Trainer:", "class Trainer(object):")
    assert _rechecked(cache, lambda: _check(full, incremental, path, based)) == 3 * local
    inside = based.replace("self.lr * 2", "self.lr + 2")
    assert _rechecked(cache, lambda: _check(full, incremental, path, inside)) == local


def test_an_edit_of_a_class_nested_in_a_factory_rechecks_its_users(
        engines: tuple[Engine, Engine]) -> None:
    """``accuracy`` judges the model that ``get_model`` builds from its nested class: the
    batch norm removed from that class (another statement) removes the finding."""
    full, incremental = engines
    path = Path("nested_buffer.py")
    text = ("import torch\nimport torch.nn as nn\n\n\ndef get_model():\n"
            "    class Net(nn.Module):\n        def __init__(self):\n"
            "            super().__init__()\n            self.norm = nn.BatchNorm1d(4)\n\n"
            "        def forward(self, x):\n            return self.norm(x)\n\n"
            "    model = Net()\n    return model, nn.CrossEntropyLoss()\n\n\n"
            "def accuracy(x, model):\n    with torch.no_grad():\n        return model(x)\n\n\n"
            "model, loss_fn = get_model()\nfor x, y in loader:\n"
            "    loss_fn(model(x), y).backward()\n    print(accuracy(x, model))\n")

    def flagged(result: RunResult) -> bool:
        return [d.code for d in result.diagnostics if d.code == "NN201"] == ["NN201"]

    assert flagged(_check(full, incremental, path, text))
    assert not flagged(_check(full, incremental, path,
                              text.replace("nn.BatchNorm1d(4)", "nn.Identity()")))
    assert flagged(_check(full, incremental, path, text))


@pytest.mark.parametrize("incremental", [False, True])
def test_a_check_leaves_no_reference_cycle_holding_the_tree(incremental: bool) -> None:
    """Flows and mode indexes refer back to their context, facts' frames to each other:
    unless a check breaks those cycles, only the cycle collector frees the context and
    the parse tree, and the language server's worker, which collects rarely, kept every
    tree it checked (0.5 MB a 100-line document, 780 MB after 1,500 documents)."""
    import gc

    engine = Engine(Settings(), use_cache=False, jobs=1, incremental=incremental)
    path = Path("cycles_buffer.py")
    engine.check_source(path, DOCUMENT)
    gc.collect()
    flags = gc.get_debug()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        assert engine.check_source(path, DOCUMENT.replace("(8, 2)", "(8, 3)")).diagnostics
        gc.collect()
        kinds = {type(o).__name__ for o in gc.garbage}
    finally:
        gc.set_debug(flags)
        gc.garbage.clear()
    assert not kinds & {"Module", "FileContext", "Flow", "NodeIndex", "ModeIndex"}, kinds
