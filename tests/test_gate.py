"""The gate on CPython's tree: what it reads of a file, which rules it drops, and the class
summaries it leaves for later (their equivalence on whole corpora is in
``test_gate_equivalence.py``)."""

from __future__ import annotations

import ast
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from lintnn.config import Settings
from lintnn.static.engine import run as run_module
from lintnn.static.engine.analyze import analyze_text, any_triggered
from lintnn.static.engine.buffer_features import BufferFeatures
from lintnn.static.engine.deferred import DeferredIndex
from lintnn.static.engine.gate import can_fire, features, gate
from lintnn.static.engine.run import Engine
from lintnn.static.engine.safe_parse import deepest
from lintnn.static.rules import all_rules
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.project import ClassSummary, ProjectIndex
from lintnn.static.syntax.statements import spans_of
from tests.helpers import lint_project

ROOT = Path(__file__).resolve().parent.parent


def found(source: str):
    return features(ast.parse(textwrap.dedent(source)))


def test_words_are_identifiers_and_identifier_strings_not_comments() -> None:
    f = found('''
        import torch.nn.functional as F
        from keras import layers as L
        def train(model, *, lr=0.1):  # backward in a comment
            """zero_grad in a docstring."""
            model.compile(loss="binary_crossentropy", metrics=["a b"])
            try:
                pass
            except ValueError as caught:
                global counter
    ''')
    assert {"torch", "nn", "functional", "F", "keras", "layers", "L", "train", "model",
            "lr", "compile", "loss", "binary_crossentropy", "metrics", "caught",
            "counter"} <= f.words
    assert not {"backward", "zero_grad", "a b", "a"} & f.words


def test_calls_bare_calls_and_calls_through_imports() -> None:
    f = found('''
        import torch
        from torch.nn.utils import clip_grad_norm_ as clip
        p = torch.log(x)
        q = probs.log()
        self.log("loss", value)
        clip(params, 1.0)
    ''')
    assert {"log", "clip", "clip_grad_norm_"} <= f.calls
    assert f.bare_calls == {"log"}
    # resolvable through an import: torch.log and the aliased clip, never self.log
    assert f.imported_calls == {"log", "clip", "clip_grad_norm_"}
    assert "log" in found("self.log('x', 1)").calls
    assert not found("self.log('x', 1)").imported_calls


def test_a_decorator_counts_as_a_call() -> None:
    f = found('''
        import torch
        @torch.no_grad
        def evaluate(model): ...
    ''')
    assert "no_grad" in f.imported_calls


def test_loop_calls_follow_same_file_functions_at_any_depth() -> None:
    f = found('''
        def update(opt):
            def inner():
                opt.step()
            inner()

        class Trainer:
            def fit(self):
                for batch in data:
                    self.training_step(batch)
                    update(self.opt)

            def training_step(self, batch):
                self.loss(batch).backward()

        def unused(opt):
            opt.zero_grad()

        scheduler.step()  # not in a loop
    ''')
    assert {"training_step", "update", "backward", "loss", "inner", "step"} <= f.loop_calls
    assert "zero_grad" not in f.loop_calls
    assert "zero_grad" in f.calls
    assert "step" not in found("scheduler.step()\nfor x in y: pass").loop_calls


def test_classes_functions_assignments_imports() -> None:
    f = found('''
        from . import models
        from .data import loaders
        import jax.numpy as jnp
        class Net: ...
        def evaluate(): ...
        x_train, self.y_test = X[:8], Y[8:]
    ''')
    assert f.classes == {"Net"}
    assert f.functions == ("evaluate",)
    assert {"x_train", "self", "y_test"} <= f.assigned
    assert f.relative
    assert {"jax", "data", "models", "loaders"} <= f.roots


def _corpus() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.py"))]
    texts += [p.read_text(encoding="utf-8")
              for p in sorted((ROOT / "lintnn" / "static").rglob("*.py"))]
    texts.append("x = " + "(" * 150 + "1" + ")" * 150 + "\n")
    texts.append("y = 1" + " + 1" * 400 + "\n")
    return texts


def test_depth_is_measured_as_the_nesting_check_does() -> None:
    for text in _corpus():
        tree = ast.parse(text)
        assert features(tree).deepest == deepest(tree)


