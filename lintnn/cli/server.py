"""``lintnn server``: the language server entry point (the server lives in :mod:`lintnn.lsp`)."""

from lintnn.lsp import server
from lintnn.static import load_libcst


def serve() -> None:
    """Load libcst now (every edit parses; loaded late, it costs each re-lint) and serve."""
    load_libcst()
    server.serve()


__all__ = ["serve"]
