"""``lintnn server``: the language server entry point (the server lives in :mod:`lintnn.lsp`)."""

from lintnn.lsp.server import serve

__all__ = ["serve"]
