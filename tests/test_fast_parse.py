"""libcst's parse without node validation builds the same trees, and validation stays on
for every node built outside the parser."""

from __future__ import annotations

import dataclasses
import inspect
import threading
from pathlib import Path

import libcst as cst
import pytest

from lintnn.static.engine import fast_parse
from lintnn.static.engine.fast_parse import ORIGINAL_INITS, parse_module

ROOT = Path(__file__).resolve().parent.parent


def _sources() -> list[str]:
    paths = sorted((ROOT / "lintnn").rglob("*.py")) + sorted((ROOT / "examples").glob("*.py"))
    return [p.read_text(encoding="utf-8") for p in paths]


def test_the_same_trees_as_libcst_s_own_parse() -> None:
    for text in _sources():
        fast = parse_module(text)
        assert fast.deep_equals(cst.parse_module(text))
        assert fast.code == text


def test_a_syntax_error_is_still_libcst_s() -> None:
    with pytest.raises(cst.ParserSyntaxError):
        parse_module("def f(:\n")
    with pytest.raises(cst.CSTValidationError):  # and validation is back on
        cst.SimpleWhitespace("not whitespace")


def test_nodes_built_in_another_thread_during_a_parse_are_validated() -> None:
    errors: list[BaseException] = []
    started, stop = threading.Event(), threading.Event()

    def build() -> None:
        started.set()
        while not stop.is_set():
            try:
                cst.SimpleWhitespace("x")
            except cst.CSTValidationError as error:
                errors.append(error)
                return

    other = threading.Thread(target=build)
    other.start()
    started.wait()
    try:
        for text in _sources()[:20]:
            parse_module(text)
    finally:
        stop.set()
        other.join()
    assert errors  # validated, even while this thread parsed


def _nodes(tree: cst.CSTNode) -> list[cst.CSTNode]:
    found, todo = [], [tree]
    while todo:
        node = todo.pop()
        found.append(node)
        todo.extend(node.children)
    return found


def test_every_node_class_a_parse_makes_has_the_fast_init() -> None:
    kinds = {type(node) for text in _sources()[:60] for node in _nodes(parse_module(text))}
    assert len(kinds) > 60
    assert kinds <= set(ORIGINAL_INITS)
    assert all(kind.__init__ is not ORIGINAL_INITS[kind] for kind in kinds)


def test_the_fast_init_takes_the_same_arguments_as_the_dataclass_one() -> None:
    parse_module("x = 1\n")  # installs them
    for kind, original in ORIGINAL_INITS.items():
        fast = inspect.signature(kind.__init__).parameters
        slow = inspect.signature(original).parameters
        assert list(fast) == list(slow), kind
        factories = {f.name for f in dataclasses.fields(kind)
                     if f.default_factory is not dataclasses.MISSING}
        for name, parameter in fast.items():
            assert parameter.kind == slow[name].kind, (kind, name)
            if name not in factories:
                assert parameter.default is slow[name].default, (kind, name)


def test_the_fast_init_stores_what_the_dataclass_one_stores() -> None:
    """Every node of real trees, built again by both: the same field values (the same
    objects), and the same defaults where only the required fields are given."""
    checked = 0
    for text in _sources()[:40]:
        for node in _nodes(parse_module(text)):
            kind = type(node)
            fields = dataclasses.fields(kind)
            given = {f.name: getattr(node, f.name) for f in fields}
            slow = object.__new__(kind)
            ORIGINAL_INITS[kind](slow, **given)
            fast = kind(**given)
            assert all(getattr(fast, f.name) is getattr(slow, f.name) for f in fields)
            required = {f.name: given[f.name] for f in fields
                        if f.default is dataclasses.MISSING
                        and f.default_factory is dataclasses.MISSING}
            fast_parse._parsing.active = True  # the defaults may make an invalid node
            try:
                slow = object.__new__(kind)
                ORIGINAL_INITS[kind](slow, **required)
                assert kind(**required).deep_equals(slow)
            finally:
                fast_parse._parsing.active = False
            checked += 1
    assert checked > 10_000


def test_nodes_built_by_hand_are_validated_by_the_fast_init() -> None:
    parse_module("x = 1\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("x").with_changes(value="")
    with pytest.raises(cst.CSTValidationError):  # positional arguments, as libcst's
        cst.Integer("x1")


def test_nodes_are_still_equal_only_to_themselves_and_hashed_by_identity() -> None:
    first, second = parse_module("x = 1\n").body[0], parse_module("x = 1\n").body[0]
    assert first.deep_equals(second)
    assert first == first and first != second
    assert (first == second) is False  # ``__eq__`` itself, not ``__ne__``
    assert first not in [second] and first in [second, first]
    assert len({first, second, first}) == 2
    assert {first: 1}.get(second) is None
    assert type(first).__eq__ is object.__eq__ and type(first).__hash__ is object.__hash__
    assert cst.Name("x") != cst.Name("x")  # built by hand too