class _Needy(Rule):
    """A test double (never registered: no ``code``)."""

    name = "needy"
    needs = (Needs(frameworks=("torch",)), Needs(calls=("backward",), names=("grad",)))

    def check(self, ctx) -> None:  # pragma: no cover - never run
        raise AssertionError


def test_every_condition_must_hold_and_any_of_its_terms() -> None:
    rule = _Needy()
    assert can_fire(rule, found("import torch\nloss.backward()"), lambda: "")
    assert can_fire(rule, found("import torch\np.grad = None"), lambda: "")
    assert not can_fire(rule, found("import torch\nbackward = 1"), lambda: "")
    assert not can_fire(rule, found("import jax\nloss.backward()"), lambda: "")


def test_a_relative_import_counts_by_its_package_only_when_that_decides() -> None:
    rule = _Needy()
    asked: list[str] = []

    def package() -> str:
        asked.append("asked")
        return "torch"

    assert can_fire(rule, found("from . import functional\nx.backward()"), package)
    assert asked == ["asked"]
    assert not can_fire(rule, found("from . import functional\nx.backward()"), lambda: "mypkg")
    asked.clear()
    assert not gate([rule], found("import torch\nx = 1"), package)
    assert not asked  # decided without it


class _NamesAKind(Rule):
    """A test double whose need is a kind of name, not one name."""

    name = "names-a-kind"
    needs = (Needs(words=lambda word: "test" in word.lower()),)

    def check(self, ctx) -> None:  # pragma: no cover - never run
        raise AssertionError


def test_a_words_need_is_met_by_any_identifier_that_passes_it() -> None:
    rule = _NamesAKind()
    assert can_fire(rule, found("acc = evaluate(model, X_Test)"), lambda: "")
    assert can_fire(rule, found("if self.best_test_acc < 1: pass"), lambda: "")
    assert can_fire(rule, found("load('test')"), lambda: "")  # a string spelling a name
    assert not can_fire(rule, found("acc = evaluate(model, X_val)  # test"), lambda: "")
    assert not can_fire(rule, found("load('a test file')"), lambda: "")


def test_every_rule_declares_what_it_needs() -> None:
    for code, rule in all_rules().items():
        assert rule.needs, f"{code} declares no needs: the gate never skips it"



def test_a_jax_optimizer_rule_is_not_kept_by_a_trainer_s_optimizers_method() -> None:
    """NN514 needs both its word and jax: Lightning's ``self.optimizers()`` meets only one."""
    rule = all_rules()["NN514"]()
    lightning = "import torch\n\ndef training_step(self, batch):\n    opt = self.optimizers()\n"
    assert not can_fire(rule, found(lightning), lambda: "")
    jax = "from jax.example_libraries import optimizers\ninit, update, get = optimizers.adam(1)\n"
    assert can_fire(rule, found(jax), lambda: "")
    relative = "from . import optimizers\ninit, update, get = optimizers.adam(1)\n"
    assert can_fire(rule, found(relative), lambda: "jax")  # inside jax itself
    assert not can_fire(rule, found(relative), lambda: "mypkg")

def test_the_key_rule_is_kept_by_jax_or_by_a_key_seen_through_rngs_or_init() -> None:
    """NN509 on a torch file that uses Python's ``random`` and ``nn.init`` would cost more
    than every other rule together on a large model file: it needs jax, or the two forms
    through which a key given as a parameter is seen used (``rngs=``, ``.init(key, x)``)."""
    rule = all_rules()["NN509"]()
    torch_file = ("import random\nimport torch.nn as nn\n\n"
                  "def reset(layer):\n    nn.init.xavier_uniform_(layer.weight)\n"
                  "    return random.random()\n")
    assert not can_fire(rule, found(torch_file), lambda: "")
    jax_file = "from jax import random\n\nx = random.normal(key, (3,))\n"
    assert can_fire(rule, found(jax_file), lambda: "")
    for handed in ("def step(model, params, x, key):\n"
                   "    return model.apply(params, x, rngs={'dropout': key})\n",
                   "def start(model, key, x):\n    return model.init(key, x)\n"):
        assert can_fire(rule, found(handed), lambda: ""), handed


