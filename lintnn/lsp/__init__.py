"""The language server: lintnn diagnostics and quick fixes in any LSP editor.

``server`` speaks the protocol (pygls), ``linter`` runs the engine off the event loop
with per-directory settings, ``actions`` builds quick fixes and ``# noqa`` edits; the
conversion to LSP types is :mod:`lintnn.report.lsp`.
"""
