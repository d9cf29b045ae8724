"""IPython's cell syntax turned into Python line for line, as IPython itself turns it.

A notebook's code cell is not Python: IPython rewrites it before compiling
(``IPython.core.inputtransformer2.TransformerManager``, then, for a cell of one line, the
shell's automagic). This module follows those rules without importing IPython (the
pre-commit environment stays small), with one difference: where IPython joins several
lines into one (a backslash-continued ``!cmd``, a multi-line ``obj?``), the joined line
keeps the first row and the others become blank, so every row of the cell keeps its number.

What is rewritten, as IPython does, and only where IPython sees it:

- ``%%magic`` on the cell's first line: the whole cell (a magic whose body is Python,
  ``%%time``, ``%%timeit``, ``%%capture``, ``%%prun``, keeps its body as Python when the
  body compiles; likewise ``%time stmt`` keeps its statement, and ``%timeit expr`` its
  expression, when it compiles alone: the calls in it are the program's own);
- ``%magic``, ``!cmd``, ``!!cmd``, ``?obj``, ``??obj`` and the ``,`` ``;`` ``/`` auto-call
  escapes as the first token of a *logical* line (never on a continuation line inside
  brackets: ``print('%d'\\n  % n)`` is Python's ``%``);
- ``x = %magic`` and ``x = !cmd``; ``obj?`` and ``obj??`` at the end of a logical line;
- the common indentation of the cell and its leading blank lines (for a cell IPython 9
  refuses, IPython 7 and 8's rule: the first line's indentation, wherever a line starts
  with it; the notebook may have been run with them);
- in a cell of one line, a magic's name without ``%`` (``pip install flax``, ``cd ..``),
  unless the name is a Python builtin or keyword or a name an earlier cell bound (the
  shell's ``user_ns``, which IPython checks at run time).

The test suite compares this module with IPython's own transformer on hand-written cells
and with hypothesis (``tests/test_ipython_cells.py``).
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re
import sys
import textwrap
import tokenize
import warnings
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass

# Rows are split as Jupyter counts them (IPython's ``str.splitlines`` also splits at
# \v, \f, \x1c-\x1e, \x85, \u2028 and \u2029: only line-start rules can differ there).
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")

# Line magics of IPython 9 (``InteractiveShell().magics_manager.magics["line"]``, aliases
# such as ``ls`` included) and those ipykernel adds. ``tests/test_ipython_cells.py``
# checks the list against the installed IPython.
LINE_MAGICS = frozenset((
    "alias", "alias_magic", "autoawait", "autocall", "automagic", "bookmark", "cat", "cd",
    "code_wrap", "colors", "conda", "config", "cp", "debug", "dhist", "dirs",
    "doctest_mode", "ed", "edit", "env", "gui", "hist", "history", "killbgscripts", "ldir",
    "lf", "lk", "ll", "load", "load_ext", "loadpy", "logoff", "logon", "logstart",
    "logstate", "logstop", "ls", "lsmagic", "lx", "macro", "magic", "mamba", "matplotlib",
    "micromamba", "mkdir", "mv", "notebook", "page", "pastebin", "pdb", "pdef", "pdoc",
    "pfile", "pinfo", "pinfo2", "pip", "popd", "pprint", "precision", "prun", "psearch",
    "psource", "pushd", "pwd", "pycat", "pylab", "quickref", "recall", "rehashx",
    "reload_ext", "rep", "rerun", "reset", "reset_selective", "rm", "rmdir", "run", "save",
    "sc", "set_env", "sx", "system", "tb", "time", "timeit", "unalias", "unload_ext", "uv",
    "who", "who_ls", "whos", "xdel", "xmode", "clear", "connect_info", "less", "man",
    "more", "qtconsole",
))

# Cell magics whose body is a cell of Python run in the user's namespace.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})
# Line magics that run the Python statement after their options: ``%time`` in the user's
# namespace (its assignments bind there), ``%timeit`` in a function of its own (only an
# expression, which binds nothing, is kept).
_TIMED_OPTIONS = {"time": re.compile(r"(?:--no-raise-error\s+)*"),
                  "timeit": re.compile(r"(?:-(?:[tcqo]*[nrp]\s*\S+|[tcqo]+)\s+)*")}
_LINE_MAGIC_ROW = re.compile(
    r"([ \t]*)get_ipython\(\)\.run_line_magic\('(time|timeit)', ('(?:[^'\\]|\\.)*'|"
    r'"(?:[^"\\]|\\.)*")\)(\r\n|\r|\n)?')

_LOOP_LIMIT = 500  # IPython's TRANSFORM_LOOP_LIMIT
# Without one of these no token transform applies (an escape is the first character of a
# physical line after its indentation), and tokenizing, the costly part, can be skipped.
_SPECIAL = re.compile(r"[%!?]|(?:^|[\r\n])[ \t\f]*[,;/]")
_ESCAPE_SINGLES = {"!", "?", "%", ",", ";", "/"}
_ESCAPE_DOUBLES = {"!!", "??"}
_HELP_END = re.compile(
    r"(%{0,2}(?!\d)[\w*]+(\.(?!\d)[\w*]+|\[-?[0-9]+\])*)(\?\??)$")
_LINE_SPLIT = re.compile(r"^(\s*)([,;/%]|!!?|\?\??)?\s*(%{0,2}[\w\.\*]*)(.*?$|$)")
_CAUGHT_TOKEN_ERRORS = (
    "unterminated string literal", "invalid non-printable character",
    "after line continuation character", "invalid decimal literal",
    "invalid binary literal", "invalid octal literal", "invalid hexadecimal literal",
    "in binary literal", "in octal literal", "expected EOF",
)
COMPILE_FLAGS = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT  # IPython's autoawait


class CellError(Exception):
    """IPython itself cannot run this cell: ``row`` and ``column`` are 1-based in the cell."""

    def __init__(self, message: str, row: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message, self.row, self.column = message, row, column


@dataclass(frozen=True)
class PythonCell:
    """A code cell as Python, one entry of ``lines`` per row of the cell."""

    lines: tuple[str, ...]
    rewritten: frozenset[int]  # 1-based rows holding IPython syntax, now its Python call
    removed: tuple[int, ...]  # per row: characters removed at its start (indentation)

    @property
    def text(self) -> str:
        return "".join(self.lines)


def split_rows(source: str) -> list[str]:
    """The rows of a cell, each with its line ending; the last one gets a newline."""
    rows = _LINES.findall(source)
    if rows and not rows[-1].endswith(("\n", "\r")):
        rows[-1] += "\n"
    return rows


def read_cell(source: str, bound: Container[str] = frozenset()
              ) -> tuple[PythonCell, ast.Module]:
    """The cell's Python and its tree; :class:`CellError` where IPython refuses the cell.

    ``bound``: names earlier cells bound (they shadow automagic; asked only about a
    one-line cell that may be a magic).
    """
    try:
        return _read_cell(source, bound, _dedent)
    except CellError as error:
        if not _INDENTED_FIRST_ROW.match(source):
            raise
        try:  # IPython 7 and 8 ran it: their dedent is the first line's indentation
            return _read_cell(source, bound, _first_line_dedent)
        except CellError:
            raise error from None


def _read_cell(source: str, bound: Container[str],
               dedent: Callable[[list[str]], list[str]]) -> tuple[PythonCell, ast.Module]:
    try:
        python = to_python(source, bound, tokenize_always=False, dedent=dedent)
        return python, compile_cell(python)
    except CellError:
        pass  # refused: tokenizing may find the error first, and elsewhere, as IPython does
    python = to_python(source, bound, dedent=dedent)
    return python, compile_cell(python)


def to_python(source: str, bound: Container[str] = frozenset(),
              tokenize_always: bool = True,
              dedent: Callable[[list[str]], list[str]] | None = None) -> PythonCell:
    """The Python IPython runs for the cell ``source``, row for row.

    Raises :class:`CellError` where IPython's own transformation fails. Without
    ``tokenize_always``, a cell with no character that IPython syntax needs is not
    tokenized: its Python is the same, but an indentation error is then found only by
    :func:`compile_cell`, maybe on another row than IPython's tokenizer finds it.
    """
    rows = split_rows(source)
    out = list(rows)
    removed = [0] * len(rows)
    first = next((i for i, row in enumerate(rows) if row and not row.isspace()), None)
    if first is None:
        return PythonCell(tuple(rows), frozenset(), tuple(removed))
    for i in range(first):  # IPython drops the leading blank lines
        removed[i] = len(out[i]) - len(line_ending(out[i]))
        out[i] = line_ending(out[i])
    work = (dedent or _dedent)(out[first:])
    for i, (old, new) in enumerate(zip(out[first:], work, strict=True)):
        removed[first + i] += len(old) - len(new)
    rewritten: set[int] = set()
    if work[0].startswith("%%") and not re.match(r"%%\w+\?", work[0]):
        work = _cell_magic(work, rewritten, removed, first, bound)
        out[first:] = work
        return PythonCell(tuple(out), frozenset(r + first + 1 for r in rewritten),
                          tuple(removed))
    original = list(work)
    try:
        joined = (_token_transforms(work, rewritten)
                  if tokenize_always or _SPECIAL.search(source) else 0)
    except CellError:
        raise
    except SyntaxError as error:  # the tokenizer's IndentationError, as IPython raises it
        row = first + max(1, error.lineno or 1)
        extra = removed[row - 1] if row <= len(removed) else 0
        raise CellError(f"{type(error).__name__}: {error.msg}", row,
                        (error.offset or 1) + extra) from None
    except Exception as error:  # IPython's transformer fails here too (e.g. deep nesting)
        raise CellError(f"IPython cannot transform this cell ({type(error).__name__})",
                        first + 1) from None
    if len(work) - joined == 1:
        line = work[0].rstrip("\n")
        magic = _automagic(line, bound)
        if magic is not None:
            work[0] = magic + "\n"
            rewritten.add(0)
    for row in rewritten:
        removed[first + row] += _unwrap_timed(work, row, original[row])
    out[first:] = work
    return PythonCell(tuple(out), frozenset(r + first + 1 for r in rewritten), tuple(removed))


def _unwrap_timed(work: list[str], row: int, original: str) -> int:
    """Row ``row`` as the statement a ``%time`` / ``%timeit`` magic runs, when it compiles
    alone (the call sites in it are the program's own, as in a ``%%time`` cell); the
    number of characters of the ``original`` row that come off before the statement."""
    match = _LINE_MAGIC_ROW.fullmatch(work[row])
    if match is None:
        return 0
    indent, name, quoted, ending = match.groups()
    line = ast.literal_eval(quoted)
    options = _TIMED_OPTIONS[name].match(line)
    statement = line[options.end() if options else 0:].strip()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = compile(statement, "<magic>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
            compile(tree, "<magic>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return 0
    if not tree.body or (name == "timeit" and not all(
            isinstance(node, ast.Expr) for node in tree.body)):
        return 0
    work[row] = indent + statement + (ending or "\n")
    before = original.rstrip("\r\n")
    return len(before) - len(indent + statement) if before.endswith(statement) else 0


def compile_cell(cell: PythonCell) -> ast.Module:
    """CPython's tree of the cell, compiled as IPython's ``run_cell`` compiles it: parsed
    with top-level ``await`` allowed, then each top-level statement compiled alone (so the
    compiler's own errors, ``return`` outside a function, count; a ``__future__`` import
    need not open the cell)."""
    text = cell.text
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = compile(text, "<cell>", "exec", COMPILE_FLAGS, dont_inherit=True)
            try:
                compile(tree, "<cell>", "exec", ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                        dont_inherit=True)
            except SyntaxError as error:
                if "__future__" not in str(error.msg):
                    raise
                for node in tree.body:  # only statement by statement is this allowed
                    compile(ast.Module([node], []), "<cell>", "exec",
                            ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as error:
        row = max(1, error.lineno or 1)  # may be the row after the last, as in IPython
        column = (error.offset or 1) + (cell.removed[row - 1] if row <= len(cell.removed)
                                        else 0)
        raise CellError(f"{type(error).__name__}: {error.msg}", row, column) from None
    except RecursionError:
        raise CellError("SyntaxError: too deeply nested for Python's parser") from None
    except (ValueError, UnicodeError, MemoryError, OverflowError) as error:
        raise CellError(f"cannot compile: {error}") from None
    return tree


def bound_names(tree: ast.Module) -> set[str]:
    """Names a cell binds at module level (they shadow automagic in later cells)."""
    names: set[str] = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                             ast.GeneratorExp)):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        stack.extend(ast.iter_child_nodes(node))
    return names


# The token transforms (IPython's MagicAssign, SystemAssign, EscapedCommand, HelpEnd) ----

@dataclass(frozen=True)
class _Found:
    row: int  # 0-based in the work rows
    column: int
    priority: int
    rewrite: Callable[[list[str]], tuple[int, str]]  # -> (last row replaced, new line)


def _token_transforms(lines: list[str], rewritten: set[int]) -> int:
    """Apply the transforms until none is left; the number of rows joined into others."""
    joined = 0
    for _ in range(_LOOP_LIMIT):
        tokens = _tokens_by_line(lines)
        candidates = [found for find in _FINDERS if (found := find(tokens)) is not None]
        candidates.sort(key=lambda found: (found.row, found.column, found.priority))
        for found in candidates:
            try:
                last, new_line = found.rewrite(lines)
            except SyntaxError:
                continue
            last = min(last, len(lines) - 1)
            lines[found.row] = new_line
            for row in range(found.row + 1, last + 1):
                lines[row] = "\n"
            joined += last - found.row
            rewritten.add(found.row)
            break
        else:
            return joined
    raise CellError("IPython's input transformation did not settle (500 rounds)")


def _tokens_by_line(lines: list[str]) -> list[list[tokenize.TokenInfo]]:
    """Tokens grouped by logical line (IPython's ``make_tokens_by_line``)."""
    by_line: list[list[tokenize.TokenInfo]] = [[]]
    depth = 0
    try:
        for token in _generate_tokens(lines):
            by_line[-1].append(token)
            if token.type == tokenize.NEWLINE or (token.type == tokenize.NL and depth <= 0):
                by_line.append([])
            elif token.type == tokenize.OP and token.string in "([{":
                depth += 1
            elif token.type == tokenize.OP and token.string in ")]}" and depth > 0:
                depth -= 1
    except tokenize.TokenError:
        pass  # the cell ends inside a string or brackets: IPython goes on with what it has
    if not by_line[-1]:
        by_line.pop()
    return by_line


def _generate_tokens(lines: list[str]) -> Iterable[tokenize.TokenInfo]:
    """``tokenize``, where some errors end the stream with an error token (as IPython's
    ``generate_tokens_catch_errors``)."""
    seen: list[tokenize.TokenInfo] = []
    try:
        for token in tokenize.generate_tokens(iter(lines).__next__):
            seen.append(token)
            yield token
    except tokenize.TokenError as error:
        if not any(message in str(error.args[0]) for message in _CAUGHT_TOKEN_ERRORS):
            raise
        if seen:
            start = (seen[-1].start[0], seen[-1].end[0])
            line = seen[-1].line
        else:
            start, line = (1, 0), ""
        yield tokenize.TokenInfo(tokenize.ERRORTOKEN, "", start, start, line)


def _assign_index(line: list[tokenize.TokenInfo]) -> int | None:
    """The first ``=`` outside brackets."""
    depth = 0
    for index, token in enumerate(line):
        if token.string == "=" and depth == 0:
            return index
        if token.string in {"(", "[", "{"}:
            depth += 1
        elif token.string in {")", "]", "}"} and depth > 0:
            depth -= 1
    return None


def _continued_end(lines: list[str], start: int) -> int:
    end = start
    while lines[end].endswith("\\\n"):
        end += 1
        if end >= len(lines):
            break
    return end


def _assemble(lines: list[str], row: int, column: int, end: int) -> str:
    parts = [lines[row][column:], *lines[row + 1:end + 1]]
    return " ".join([p.rstrip()[:-1] for p in parts[:-1]] + [parts[-1].rstrip()])


def _magic_call(name: str, args: str) -> str:
    return f"get_ipython().run_line_magic({name!r}, {args!r})"


def _find_magic_assign(tokens: list[list[tokenize.TokenInfo]]) -> _Found | None:
    for line in tokens:
        at = _assign_index(line)
        if (at is not None and len(line) >= at + 2 and line[at + 1].string == "%"
                and line[at + 2].type == tokenize.NAME):
            row, column = line[at + 1].start
            return _Found(row - 1, column, 10, lambda lines, r=row - 1, c=column:
                          _rewrite_assign(lines, r, c, "%"))
    return None


def _find_system_assign(tokens: list[list[tokenize.TokenInfo]]) -> _Found | None:
    for line in tokens:
        at = _assign_index(line)
        if (at is None or line[at].line.strip().startswith("=")
                or len(line) < at + 2):
            continue
        start = None
        if sys.version_info >= (3, 12):
            if line[at + 1].type == tokenize.OP and line[at + 1].string == "!":
                start = line[at + 1].start
        else:
            index = at + 1
            while index < len(line) and line[index].type == tokenize.ERRORTOKEN:
                if line[index].string == "!":
                    start = line[index].start
                    break
                if not line[index].string.isspace():
                    break
                index += 1
        if start is not None:
            row, column = start
            return _Found(row - 1, column, 10, lambda lines, r=row - 1, c=column:
                          _rewrite_assign(lines, r, c, "!"))
    return None


def _rewrite_assign(lines: list[str], row: int, column: int, escape: str) -> tuple[int, str]:
    end = _continued_end(lines, row)
    rhs = _assemble(lines, row, column, end)
    if escape == "%":
        name, _, args = rhs[1:].partition(" ")
        call = _magic_call(name, args)
    else:
        call = f"get_ipython().getoutput({rhs[1:]!r})"
    return end, lines[row][:column] + call + "\n"


def _find_escaped(tokens: list[list[tokenize.TokenInfo]]) -> _Found | None:
    for line in tokens:
        index = 0
        while index < len(line) and line[index].type in (tokenize.INDENT, tokenize.DEDENT):
            index += 1
        if index < len(line) and line[index].string in _ESCAPE_SINGLES:
            row, column = line[index].start
            return _Found(row - 1, column, 10, lambda lines, r=row - 1, c=column:
                          _rewrite_escaped(lines, r, c))
    return None


def _rewrite_escaped(lines: list[str], row: int, column: int) -> tuple[int, str]:
    end = _continued_end(lines, row)
    line = _assemble(lines, row, column, end)
    if len(line) > 1 and line[:2] in _ESCAPE_DOUBLES:
        escape, content = line[:2], line[2:]
    else:
        escape, content = line[:1], line[1:]
    return end, lines[row][:column] + _ESCAPES[escape](content) + "\n"


def _help_call(target: str, escape: str) -> str:
    method = "pinfo2" if escape == "??" else "psearch" if "*" in target else "pinfo"
    name, _, args = f"{method} {target}".partition(" ")
    return _magic_call(name.lstrip("%"), args)


def _help(escape: str) -> Callable[[str], str]:
    return lambda content: (_help_call(content, escape) if content
                            else "get_ipython().show_usage()")


def _magic(content: str) -> str:
    name, _, args = content.partition(" ")
    return _magic_call(name, args)


def _quote(content: str) -> str:
    name, _, args = content.partition(" ")
    return '{}("{}")'.format(name, '", "'.join(args.split()))


def _quote_all(content: str) -> str:
    name, _, args = content.partition(" ")
    return f'{name}("{args}")'


def _paren(content: str) -> str:
    name, _, args = content.partition(" ")
    if name == "":
        raise SyntaxError('"!" must be followed by a callable name')
    return "{}({})".format(name, ", ".join(args.split()))


_ESCAPES: dict[str, Callable[[str], str]] = {
    "!": "get_ipython().system({!r})".format,
    "!!": "get_ipython().getoutput({!r})".format,
    "?": _help("?"),
    "??": _help("??"),
    "%": _magic,
    ",": _quote,
    ";": _quote_all,
    "/": _paren,
}


def _find_help_end(tokens: list[list[tokenize.TokenInfo]]) -> _Found | None:
    for line in tokens:
        if len(line) > 2 and line[-2].string == "?":
            index = 0
            while line[index].type in (tokenize.INDENT, tokenize.DEDENT):
                index += 1
            row, column = line[index].start
            last = line[-2].start[0] - 1
            return _Found(row - 1, column, 5, lambda lines, r=row - 1, c=column, q=last:
                          _rewrite_help_end(lines, r, c, q))
    return None


def _rewrite_help_end(lines: list[str], row: int, column: int, last: int) -> tuple[int, str]:
    piece = "".join(lines[row:last + 1])
    match = _HELP_END.search(piece[column:])
    if match is None:
        raise SyntaxError(piece)
    return last, piece[:column] + _help_call(match.group(1), match.group(3)) + "\n"


_FINDERS = (_find_magic_assign, _find_system_assign, _find_escaped, _find_help_end)


# Whole-cell rules ------------------------------------------------------------------------

def _dedent(rows: list[str]) -> list[str]:
    """``textwrap.dedent`` of the rows (IPython's ``leading_indent``), row for row."""
    dedented = split_rows(textwrap.dedent("".join(rows)))
    return dedented if len(dedented) == len(rows) else list(rows)


_FIRST_INDENT = re.compile(r"[ \t]+")
_INDENTED_FIRST_ROW = re.compile(r"(?:[ \t\f]*(?:\r\n|\r|\n))*[ \t]+\S")


def _first_line_dedent(rows: list[str]) -> list[str]:
    """IPython 7 and 8's ``leading_indent``: the first row's indentation removed from every
    row that starts with it (IPython 9 removes only what all rows share)."""
    match = _FIRST_INDENT.match(rows[0])
    if match is None:
        return list(rows)
    space = match.group(0)
    return [row[len(space):] if row.startswith(space) else row for row in rows]


def _cell_magic(work: list[str], rewritten: set[int], removed: list[int], first: int,
                bound: Container[str]) -> list[str]:
    """A ``%%magic`` cell: IPython's ``run_cell_magic`` call on its first row and blank rows
    after it; for a magic whose body is Python, the body itself."""
    name, _, first_line = work[0][2:].rstrip().partition(" ")
    blank = [line_ending(row) for row in work]
    if name in PYTHON_CELL_MAGICS and len(work) > 1:
        try:
            body, _tree = read_cell("".join(work[1:]), bound)
        except CellError:
            pass  # IPython accepts the cell; the magic fails when it runs: nothing to lint
        else:
            rewritten.add(0)
            rewritten.update(row for row in body.rewritten)  # body row r is cell row r
            for row, extra in enumerate(body.removed, start=first + 1):
                removed[row] += extra
            return [blank[0], *body.lines]
    rewritten.update(range(len(work)))
    call = f"get_ipython().run_cell_magic({name!r}, {first_line!r}, {''.join(work[1:])!r})"
    return [call + "\n", *blank[1:]]


def _automagic(line: str, bound: Container[str]) -> str | None:
    """The shell's prefilter of a one-line cell: a magic called without ``%``, or None."""
    if not line:
        return None
    match = _LINE_SPLIT.match(line)
    if match is None:
        return None
    pre, _escape, ifun, rest = match.groups()
    ifun, rest = ifun.strip(), rest.lstrip()
    if rest and rest[0] in "=,":
        return None
    head = ifun.split(".", 1)[0]
    if (ifun not in LINE_MAGICS or keyword.iskeyword(head) or hasattr(builtins, head)
            or head in bound):
        return None
    name, _, args = f"{ifun} {rest}".partition(" ")
    return ("" if pre.strip() else pre) + _magic_call(name.lstrip("%"), args)


def line_ending(line: str) -> str:
    """The line's own line ending (a blank row in its place keeps the rows)."""
    stripped = line.rstrip("\r\n")
    return line[len(stripped):] or "\n"
