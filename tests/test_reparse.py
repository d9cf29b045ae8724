"""Re-parsing only the edited statements gives CPython's verdict on the whole text."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import lintnn
from lintnn.static.engine.reparse import Reparser
from lintnn.static.engine.safe_parse import judge
from lintnn.static.syntax.statements import spans_of

PIECES = ["\n", "\r\n", " ", "    ", "(", ")", ":", "x", ";", "#", '"""', "\\", "@d\n",
          "def g():\n", "    return 1\n", "else:\n", "1 +", "\n\n\nclass C:\n    pass\n"]
SOURCES = [
    "a = 1; b = 2\nc = 3\n",
    "x = 1\r\ny = 2\r\n\r\ndef f():\r\n    return x\r\n",
    "#!/usr/bin/env python\n\n@dec\ndef f(\n    a,\n):\n    pass\n# tail\n",
    "x = 1\n\x0c\ndef f():\n    pass\n",  # a form feed: not a line break for CPython
    "if a:\n    b = 1\nelse:\n    b = 2\ntry:\n    c\nexcept E:\n    pass\n",
]


def _whole(text: str):
    verdict = judge(text)
    return (spans_of(verdict.tree.body) if verdict.tree is not None else None), verdict.error


def _judged(reparser: Reparser, text: str):
    spans, verdict = reparser.parse(text)
    return spans, verdict.error


def _edit(text: str, rng: random.Random) -> str:
    if rng.random() < 0.5:  # mostly still valid: a line copied, a comment, blank lines
        lines = text.splitlines(keepends=True) or [""]
        row = rng.randrange(len(lines))
        lines.insert(row, rng.choice([lines[row], "# note\n", "\n\n", "x = (1,\n 2)\n"]))
        return "".join(lines)
    at = rng.randrange(len(text) + 1)
    if rng.random() < 0.4 and text:
        return text[:at] + text[at + rng.randrange(1, 40):]
    return text[:at] + rng.choice(PIECES) + text[at:]


def _sources() -> list[str]:
    package = Path(lintnn.__file__).parent / "static"
    return [*SOURCES, *(p.read_text() for p in sorted(package.glob("[a-f]*.py")))]


@pytest.mark.parametrize("text", _sources())
def test_random_edits_get_the_whole_text_verdict(text: str) -> None:
    rng = random.Random(len(text))
    reparser = Reparser()
    assert _judged(reparser, text) == _whole(text)
    for _ in range(40):
        edited = _edit(text, rng)
        verdict = _whole(edited)
        assert _judged(reparser, edited) == verdict
        if verdict[1] is None:
            text = edited  # edits pile up while the text stays valid
        assert _judged(reparser, text) == _whole(text)
    assert reparser.partial >= 10  # most edits were judged from a region alone


def test_an_edit_inside_a_function_parses_a_region() -> None:
    text = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(50))
    reparser = Reparser()
    reparser.parse(text)
    edited = text.replace("x + 7", "x * 7")
    assert _judged(reparser, edited) == _whole(edited)
    assert reparser.partial == 1


def test_joining_a_line_onto_the_next_statement_is_an_error() -> None:
    reparser = Reparser()
    reparser.parse("x = 1\ny = 2\n")
    assert _judged(reparser, "x = 1y = 2\n") == _whole("x = 1y = 2\n")
    assert reparser.parse("x = 1y = 2\n")[1].error is not None
