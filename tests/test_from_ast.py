"""The libcst tree built from CPython's ``ast`` has the structure of libcst's own parse,
and the engine's first pass on it gives libcst's results (or defers to libcst's tree)."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from lintnn.config import Settings
from lintnn.static.engine import analyze
from lintnn.static.engine.from_ast import Unconvertible, module_from_ast
from lintnn.static.engine.run import Engine, enabled_rules
from lintnn.static.syntax.structure import first_difference, structure

EVERY_CONSTRUCT = '''\
"""A module docstring."""
import a.b.c as e, os
from . import x
from ..a.b import (c as d,
                   f)  # a comment in the list
from m import *
def f(a, /, b: int = 1, *args, c, d=2, **kw) -> "x": pass
def g(a, *, b):
    return a; b
class C(B, metaclass=M, **kw):
    x: int = 1
    y: int
    @dec(1)
    @property
    async def h(self):
        async for x in y: await z
        async with a as b, c: yield
        yield from q
lam = lambda: 0
lam2 = lambda x, *y, z=1, **w: 0
f(*a, b=1, **c)
f(a, b=1, *c)
f(x for x in y)
x[a, b:c]; x[(a, b)]; x[::2]; x[(a), b]; x[()]; x[a:b:c, ...]
"a" "b" 'c'
s = ("x"  # between the parts
     r"\\"" "z"
     """triple "quoted" ' """)
z = f"{a!r:>{w}}" "x" f'{b=}'
e = "é"; n = 1.5
a and b and c or d and not e
a < b < c is not d not in e
del a, b
del (a, b)
del a
if a:
    pass
elif b:
    pass
else:
    if c: pass
if a:
    pass
else:
    if b:
        pass
for i in range(3):
    continue
else:
    break
while x: x -= 1
while y:
    y //= 2
else:
    y **= 3
try:
    pass
except (A, B) as err:
    raise X from err
except:
    raise
else: pass
finally: pass
try:
    pass
except* ValueError:
    pass
with open(f) as (a, b), g(): pass
with (open(f) as a,
      open(g) as b):
    pass
x = [i for i in y if i if not i for j in i]
d = {**a, 1: 2}
s = {1, *b}
g = (x async for x in y)
k = {k: v for k, v in z}
t = 1_000, 0x1F, 1e-3, 3j, -1, ~x, +y, ..., None, True, b"\\x00"
a = b = c
(a := 1)
a @= b; a |= b; a <<= 2; a %= 3
assert x, "message"
global q
def nested():
    nonlocal_free = 1
    def inner():
        nonlocal nonlocal_free
