"""IPython's own verdict on a notebook cell: the reference lintnn's cell transforms are
compared with (tests/test_ipython_cells.py, benchmarks/notebooks/measure.py).

The cell goes through the shell's ``transform_cell`` (``TransformerManager``, then the
prefilter's automagic for a cell of one line, as ``run_cell`` does) and is compiled as
``run_cell`` compiles it (parsed with top-level ``await`` allowed, then each top-level
statement compiled alone). The transformer is instrumented to record which rows it joins,
so that an error line in IPython's transformed text is mapped back to the cell's own row.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass
from typing import Any

from IPython.core import inputtransformer2 as it2
from IPython.core.interactiveshell import InteractiveShell

# Magics ipykernel's shell adds to IPython's (KernelMagics), registered as no-ops.
KERNEL_MAGICS = ("clear", "connect_info", "less", "man", "more", "qtconsole")


@dataclass(frozen=True)
class Verdict:
    """IPython's Python for a cell, and the 1-based cell row of its error (None: accepted)."""

    python: str
    error_row: int | None
    message: str = ""


def shell() -> InteractiveShell:
    ip = InteractiveShell.instance()
    for name in KERNEL_MAGICS:
        if name not in ip.magics_manager.magics["line"]:
            ip.register_magic_function(lambda line: None, "line", name)
    return ip


def _recording(cls: type, log: list[tuple[int, int]]) -> type:
    class Recording(cls):  # type: ignore[misc, valid-type]
        def transform(self, lines: list[str]) -> list[str]:
            out = super().transform(lines)
            log.append((self.start_line, len(lines) - len(out)))
            return out

    Recording.__name__ = cls.__name__
    return Recording


def first_line_indent(lines: list[str]) -> list[str]:
    """IPython 7 and 8's ``leading_indent`` (IPython 9 removes the common indentation)."""
    match = re.match(r"^[ \t]+", lines[0]) if lines else None
    if match is None:
        return lines
    space = match.group(0)
    return [line[len(space):] if line.startswith(space) else line for line in lines]


def verdict(cell: str, user_names: set[str] | frozenset[str] = frozenset(),
            ipython8: bool = False) -> Verdict:
    """What IPython makes of ``cell`` with ``user_names`` already bound in the namespace
    (``ipython8``: with IPython 7 and 8's ``leading_indent``)."""
    ip = shell()
    manager = it2.TransformerManager()
    if ipython8:
        manager.cleanup_transforms[1] = first_line_indent
    log: list[tuple[int, int]] = []
    leading = [0]

    def leading_empty_lines(lines: list[str]) -> list[str]:
        out = it2.leading_empty_lines(lines)
        leading[0] = len(lines) - len(out)
        return out

    manager.cleanup_transforms[0] = leading_empty_lines
    manager.token_transformers = [_recording(c, log) for c in manager.token_transformers]
    saved_manager, saved_ns = ip.input_transformer_manager, dict(ip.user_ns)
    ip.input_transformer_manager = manager
    ip.user_ns.update(dict.fromkeys(user_names))
    try:
        try:
            python = ip.transform_cell(cell)
        except SyntaxError as error:
            return Verdict("", _row(error.lineno, log, leading[0]), error.msg)
        except Exception as error:  # IPython's transformer itself fails
            return Verdict("", 1, f"{type(error).__name__}: {error}")
    finally:
        ip.input_transformer_manager = saved_manager
        ip.user_ns.clear()
        ip.user_ns.update(saved_ns)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = compile(python, "<cell>", "exec",
                           ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                           dont_inherit=True)
            for node in tree.body:
                compile(ast.Module([node], []), "<cell>", "exec",
                        ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as error:
        return Verdict(python, _row(error.lineno, log, leading[0]), error.msg)
    except (ValueError, UnicodeError, MemoryError, OverflowError, RecursionError) as error:
        return Verdict(python, 1, f"{type(error).__name__}: {error}")
    return Verdict(python, None)


def _row(lineno: int | None, log: list[tuple[int, int]], leading: int) -> int:
    """The cell row of line ``lineno`` of the transformed text."""
    row = (lineno or 1) - 1
    for start, joined in reversed(log):
        if row > start:
            row += joined
    return row + leading + 1


def bound_by(python: str) -> set[str]:
    """Names a (transformed, accepted) cell binds at module level, found independently of
    lintnn: the targets of every Store at module level, and def/class/import names."""
    names: set[str] = set()
    try:
        tree = ast.parse(python)
    except SyntaxError:
        return names

    def visit(node: Any) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            return
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                             ast.GeneratorExp)):
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        for child in ast.iter_child_nodes(node):
            visit(child)

    for statement in tree.body:
        visit(statement)
    return names
