"""What ``lintnn check`` imports only when it is used: libcst (``lintnn.static``), which
neither importing lintnn nor a check whose files are cached or need no parse loads, while
a check that parses loads it and finds the same; the runtime half's report and the
process pool. Each case runs in a fresh interpreter (this one has loaded them already)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import libcst as cst

from lintnn.static.analyses import datasets
from lintnn.static.syntax.visitor import cst_visitor
from tests.conftest import REPO_ROOT, subprocess_env

LOADED = "print(type(sys.modules.get('libcst')).__name__ == 'module')"
FLAGGED = textwrap.dedent("""\
    import torch.nn as nn
    import torch.nn.functional as F

    loss = nn.CrossEntropyLoss()(F.softmax(logits, dim=1), labels)
""")


def _python(code: str, cwd: Path = REPO_ROOT) -> list[str]:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd,
                          env=subprocess_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def _check(path: Path, *options: str) -> list[str]:
    """What ``lintnn check`` prints, then whether libcst was loaded."""
    return _python(f"""
        import sys
        from lintnn.cli.main import main
        main(["check", {str(path)!r}, *{options!r}])
        {LOADED}
    """, cwd=path.parent)


def test_importing_every_module_of_the_static_half_leaves_libcst_unloaded() -> None:
    """A module that reads libcst when imported (``class V(cst.CSTVisitor)``, a tuple of
    node types) fails this: write it with :func:`cst_visitor`, or inside a function."""
    assert _python(f"""
        import importlib, pkgutil, sys
        import lintnn, lintnn.static
        lintnn.static.defer_libcst()
        for info in pkgutil.walk_packages(lintnn.static.__path__, "lintnn.static."):
            importlib.import_module(info.name)
        import lintnn.cli.check, lintnn.cli.main, lintnn.lsp, lintnn.catalog
        {LOADED}
    """) == ["False"]


def test_a_check_that_needs_no_parse_does_not_load_libcst(tmp_path: Path) -> None:
    (tmp_path / "plain.py").write_text("x = 1\n")
    assert _check(tmp_path / "plain.py", "--no-cache") == ["All checks passed!", "False"]


def test_a_cached_run_does_not_load_libcst_and_finds_the_same(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_text(FLAGGED)
    first = _check(path)
    assert first[-1] == "True" and any("NN101" in line for line in first)
    again = _check(path)
    assert again[:-1] == first[:-1] and again[-1] == "False"


def test_importing_lintnn_alone_keeps_the_real_libcst() -> None:
    """Only the command line defers libcst: a process that embeds lintnn (the user's
    pytest with the plugin, an editor's Python) imports the real module as usual."""
    assert _python(f"""
        import sys
        import lintnn.static, lintnn.pytest_plugin
        import libcst
        {LOADED}
    """) == ["True"]


def test_a_submodule_import_loads_libcst_first() -> None:
    assert _python(f"""
        import sys
        import lintnn.static
        lintnn.static.defer_libcst()
        import libcst as cst
        {LOADED}
        from libcst.metadata import CodeRange
        {LOADED}
        print(sys.modules["libcst"] is cst and cst.Name("x").value == "x")
    """) == ["False", "True", "True"]


def test_load_libcst_runs_it_once_in_the_same_module_object() -> None:
    assert _python(f"""
        import sys
        from lintnn.static import defer_libcst, libcst_loaded, load_libcst
        defer_libcst()
        import libcst as cst
        print(libcst_loaded())
        load_libcst()
        load_libcst()
        print(libcst_loaded(), sys.modules["libcst"] is cst, hasattr(cst, "parse_module"))
        {LOADED}
    """) == ["False", "True True True", "True"]


def test_a_deferred_libcst_is_as_initialised_as_an_imported_one() -> None:
    """importlib marks a module it has loaded (``__spec__._initializing = False``); each
    ``import libcst`` after that takes the fast path. libcst's parser imports the module
    once per node it builds: without the mark, every one of those imports looked for it,
    failed, and cleared the error (5-8% of a lightning run)."""
    assert _python("""
        import libcst
        print(libcst.__spec__._initializing)
    """) == ["False"]
    assert _python("""
        from lintnn.static import defer_libcst, load_libcst
        defer_libcst()
        import libcst
        load_libcst()
        print(libcst.__spec__._initializing)
    """) == ["False"]


def test_threads_that_use_libcst_while_it_loads_wait_for_it() -> None:
    assert _python("""
        import threading
        import lintnn.static
        lintnn.static.defer_libcst()
        import libcst as cst
        names, start = [], threading.Barrier(4)

        def use() -> None:
            start.wait()
            names.append(cst.Name("x").value + cst.parse_module("y = 1").code)

        threads = [threading.Thread(target=use) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(names == ["xy = 1"] * 4, type(cst).__name__)
    """) == ["True module"]


def test_a_deferred_visitor_is_a_cst_visitor_made_once() -> None:
    @cst_visitor
    class Names:
        def __init__(self) -> None:
            self.seen: list[str] = []

        def visit_Name(self, node: cst.Name) -> None:
            self.seen.append(node.value)

    first, second = Names(), Names()
    assert isinstance(first, cst.CSTVisitor) and type(first) is type(second)
    cst.parse_module("a = b + c\n").visit(first)
    assert first.seen == ["a", "b", "c"] and second.seen == []


def test_some_paths_is_one_node() -> None:
    assert isinstance(datasets.SOME_PATHS, cst.Name)
    assert datasets.SOME_PATHS is datasets.SOME_PATHS


def test_a_check_imports_neither_the_runtime_report_nor_a_pool_it_does_not_start(
        tmp_path: Path) -> None:
    (tmp_path / "plain.py").write_text("x = 1\n")
    assert _python(f"""
        import sys
        from lintnn.cli.main import main
        main(["check", {str(tmp_path / "plain.py")!r}, "--no-cache"])
        print(sorted(m for m in ("lintnn.runtime.report", "concurrent.futures.process")
                     if m in sys.modules))
    """, cwd=tmp_path) == ["All checks passed!", "[]"]


def test_the_runtime_names_of_the_package_still_import() -> None:
    assert _python("""
        import lintnn, lintnn.runtime
        from lintnn import NonFiniteError, Origin, Report, Severity
        from lintnn.runtime.errors import NonFiniteError as Error
        from lintnn.runtime.report import Report as RuntimeReport
        print(Report is RuntimeReport is lintnn.runtime.Report, NonFiniteError is Error)
        print(hasattr(lintnn, "Missing"))
    """) == ["True True", "False"]
