"""Parse without ever crashing the process.

libcst's native parser overflows the C stack (a segmentation fault, not an exception) on
inputs nested deeper than CPython accepts, e.g. 3,000 nested brackets or an 8,000-term
``1 + 1 + ...`` chain. So CPython's parser, which refuses such files cleanly, judges every
file first, and libcst then parses in a thread with a large stack for the depths in
between.
"""

from __future__ import annotations

import ast
import threading
import warnings
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_PARSE_STACK_BYTES = 256 * 1024 * 1024  # reserved, not committed: only touched pages count


def python_syntax_error(text: str) -> tuple[str, int, int] | None:
    """CPython's verdict on ``text``: None, or (message, line, column) of its refusal."""
    return python_ast(text)[1]


def python_ast(text: str) -> tuple[ast.Module | None, tuple[str, int, int] | None]:
    """(CPython's tree, None), or (None, (message, line, column) of its refusal)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like
            return ast.parse(text), None
    except SyntaxError as error:
        return None, (f"SyntaxError: {error.msg}", error.lineno or 1, error.offset or 1)
    except RecursionError:
        return None, ("SyntaxError: too deeply nested for Python's parser (recursion limit)",
                      1, 1)
    except (ValueError, MemoryError) as error:
        return None, (f"cannot parse: {error}", 1, 1)


def on_deep_stack(parse: Callable[[str], T], text: str) -> T:
    """``parse(text)`` in a thread whose stack is large enough for any file CPython accepts."""
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = parse(text)
        except BaseException as error:  # re-raised in the caller's thread
            outcome["error"] = error

    previous = threading.stack_size(_PARSE_STACK_BYTES)
    try:
        thread = threading.Thread(target=target, name="lintnn-parse", daemon=True)
        thread.start()
    finally:
        threading.stack_size(previous)
    thread.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
