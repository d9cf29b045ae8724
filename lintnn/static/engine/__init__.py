"""The engine: files in, diagnostics out.

Discovery, sources and notebooks, the parse verdict, the cache, the parallel run, the
cross-file join, noqa, fixes, and the language server's incremental re-lint. It drives the
rules through the registry (``lintnn.static.rules.all_rules``) and nothing below imports it.
"""