def test_evaluation_data_keeps_nn201_only_where_the_file_trains_a_model() -> None:
    """NN201's check on evaluation data (``model(X_val)`` outside any evaluation unit)
    reports a model the file trains (``ModeIndex.trained_names``): a framework's file that
    only names ``val_dataloaders`` is not parsed for it; one that trains, or holds an
    evaluation function, still is, and the finding is the same with the gate."""
    rule = all_rules()["NN201"]()
    names_only = ("import torch\n\ndef attach(trainer, val_dataloaders):\n"
                  "    trainer.val_dataloaders = val_dataloaders\n")
    assert not can_fire(rule, found(names_only), lambda: "")
    evaluation = names_only + "\ndef validate(model, batch):\n    return model(batch)\n"
    assert can_fire(rule, found(evaluation), lambda: "")
    trains = textwrap.dedent(_MODEL) + textwrap.dedent('''
        model = Net()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for x, y in train_loader:
            opt.zero_grad()
            model(x).sum().backward()
            opt.step()
        preds = model(X_val)
    ''')
    assert can_fire(rule, found(trains), lambda: "")
    rules = [cls() for cls in all_rules().values()]
    for gated in (True, False):
        result = analyze_text(Path("train.py"), trains, rules, gated=gated)
        found_codes = [d.code for d in result.diagnostics] + [
            d.code for d, _ in result.conditional] + [  # Net's summary decides, at the end
            code for code, _ in result.pending]  # (kept without a position by the first pass)
        assert found_codes == ["NN201"], gated


def test_the_trigger_search_answers_as_every_rule_s_own() -> None:
    rules = tuple(cls() for cls in all_rules().values())
    texts = [textwrap.dedent(_MODEL), "x = 1\n", "print('hello')\n", "# softmax\n",
             "import os\nos.listdir('.')\n", "validation_split = 0.2\n"]
    for text in texts:
        assert any_triggered(rules, text) == any(r.applies_to(text) for r in rules), text
    assert not any_triggered(rules, "x = 1\n")


def test_a_running_total_is_a_name_added_to_in_a_loop_and_divided() -> None:
    f = found('''
        total, seen, self.acc = 0.0, 0, 0
        for x, y in loader:
            total += criterion(model(x), y).item()
            seen = seen + len(y)
            self.acc = (y == 0).sum() + self.acc
        print(total / len(loader.dataset), (seen / 2) / 3)
        self.acc /= seen
        other = 1 + 2
        ratio = other / 2
        ok = x / 2 + total
    ''')
    assert f.divided_totals == {"total", "seen", "self.acc"}
    # added to outside any loop, or divided by (not dividing): no running total
    f = found("total = 0\ntotal += 1\nmean = total / 2\nfor x in xs:\n    n += 1\n"
              "    y = x / n\n")
    assert f.divided_totals == frozenset()


def test_nn513_is_kept_only_by_a_running_total() -> None:
    """Every file of a model library has a loss, a ``len`` and a division (attention's
    ``/ math.sqrt(d)``): NN513's finding needs the divided total to be summed in a loop."""
    rule = all_rules()["NN513"]()
    model = ("import math\nimport torch\nfrom torch import nn\n\n"
             "def attend(q, k, labels):\n    loss_fct = nn.CrossEntropyLoss()\n"
             "    for layer in range(len(q)):\n        q = q + 1\n"
             "    return q @ k / math.sqrt(k.size(-1)), loss_fct(q, labels)\n")
    assert not can_fire(rule, found(model), lambda: "")
    training = ("import torch\nfrom torch import nn\ncriterion = nn.CrossEntropyLoss()\n"
                "total = 0.0\nfor x, y in loader:\n"
                "    total += criterion(model(x), y).item()\n"
                "print(total / len(loader.dataset))\n")
    assert can_fire(rule, found(training), lambda: "")


_MODEL = '''
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(0.5)

        def forward(self, x):
            return self.drop(x)
'''


def test_a_file_no_rule_can_fire_on_is_never_parsed_by_libcst() -> None:
    def refuse(text: str):
        raise AssertionError("parsed")

    rules = [cls() for cls in all_rules().values()]
    result = analyze_text(Path("models.py"), textwrap.dedent(_MODEL), rules, parse=refuse,
                          defer_summary=True)
    assert result.deferred_classes == {"Net"}
    assert result.classes == [] and result.diagnostics == []
    eager = analyze_text(Path("models.py"), textwrap.dedent(_MODEL), rules)
    assert [c.qualname.rsplit(".", 1)[-1] for c in eager.classes] == ["Net"]


