"""lintnn's IPython cell transforms against IPython's own (``tests/ipython_reference.py``).

For each cell both must agree on whether IPython runs it and, if not, on the cell row of
the error; for a cell it runs, lintnn's Python must be IPython's, row for row (the same
syntax tree, every row of the cell kept). The designed differences: a ``%%time``-like
cell magic keeps its body as Python (IPython passes it as a string to the magic, which then
runs it as a cell), so does a ``%time`` / ``%timeit`` line magic with its statement (an
expression only for ``%timeit``, which runs it in a function of its own), and a cell IPython
9 refuses is read as IPython 7 and 8 read it, if they run it (they remove the first line's
indentation, not the common one).
"""

from __future__ import annotations

import ast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("IPython")

from lintnn.static.engine.ipython import (
    LINE_MAGICS,
    PYTHON_CELL_MAGICS,
    CellError,
    PythonCell,
    read_cell,
    split_rows,
    to_python,
)
from tests.ipython_reference import KERNEL_MAGICS, shell, verdict

FLAGS = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


def lintnn_verdict(cell: str, bound: frozenset[str] = frozenset()
                   ) -> tuple[PythonCell | None, int | None]:
    try:
        python, _tree = read_cell(cell, bound)
    except CellError as error:
        try:  # the Python of a refused cell, to check that its rows are kept
            return to_python(cell, bound), error.row
        except CellError:
            return None, error.row
    return python, None


def tree(text: str) -> str:
    return ast.dump(compile(text, "<cell>", "exec", FLAGS, dont_inherit=True))


class _TimedStatements(ast.NodeTransformer):
    """IPython's ``get_ipython().run_line_magic('time', 'f()')`` as the statement ``f()``
    when it compiles alone (``%timeit``: an expression, after the options)."""

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        for field in ("body", "orelse", "finalbody"):
            statements = getattr(node, field, None)
            if isinstance(statements, list):
                setattr(node, field, [s for st in statements for s in self._unwrap(st)])
        return node

    @staticmethod
    def _unwrap(statement: ast.AST) -> list[ast.AST]:
        call = statement.value if isinstance(statement, ast.Expr) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr == "run_line_magic" and len(call.args) == 2
                and all(isinstance(a, ast.Constant) for a in call.args)
                and call.args[0].value in ("time", "timeit")):
            return [statement]
        words = call.args[1].value.split(" ")
        while call.args[0].value == "timeit" and words and words[0].startswith("-"):
            if words.pop(0) in ("-n", "-r", "-p") and words:
                words.pop(0)  # the option's value
        try:
            body = compile(" ".join(words), "<magic>", "exec", ast.PyCF_ONLY_AST).body
            compile(ast.Module(body, []), "<magic>", "exec")
        except SyntaxError:
            return [statement]
        if not body or (call.args[0].value == "timeit" and not all(
                isinstance(s, ast.Expr) for s in body)):
            return [statement]
        return body


def ipython_tree(text: str) -> str:
    """IPython's Python with the designed difference of timed line magics applied."""
    parsed = compile(text, "<cell>", "exec", FLAGS, dont_inherit=True)
    return ast.dump(_TimedStatements().visit(parsed))


def assert_same_as_ipython(cell: str, bound: frozenset[str] = frozenset()) -> None:
    expected = verdict(cell, bound)
    if expected.error_row is not None:  # IPython 7 and 8 may run it: then lintnn reads it
        older = verdict(cell, bound, ipython8=True)
        expected = older if older.error_row is None else expected
    python, error_row = lintnn_verdict(cell, bound)
    assert error_row == expected.error_row, (cell, expected.message)
    if python is not None:
        assert len(python.lines) == len(split_rows(cell))  # every row keeps its number
    if expected.error_row is None and python is not None and not _python_cell_magic(cell):
        assert tree(python.text) == ipython_tree(expected.python), (python.text,
                                                                    expected.python)


