"""CPython's verdict on successive texts of one buffer, re-parsing only what changed.

An edit leaves most top-level statements alone. The text the edit touched is cut at the
boundaries of the previous text's top-level statements, widened to the statements on
either side, and parsed alone: a region of whole lines that starts at column 0 after
complete statements and is followed by a statement at column 0 parses alone exactly as
it does in place (``ast.parse`` checks syntax only, nothing about the rest of the
file). When the region alone is refused, the whole text is parsed, for the exact error.
"""

from __future__ import annotations

import ast
import bisect

from lintnn.static.engine.safe_parse import Verdict, deepest, judge
from lintnn.static.syntax.statements import Span, count_lines, line_starts, spans_of


class Reparser:
    """Spans of the top-level statements of each text given, or its syntax error."""

    def __init__(self) -> None:
        self._text: str | None = None
        self._spans: list[Span] = []
        self._depths: list[tuple[int, int]] = []  # per statement: (nesting depth, its line)
        self._starts: list[int] = []
        self.partial = 0  # checks answered by parsing a region only, for tests

    def parse(self, text: str) -> tuple[list[Span] | None, Verdict]:
        """The statements' spans, and CPython's verdict: with a tree if it parsed it all,
        and always with the depth of the most deeply nested statement."""
        judged = self._reparse(text) if self._text is not None else None
        tree = None
        if judged is None:
            verdict = judge(text)
            if verdict.tree is None:  # the last valid text stays the base of the next edit
                return None, verdict
            tree = verdict.tree
            judged = spans_of(tree.body), _depths(tree.body, 0)
        else:
            self.partial += 1
        (spans, depths), self._text, self._starts = judged, text, line_starts(text)
        self._spans, self._depths = spans, depths
        return spans, Verdict(tree, deepest=max(depths, default=(0, 1)))

    def _reparse(self, text: str) -> tuple[list[Span], list[tuple[int, int]]] | None:
        old, spans, starts = self._text, self._spans, self._starts
        assert old is not None
        if text == old:
            return spans, self._depths
        if not spans:
            return None
        head = _common_prefix(old, text)
        tail = _common_suffix(old, text, min(len(old), len(text)) - head)
        first_line = bisect.bisect_right(starts, head)  # 1-based line of the change
        last_line = bisect.bisect_right(starts, max(head, len(old) - tail - 1))
        first, last = _touched(spans, first_line, last_line)
        begin = starts[spans[first].first - 1] if first >= 0 else 0
        end_old = starts[min(spans[last].end, len(starts) - 1)] if last < len(spans) else len(old)
        end_new = end_old + len(text) - len(old)
        if not begin <= head <= end_new or len(old) - tail > end_old:
            return None
        if (end_new < len(text) and text[end_new - 1] != "\n") or (
                begin > 0 and text[begin - 1] == "\r"):
            return None  # the edit joined lines across the region's edge
        tree = judge(text[begin:end_new]).tree
        if tree is None:
            return None  # maybe valid in place (a bracket closed further down): judge all
        offset = spans[first].first - 1 if first >= 0 else 0
        shift = count_lines(text[begin:end_new]) - count_lines(old[begin:end_old])
        kept = self._depths
        return ([*spans[:max(first, 0)], *(s.moved(offset) for s in spans_of(tree.body)),
                 *(s.moved(shift) for s in spans[last + 1:])],
                [*kept[:max(first, 0)], *_depths(tree.body, offset),
                 *((depth, line + shift) for depth, line in kept[last + 1:])])


def _depths(body: list[ast.stmt], offset: int) -> list[tuple[int, int]]:
    """(depth in the module, line) of each statement's most deeply nested node."""
    out = []
    for statement in body:
        depth, line = deepest(statement)
        out.append((depth + 1, line + offset))
    return out


def _touched(spans: list[Span], first_line: int, last_line: int) -> tuple[int, int]:
    """Indexes of the first and last statements to re-parse: from the one on or before
    ``first_line`` to the one on or after ``last_line`` (-1 and ``len(spans)`` past the
    ends), widened over statements that share a line (``a = 1; b = 2``)."""
    first = -1
    for i, span in enumerate(spans):
        if span.first <= first_line:
            first = i
    last = len(spans)
    for i in range(len(spans) - 1, -1, -1):
        if spans[i].end >= last_line:
            last = i
    first, last = min(first, last), max(first, last)
    while first > 0 and spans[first - 1].end >= spans[first].first:
        first -= 1
    while last < len(spans) - 1 and spans[last + 1].first <= spans[last].end:
        last += 1
    return first, last


def _common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix (binary search: slices compare in C)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str, limit: int) -> int:
    """Length of the longest common suffix, at most ``limit``."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle:] == b[len(b) - middle:]:
            low = middle
        else:
            high = middle - 1
    return low