print(x if y else z, *rest, sep="")
first, *rest = items
[p, q] = pair
x = yield
'''


def _same(code: str) -> None:
    light = module_from_ast(ast.parse(code), code)
    real = cst.parse_module(code)
    assert first_difference(structure(light), structure(real)) is None


def test_every_construct_has_the_structure_of_libcsts_parse() -> None:
    _same(EVERY_CONSTRUCT)


@pytest.mark.parametrize("code", [
    "x[(a, b)]\n",            # one index, a tuple
    "x[(a), b]\n",            # two indexes, the first in brackets
    "x[(a), (b)]\n",
    "x[a,]\n",
    "x[('(', b)]\n",          # a bracket in a string inside the tuple
])
def test_a_tuple_index_in_its_own_brackets_is_one_index(code: str) -> None:
    _same(code)


def test_elif_and_else_if_are_different_trees() -> None:
    elif_ = "if a:\n    pass\nelif b:\n    pass\n"
    else_if = "if a:\n    pass\nelse:\n    if b:\n        pass\n"
    _same(elif_)
    _same(else_if)
    assert structure(module_from_ast(ast.parse(elif_), elif_)) != structure(
        module_from_ast(ast.parse(else_if), else_if))


@pytest.mark.parametrize("code", [
    "a = 1; b = 2\nc = 3\n",                      # two statements share a line
    "x = '''a\nb''' ; y = 1\n",                   # after a string spanning lines
    "if x: a = 1; b = 2\nelse: c = 3\n",          # a suite after the colon
    "def f(\n    a,\n): return a\n",              # after a header spanning lines
    "x = 1\r\ny = 2\r\nif x:\r\n    y = 3\r\n",  # CRLF
    "if x:\n\tif y:\n\t\tz = 1\n",                # tabs
    "s = 'é'; t = 'ü' 'x'; u = 2.5e3\n",          # columns in bytes after non-ASCII text
    "x = ('a'\n     # comment\n     'b' \\\n     'c')\n",
])
def test_lines_suites_and_strings(code: str) -> None:
    _same(code)


def test_numbers_and_strings_keep_their_text_as_written() -> None:
    code = "x = (1e-3, 0x1F, 1_000, r'\\d', b'\\x00', 3j)\n"
    values = [node.value for node in _walk(module_from_ast(ast.parse(code), code))
              if isinstance(node, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString))]
    assert values == ["1e-3", "0x1F", "1_000", "r'\\d'", "b'\\x00'", "3j"]


def test_a_match_statement_is_not_converted() -> None:
    code = "match x:\n    case [a, *rest]:\n        pass\n"
    with pytest.raises(Unconvertible):
        module_from_ast(ast.parse(code), code)


def test_trivia_are_shared_and_nodes_are_not() -> None:
    code = "f(a, b)\ng(c)\n"
    module = module_from_ast(ast.parse(code), code)
    calls = [node for node in _walk(module) if isinstance(node, cst.Call)]
    assert calls[0].whitespace_after_func is calls[1].whitespace_after_func
    assert calls[0].args[0] is not calls[0].args[1]
    # the module still renders (default spacing)
    assert module.code == "f(a, b)\ng(c)\n"


def _walk(node: cst.CSTNode):
    yield node
    for child in node.children:
        yield from _walk(child)


# -- the engine's first pass ------------------------------------------------------------

NO_FINDING = textwrap.dedent('''\
    import torch
    import torch.nn as nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(x)

    def train(loader, optimizer):
        model = nn.Linear(4, 2)
        model.train()
        loss_fn = nn.CrossEntropyLoss()
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
    ''')

A_FINDING = NO_FINDING.replace("loss_fn(model(x), y)", "loss_fn(torch.softmax(model(x), dim=1), y)")


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts libcst's parser is given from now on (``fast_parse`` calls it)."""
    parsed: list[str] = []
    original = cst.parse_module

    def counting(text: str, *args: object, **kwargs: object) -> cst.Module:
        parsed.append(text)
        return original(text, *args, **kwargs)

    monkeypatch.setattr(cst, "parse_module", counting)
    return parsed


def test_a_file_without_finding_is_not_parsed_by_libcst(monkeypatch: pytest.MonkeyPatch,
                                                       ) -> None:
    parsed = _count_parses(monkeypatch)
    rules = enabled_rules(Settings(select=["NN"]))
    result = analyze.analyze_text(Path("train.py"), NO_FINDING, rules)
    assert parsed == [] and result.diagnostics == [] and result.classes
    reference = analyze.analyze_text(Path("train.py"), NO_FINDING, rules, from_ast=False)
    assert parsed == [NO_FINDING]
    assert result.classes == reference.classes


def test_a_file_with_a_finding_gets_positions_from_libcsts_tree(
        monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _count_parses(monkeypatch)
    rules = enabled_rules(Settings(select=["NN"]))
    result = analyze.analyze_text(Path("train.py"), A_FINDING, rules)
    reference = analyze.analyze_text(Path("train.py"), A_FINDING, rules, from_ast=False)
    assert parsed == [A_FINDING, A_FINDING]  # the first pass found it: libcst's tree
    assert result.diagnostics == reference.diagnostics
    (finding,) = [d for d in result.diagnostics if d.code == "NN101"]
    assert (finding.location.row, finding.location.column) == (18, 16)  # the loss call


def test_rendered_code_defers_to_libcsts_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule that compares code as written (the PRNG keys of two permutations) does not
    decide on a tree whose spacing is made up, where ``keys [0]`` and ``keys[0]`` render
    alike: the first pass rendered code, so libcst's tree decides."""
    code = textwrap.dedent('''\
        import jax
        def shuffle(keys, inputs, labels):
            inputs = jax.random.permutation(keys[0], inputs)
            labels = jax.random.permutation(keys [0], labels)
            return inputs, labels
        ''')
    parsed = _count_parses(monkeypatch)
    rules = enabled_rules(Settings(select=["NN"]))
    result = analyze.analyze_text(Path("shuffle.py"), code, rules)
    assert len(parsed) == 1
    reference = analyze.analyze_text(Path("shuffle.py"), code, rules, from_ast=False)
    assert result.diagnostics == reference.diagnostics


def test_engine_results_are_the_same_with_and_without_the_first_pass(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    fast = Engine(Settings(select=["NN"], root=root), use_cache=False, jobs=1)
    plain = Engine(Settings(select=["NN"], root=root), use_cache=False, jobs=1, gated=False)
    paths = [root / "examples"]
    assert fast.check_paths(paths).diagnostics == plain.check_paths(paths).diagnostics


def test_building_leaves_no_garbage_for_the_collector() -> None:
    """Every object the conversion makes is freed by reference counting once the tree is
    dropped: a cycle (the builder's own bound methods once were) holds its file's text
    until a rare full collection, and raised the workers' peak memory by a quarter."""
    import gc

    gc.collect()
    gc.disable()
    try:
        module = module_from_ast(ast.parse(EVERY_CONSTRUCT), EVERY_CONSTRUCT)
        assert module.body
        del module
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_structure_is_the_code_but_for_its_layout() -> None:
    """What analyses compare when they ask whether two expressions are the same (the
    layers of a list built alike, the sum of an exponential): the same on either tree."""
    same = [cst.parse_expression(code) for code in ("x [0] + (y)", "x[0]+y", "x[0] + y  ")]
    assert len({structure(node) for node in same}) == 1
    others = [cst.parse_expression(code) for code in ("x[1] + y", "x[0] - y", "x[0] + 'y'")]
    assert len({structure(node) for node in [same[0], *others]}) == 4
    light = module_from_ast(ast.parse("z = x [0] + (y)\n"), "z = x [0] + (y)\n")
    assert structure(light.body[0].body[0].value) == structure(same[0])


PASSED_MODEL = NO_FINDING.replace(  # the model is a parameter: a Net, by its ``train()``
    "def train(loader, optimizer):\n    model = nn.Linear(4, 2)\n",
    "def train(model, loader, optimizer):\n")


@pytest.mark.parametrize("forward,found", [
    ("return self.fc(x)", []),  # Net ends in no activation: no requirement holds
    ("return torch.softmax(self.fc(x), dim=1)", [("NN101", 17, 16)]),
])
def test_conditional_findings_wait_for_their_requirements(
        monkeypatch: pytest.MonkeyPatch, forward: str, found: list) -> None:
    """``loss_fn(model(x), y)`` with ``model`` a ``Net``: a finding only if Net's output is
    probabilities, which the run knows once every class is summarised. The first pass
    keeps the requirements only; libcst parses the file only when one holds."""
    code = PASSED_MODEL.replace("return self.fc(x)", forward)
    parsed = _count_parses(monkeypatch)
    fast = Engine(Settings(select=["NN"]), use_cache=False, jobs=1)
    diagnostics = fast.check_source(Path("train.py"), code).diagnostics
    assert [(d.code, d.location.row, d.location.column) for d in diagnostics] == found
    assert len(parsed) == len(found)  # the second pass, where a requirement holds
    plain = Engine(Settings(select=["NN"]), use_cache=False, jobs=1, gated=False)
    assert plain.check_source(Path("train.py"), code).diagnostics == diagnostics


def test_a_held_requirement_is_settled_once_then_read_from_the_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file analysed again because a conditional finding holds is cached as that
    result: the next run over the unchanged tree reads the finding, parsing nothing."""
    (tmp_path / "train.py").write_text(PASSED_MODEL.replace(
        "return self.fc(x)", "return torch.softmax(self.fc(x), dim=1)"))
    settings = Settings(select=["NN"], root=tmp_path)
    parsed = _count_parses(monkeypatch)
    first = Engine(settings, jobs=1).check_paths([tmp_path])
    assert [(d.code, d.location.row) for d in first.diagnostics] == [("NN101", 17)]
    assert len(parsed) == 1
    second = Engine(settings, jobs=1).check_paths([tmp_path])
    assert second.diagnostics == first.diagnostics and second.cached == 1
    assert len(parsed) == 1  # nothing parsed again


def test_the_benchmark_tells_a_converted_file_from_a_match_statement(tmp_path: Path) -> None:
    """``benchmarks/light_tree_check.py``'s verdict on one file: the same structure, or
    the construct not converted."""
    import importlib.util
    import sys

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "light_tree_check.py"
    spec = importlib.util.spec_from_file_location("light_tree_check", script)
    assert spec is not None and spec.loader is not None
    checker = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = checker
    spec.loader.exec_module(checker)
    same, match = tmp_path / "same.py", tmp_path / "match.py"
    same.write_text(EVERY_CONSTRUCT, encoding="utf-8")
    match.write_text("match x:\n    case 1:\n        pass\n", encoding="utf-8")
    limit = sys.getrecursionlimit()  # the checker raises it, as the engine's deep stack
    try:
        assert checker.check_file(str(same))[1] == "same"
        assert checker.check_file(str(match))[1] == "unconvertible: a Match statement"
    finally:
        sys.setrecursionlimit(limit)
