"""The language server: lintnn diagnostics and quick fixes in any LSP editor.

``server`` speaks the protocol (pygls; ``protocol`` answers undecodable requests),
``linter`` runs the engine off the event loop in a ``worker`` process with per-directory
settings, ``actions`` builds quick fixes and ``# noqa`` edits, and ``stdio_client`` is the
small client the tests and the benchmark drive it with. The conversion to LSP types is
:mod:`lintnn.report.lsp`.
"""
