"""libcst's parse without node validation builds the same trees, and validation stays on
for every node built outside the parser."""

from __future__ import annotations

import threading
from pathlib import Path

import libcst as cst
import pytest

from lintnn.static.engine.fast_parse import parse_module

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