def test_a_deferred_summary_is_made_when_a_finding_asks(tmp_path: Path, monkeypatch) -> None:
    summarised: list[str] = []
    real = run_module.summarize_file

    def counting(path: Path, max_size: int = 0) -> list[ClassSummary]:
        summarised.append(path.name)
        return real(path, max_size)

    monkeypatch.setattr(run_module, "summarize_file", counting)
    files = {
        "models.py": _MODEL,
        "other.py": "import torch\nclass Unused(torch.nn.Module):\n    pass\n",
        "evaluate.py": '''
            import torch
            from models import Net

            model = Net()
            with torch.no_grad():
                out = model(torch.ones(2))  # the finding needs Net's summary
        ''',
    }
    found_here = lint_project(tmp_path, files)
    assert [(Path(d.filename).name, d.code) for d in found_here] == [("evaluate.py", "NN201")]
    assert summarised == ["models.py"]  # and not other.py, whose class nobody asks about
    plain = Engine(Settings(select=["NN"], root=tmp_path), use_cache=False, jobs=1,
                   gated=False).check_paths([tmp_path]).diagnostics
    assert plain == found_here


def test_a_cached_run_keeps_the_summaries_a_finding_asked_for(tmp_path: Path,
                                                              monkeypatch) -> None:
    """The cache records a deferred file's summaries once made: the next run finds the
    same findings without summarising it again, and an edit of it defers it anew."""
    summarised: list[str] = []
    real = run_module.summarize_file

    def counting(path: Path, max_size: int = 0) -> list[ClassSummary]:
        summarised.append(path.name)
        return real(path, max_size)

    monkeypatch.setattr(run_module, "summarize_file", counting)
    (tmp_path / "models.py").write_text(textwrap.dedent(_MODEL))
    (tmp_path / "evaluate.py").write_text(
        "import torch\nfrom models import Net\n\nmodel = Net()\n"
        "with torch.no_grad():\n    out = model(torch.ones(2))\n")

    def run() -> list[tuple[str, str]]:
        engine = Engine(Settings(select=["NN"], root=tmp_path), jobs=1)
        found = engine.check_paths([tmp_path]).diagnostics
        return [(Path(d.filename).name, d.code) for d in found]

    assert run() == [("evaluate.py", "NN201")] and summarised == ["models.py"]
    assert run() == [("evaluate.py", "NN201")] and summarised == ["models.py"]
    (tmp_path / "models.py").write_text(textwrap.dedent(_MODEL) + "\n# edited\n")
    assert run() == [("evaluate.py", "NN201")] and summarised == ["models.py"] * 2
    assert run() == [("evaluate.py", "NN201")] and summarised == ["models.py"] * 2

def _summary(qualname: str, returns: str) -> ClassSummary:
    return ClassSummary(qualname, (), frozenset({returns}), defines_output=True)


@pytest.mark.parametrize("deferred", [(0,), (1,), (0, 1), (1, 2), (0, 2)])
def test_the_deferred_index_answers_as_the_eager_one(deferred: tuple[int, ...]) -> None:
    """Two files define ``pkg.Net`` (the later one wins), a third ``other.Net`` (a
    suffix lookup of ``Net`` is ambiguous); whichever files are deferred."""
    files = [[_summary("pkg.Net", "first")], [_summary("pkg.Net", "second")],
             [_summary("other.Net", "third")]]
    eager = ProjectIndex()
    for summaries in files:
        eager.add(summaries)
    lazy = DeferredIndex(None, lambda key: files[int(key)])
    for position, summaries in enumerate(files):
        if position in deferred:
            lazy.defer_file(position, str(position), ["Net"])
        else:
            lazy.add_file(position, summaries)
    for qualname in ("pkg.Net", "other.Net", "Net", "missing.Net"):
        assert lazy.lookup(qualname) == eager.lookup(qualname), qualname
    assert lazy.summarized == len(deferred)


def _without_depth(found):
    return replace(found, deepest=(0, 1), functions=tuple(sorted(found.functions)))


