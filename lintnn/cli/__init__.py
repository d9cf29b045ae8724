"""The commands: ``check`` (with ``fix``), ``rules``/``rule``, ``server``, ``probe``.

One module per command; :mod:`lintnn.cli.main` parses the command line and dispatches,
:mod:`lintnn.cli.exits` holds the exit codes every command returns.
"""

from lintnn.cli.main import main

__all__ = ["main"]
