"""Parse without ever crashing the process, and in bounded time.

libcst's native parser overflows the C stack (a segmentation fault, not an exception) on
inputs nested deeper than CPython accepts, e.g. 3,000 nested brackets or an 8,000-term
``1 + 1 + ...`` chain. So CPython's parser, which refuses such files cleanly, judges every
file first, and libcst then parses in a thread with a large stack.

libcst's time also grows with the square of an expression's nesting: a 1,000-term
``a + b + ...`` chain takes it 0.3 s, a 2,000-term one 1 s, a chain of 1,000 method calls
2 s. So a file nested deeper than :data:`MAX_NESTING` levels (generated code: the deepest
of the 16,588 files in our test environment's site-packages is 568 levels deep) is reported as
skipped rather than parsed for minutes. Measuring the depth on CPython's tree costs about
3% of the libcst parse it guards. The language server, which re-judges only the edited
statements, keeps each statement's depth (:mod:`lintnn.static.engine.reparse`).

libcst's tree is deeper than CPython's: it wraps arguments, list elements and subscripts
in nodes of their own (a subscript is three levels), and nests the terms of ``a and b and
...`` and of adjacent strings, which CPython keeps flat. Its codegen, visitors and
``repr``, and the analyses, walk it recursively. So the libcst tree is bounded too
(:data:`MAX_TREE_DEPTH`, measured by the node index's iterative walk before any recursive
one), and the whole analysis runs in a thread whose stack and recursion limit hold that
depth times the most Python frames any walk spends on one level
(:data:`FRAMES_PER_LEVEL`, measured with ``benchmarks/crash_scan.py --depths`` and
checked by ``tests/test_reliability_depth.py``).
"""

from __future__ import annotations

import ast
import contextlib
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

# Syntax-tree levels: a 1,000-term operator chain costs libcst 0.3 s, 500 chained calls 0.5 s.
MAX_NESTING = 1000
# libcst levels: up to three per CPython level (a subscript), so every file within
# MAX_NESTING is within this bound too; 3,000 adjacent strings is also libcst's own limit.
# Python 3.12 counts the Python calls made through C (a call with **kwargs, a generator
# driven by tuple()) against a fixed limit of 1,500 frames, whatever the stack and
# sys.setrecursionlimit; libcst's codegen spends two of them per level, so 3.12.1 analyses
# 742 levels and fails at 743. There the bound is 700 levels. 3.11 and 3.13 have no such cap.
MAX_TREE_DEPTH = 700 if sys.version_info[:2] == (3, 12) else 3 * MAX_NESTING
# Python frames per libcst level, the most of any walk: libcst's visitors spend 3 to 3.7
# (visit, _visit_and_replace_children, visit_required or visit_sequence's generator).
FRAMES_PER_LEVEL = 5
STACK_BASE = 100  # frames of the engine itself, below the deepest walk (about 60 measured)
RECURSION_LIMIT = STACK_BASE + FRAMES_PER_LEVEL * MAX_TREE_DEPTH

_DEEP_THREAD = "lintnn-deep"
# Reserved, not committed (only touched pages count): at most a few KiB of C stack per
# Python frame, for RECURSION_LIMIT frames.
_STACK_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Verdict:
    """CPython's judgement of a text: its syntax tree, or why it refuses the text."""

    tree: ast.Module | None  # None when refused, or when only part of the text was judged
    error: tuple[str, int, int] | None = None  # (message, line, column) of a refusal
    deepest: tuple[int, int] | None = None  # (depth, line), when the judge measured it

    def too_deep(self) -> str | None:
        """Why the text is too deeply nested to parse with libcst in bounded time, or None."""
        if self.deepest is None and self.tree is None:
            return None
        depth, line = self.deepest or deepest(self.tree)  # type: ignore[arg-type]
        if depth <= MAX_NESTING:
            return None
        return (f"an expression at line {line} is nested {depth} levels deep; lintnn parses "
                f"files nested up to {MAX_NESTING} levels (libcst's time grows with the "
                "square of the depth)")


def too_deep_tree(depth: int) -> str | None:
    """Why a libcst tree ``depth`` levels deep is not analysed, or None."""
    if depth <= MAX_TREE_DEPTH:
        return None
    return (f"its syntax tree is {depth} levels deep (a chain of `and`/`or` or of adjacent "
            "strings counts one level per term); lintnn analyses trees up to "
            f"{MAX_TREE_DEPTH} levels")


def judge(text: str) -> Verdict:
    """Parse ``text`` with CPython's parser, which never crashes."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like
            return Verdict(ast.parse(text))
    except SyntaxError as error:
        return Verdict(None, (f"SyntaxError: {error.msg}", error.lineno or 1, error.offset or 1))
    except RecursionError:
        return Verdict(None, (
            "SyntaxError: too deeply nested for Python's parser (recursion limit)", 1, 1))
    except (ValueError, MemoryError) as error:
        return Verdict(None, (f"cannot parse: {error}", 1, 1))


def deepest(tree: ast.AST) -> tuple[int, int]:
    """(depth, line) of the most deeply nested node; iterative, as the tree may be deep."""
    best_depth, best_line = 0, 1
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    pop, push, children = stack.pop, stack.append, ast.iter_child_nodes
    while stack:
        node, depth = pop()
        if depth > best_depth:
            best_depth, best_line = depth, getattr(node, "lineno", best_line)
        for child in children(node):
            push((child, depth + 1))
    return best_depth, best_line


def on_deep_stack(run: Callable[..., T], *args: Any) -> T:
    """``run(*args)`` in a thread whose stack and recursion limit hold every recursive walk
    of a tree within the nesting bounds (libcst's codegen, visitors and ``repr``, and the
    analyses): see :data:`RECURSION_LIMIT`. Nested calls run in the same thread."""
    if threading.current_thread().name == _DEEP_THREAD:
        return run(*args)
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = run(*args)
        except BaseException as error:  # re-raised in the caller's thread
            outcome["error"] = error

    with _recursion_limit(recursion_limit()):
        previous = threading.stack_size(_STACK_BYTES)
        try:
            thread = threading.Thread(target=target, name=_DEEP_THREAD, daemon=True)
            thread.start()
        finally:
            threading.stack_size(previous)
        thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def recursion_limit() -> int:
    """The recursion limit of the deep threads (a function, so tests can lower it)."""
    return RECURSION_LIMIT


_limit_lock = threading.Lock()
_limit_users = [0, 0]  # threads inside _recursion_limit, the limit before the first


@contextlib.contextmanager
def _recursion_limit(limit: int) -> Iterator[None]:
    """Raise the interpreter's recursion limit (one value for all threads) while any deep
    thread runs; the last one out restores it."""
    with _limit_lock:
        if _limit_users[0] == 0:
            _limit_users[1] = sys.getrecursionlimit()
            sys.setrecursionlimit(max(limit, _limit_users[1]))
        _limit_users[0] += 1
    try:
        yield
    finally:
        with _limit_lock:
            _limit_users[0] -= 1
            if _limit_users[0] == 0:
                sys.setrecursionlimit(_limit_users[1])