def _python_cell_magic(cell: str) -> bool:
    first = cell.lstrip(" \t\r\n").split("\n", 1)[0]
    return first.startswith("%%") and first[2:].split(" ")[0].strip() in PYTHON_CELL_MAGICS


CELLS = [
    # IPython 9 refuses these; IPython 7 and 8 ran them (the first line's indentation).
    "    x = 1\ny = 2",
    " %%time\nx = 1",
    "  if a:\n    b = 1\n  c = 2\nd = 3",
    "x = 1\n    y = 2",  # refused by every version
    # The two causes of issue 18: a '%' continuation line is Python's operator, and
    # automagic in a one-line cell.
    "print('%d of %d'\n      %(a, b))",
    "x = ('%s'\n     % name)\n",
    "pip install -U flax",
    "pip install -U flax\n\n",  # two lines: no automagic, IPython refuses it too
    "import os\npip install x",  # likewise
    "  cd ..",
    "ls -la",
    "run(x)",
    "ls = 3",
    "ls, y = 1, 2",
    "print",
    "time.sleep(1)",
    "load_ext autoreload",
    "pip.x y",
    # Escapes at the start of a logical line, also indented.
    "%matplotlib inline\nimport torch",
    "!pip install torch\nx = 1",
    "for i in range(3):\n    %time f(i)\n    !echo hi\n    x = 1",
    "!ls \\\n  -la\nx = 1",
    "%time f(1,\n 2)",
    "/f 1 2",
    ",f a b",
    ";f a b",
    "/ 1",
    "!!ls",
    # Assignments from magics and commands.
    "files = !ls\nprint(files)",
    "t = %timeit -o f()",
    "a = !!ls",
    "x = %ls -la \\\n  more",
    "d[k] = !ls",
    "x = (1, !ls)",
    # Help.
    "model?",
    "??torch.nn",
    "obj.attr??",
    "x = [1,\n  2]?",
    "x = foo?",
    "%%time?",
    "a[0]?",
    "f(x)?",
    "print('what?')",
    "y = 1  # why?",
    "x = (1,\n?y)",
    # Cell magics.
    "%%bash\nls -la\necho $x",
    "%%time\nfor e in range(3):\n    loss = f(e)\n",
    "%%time\nfor e in range(3):\n",
    "%%capture out\n!pip install x\nimport torch",
    "    %%time\n    x = 1",
    "\n%%writefile a.py\nimport os\n",
    # Whole-cell rules: leading blank lines, common indentation.
    "\n\n   x = 1\n   y = 2",
    "  if x:\n    y = 1\n  z = 2",
    "\tx = 1\n\ty = 2",
    # Line endings.
    "print(1)\r\n%time x\r\ny = 2\r\n",
    "x = 1\ry = 2\r",
    # Python that IPython compiles its own way.
    "await asyncio.sleep(1)",
    "x = 1\nfrom __future__ import annotations",
    "return 1",
    "def f(a, a): pass",
    # Refused cells: the row must match.
    "x = (1,",
    "if x:\npass",
    "def f():\n  return 1\n %time f()",
    "x = 1\ny = = 2\nz = 3",
    "a = '''\nunterminated",
    "x = 1 +\n",
    "",
    "\n\n",
    "# only a comment",
    "x = 1 \\",
]


@pytest.mark.parametrize("cell", CELLS)
def test_cell_is_read_as_ipython_reads_it(cell: str) -> None:
    assert_same_as_ipython(cell)


def test_a_name_bound_by_an_earlier_cell_shadows_automagic() -> None:
    assert lintnn_verdict("cd ..")[1] is None
    assert lintnn_verdict("cd ..", frozenset({"cd"}))[1] == 1
    assert_same_as_ipython("cd ..", frozenset({"cd"}))
    assert_same_as_ipython("save(model, 'x.pt')", frozenset({"save"}))
    python, _ = lintnn_verdict("save(model, 'x.pt')", frozenset({"save"}))
    assert python is not None and python.text == "save(model, 'x.pt')\n"


