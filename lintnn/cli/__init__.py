"""The commands: ``check`` (with ``fix``), ``rules``/``rule``, ``server``, ``probe``.

One module per command; :mod:`lintnn.cli.main` parses the command line and dispatches,
:mod:`lintnn.cli.exits` holds the exit codes every command returns.
"""

from lintnn.static import defer_libcst

defer_libcst()  # this process is lintnn's own: libcst loads when a file is parsed

from lintnn.cli.main import main  # noqa: E402

__all__ = ["main"]