def test_a_buffer_s_features_are_the_union_of_its_statements() -> None:
    """The language server's features, kept per statement, equal a walk of the file."""
    buffer = BufferFeatures()
    for text in _corpus():
        tree = ast.parse(text)
        whole = _without_depth(features(tree))
        assert _without_depth(buffer.of(text, spans_of(tree.body), tree)) == whole
        assert _without_depth(buffer.of(text, spans_of(tree.body))) == whole  # from the cache
        assert _without_depth(BufferFeatures().of(text, spans_of(tree.body))) == whole


def test_a_buffer_s_features_follow_its_edits() -> None:
    buffer = BufferFeatures()
    before = "import torch\n\ndef train(opt):\n    for x in data:\n        opt.zero_grad()\n"
    after = before.replace("zero_grad", "step")
    for text in (before, after):
        found = buffer.of(text, spans_of(ast.parse(text).body))
        assert found is not None
        assert ("step" in found.loop_calls) is (text is after)


def test_statements_sharing_a_line_are_all_read() -> None:
    text = "import torch.nn as nn\nlabel = 'x'; net = nn.Sequential(nn.Dropout(0.5))\n"
    tree = ast.parse(text)
    for known in (tree, None):
        found = BufferFeatures().of(text, spans_of(tree.body), known)
        assert found is not None and {"Sequential", "Dropout", "label"} <= found.words


def test_a_call_of_a_bound_name_is_a_call_of_a_parameter_s_possible_value() -> None:
    """``called_bound``: a callee named like a parameter or a stored-to name or attribute
    (what the dataflow can value as a parameter: ``PARAM``), not a method of another object
    or an imported function."""
    assert found("def f(loss_fn, x):\n    return loss_fn(x)\n").called_bound
    assert found("def f(c, x):\n    fn = c\n    return fn(x)\n").called_bound
    assert found("class T:\n    def __init__(self, c):\n        self.crit = c\n"
                 "    def step(self, p):\n        return self.crit(p)\n").called_bound
    assert found("def f(cs, x):\n    for c in cs:\n        c(x)\n").called_bound
    assert found("def f(x):\n    with g() as h:\n        h(x)\n").called_bound
    assert found("f = lambda c: c(1)\n").called_bound
    # a config: attributes stored to, none called; imported and builtin calls
    config = ("import logging\nlogger = logging.getLogger(__name__)\n\n"
              "class Config:\n    def __init__(self, use_focal_loss=False, **kwargs):\n"
              "        self.use_focal_loss = use_focal_loss\n"
              "        super().__init__(**kwargs)\n"
              "        logger.warning(str(kwargs))\n")
    assert not found(config).called_bound
    # read, not stored: ``self.crit`` is called but never assigned in this file
    assert not found("class T:\n    def step(self, p):\n        return self.crit(p)\n"
                     ).called_bound


def test_nn101_skips_a_file_that_only_names_losses_in_its_settings() -> None:
    """NN101's loss-method words are read at calls (``get_loss(...)``), its passed losses
    at calls of what a function received: a configuration file that stores
    ``use_focal_loss`` is not parsed for it; a trainer calling a passed loss still is, and
    its finding is the same gated and ungated."""
    rule = all_rules()["NN101"]()
    config = ("class Config:\n    def __init__(self, use_focal_loss=False, loss_weight=1.0):\n"
              "        self.use_focal_loss = use_focal_loss\n"
              "        self.loss_weight = loss_weight\n")
    assert not can_fire(rule, found(config), lambda: "")
    assert can_fire(rule, found("def f(m, x, y):\n    return m.get_loss(x, y)\n"), lambda: "")
    trainer = textwrap.dedent('''
        import torch.nn.functional as F

        class Trainer:
            def __init__(self, model, loss_object):
                self.model = model
                self.fn = loss_object  # no call names a loss: only the bound name keeps NN101

            def step(self, x, y):
                probs = F.softmax(self.model(x), dim=1)
                return self.fn(probs, y)
    ''')
    assert can_fire(rule, found(trainer), lambda: "")
    rules = [cls() for cls in all_rules().values()]
    for gated in (True, False):
        result = analyze_text(Path("trainer.py"), trainer, rules, gated=gated)
        codes = [d.code for d in result.diagnostics] + [
            d.code for d, _ in result.conditional] + [code for code, _ in result.pending]
        assert "NN101" in codes, gated