def test_rewritten_rows_and_removed_indentation_are_recorded() -> None:
    python = to_python("  import os\n  !ls \\\n    -la\n  x = 1\n")
    assert python.lines == ("import os\n", "get_ipython().system('ls    -la')\n", "\n",
                            "x = 1\n")
    assert python.rewritten == {2}
    assert python.removed == (2, 2, 2, 2)


def test_a_python_cell_magic_keeps_its_body_as_python() -> None:
    python = to_python("%%time\nfor e in range(3):\n    %matplotlib inline\n")
    assert python.lines == ("\n", "for e in range(3):\n",
                            "    get_ipython().run_line_magic('matplotlib', 'inline')\n")
    assert python.rewritten == {1, 3}


def test_a_timed_line_magic_keeps_its_statement_as_python() -> None:
    """``%time train(model)`` runs ``train(model)`` once in the user's namespace: the call
    site is the program's (columns still map to the cell); ``%timeit`` runs its statement in
    a function of its own, so only an expression is kept (an assignment would bind a name
    the notebook never binds); what does not compile alone stays IPython's magic call."""
    python = to_python("for e in r:\n    %time step(e)\n%timeit -n 10 -r3 f(x)\n"
                       "%time y = g()\n%timeit z = g()\n%time return 1\n%prun h()\n")
    assert python.lines == ("for e in r:\n", "    step(e)\n", "f(x)\n", "y = g()\n",
                            "get_ipython().run_line_magic('timeit', 'z = g()')\n",
                            "get_ipython().run_line_magic('time', 'return 1')\n",
                            "get_ipython().run_line_magic('prun', 'h()')\n")
    assert python.rewritten == {2, 3, 4, 5, 6, 7}
    assert python.removed[:4] == (0, 6, 18, 6)


def test_the_magic_list_is_ipythons() -> None:
    installed = set(shell().magics_manager.magics["line"])
    assert installed - LINE_MAGICS == set(), "IPython has new line magics: add them"
    assert LINE_MAGICS - installed - set(KERNEL_MAGICS) == set()


# Generated cells --------------------------------------------------------------------

PYTHON_LINES = [
    "x = 1", "y = x % 3", "print('%d' % x)", "s = 'a?b'", "t = \"!ls\"", "f(x)",
    "z = [1,", "  2]", "w = (a,", "     %(b))", "for i in r:", "if x:", "else:", "pass",
    "def g():", "return 1", "d = {'k':", "   1}", "# a comment?", "x = y  # %time",
    "await h()", "u = '''", "'''", "v = 1 \\", "lambda: 0", "x == !y", "a = b = 2",
    "print(x,", "      ?y)", "x?", "x.y??", "f(", "  )", "class C:", "@dec",
]
IPYTHON_LINES = [
    "%time f()", "!ls -la", "!!pwd", "files = !ls", "t = %timeit x", "%matplotlib inline",
    "%time x = f()", "%timeit -n 3 f(x)", "%timeit y = 1", "%time return 1",
    "?x", "??x.y", "x?", "x.y??", "pip install flax", "cd ..", "ls", "%%time", "%%bash",
    "/f 1", ",f a b", ";f a b", "%pip install x \\", "!echo \\",
]
INDENTS = ["", "", "", "    ", "  ", "\t"]


@st.composite
def cells(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.tuples(st.sampled_from(INDENTS),
                                    st.sampled_from(PYTHON_LINES + IPYTHON_LINES)),
                          min_size=1, max_size=6))
    ending = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    text = ending.join(indent + line for indent, line in lines)
    return text + draw(st.sampled_from(["", ending, ending * 2]))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(cells())
def test_generated_cells_are_read_as_ipython_reads_them(cell: str) -> None:
    assert_same_as_ipython(cell)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(cells(), st.sets(st.sampled_from(["ls", "cd", "pip", "x", "time"]), max_size=3))
def test_generated_cells_with_bound_names(cell: str, bound: set[str]) -> None:
    assert_same_as_ipython(cell, frozenset(bound))
