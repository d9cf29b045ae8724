"""libcst's parse, without re-validating every node the parser builds.

Each libcst node checks itself when it is built (``CSTNode.__post_init__`` calls
``_validate``): needed for nodes a program builds by hand, redundant for the ones libcst's
own parser builds from valid source, and 13-14% of the parse (measured on lightning's
sources; libcst's comment there says as much). The check is switched off only while the
parser runs, in the thread that runs it; node constructors in any other thread meanwhile
still validate. The trees are the same (``tests/test_fast_parse.py``).
"""

from __future__ import annotations

import threading

import libcst as cst
from libcst._nodes.base import CSTNode  # libcst-internal, stable since 0.3

_parsing = threading.local()
_validating_post_init = CSTNode.__post_init__


def _post_init(self: CSTNode) -> None:
    if not getattr(_parsing, "active", False):
        _validating_post_init(self)


def parse_module(text: str) -> cst.Module:
    """``libcst.parse_module(text)``, the nodes unvalidated (the parser made them)."""
    _parsing.active = True
    try:
        return cst.parse_module(text)
    finally:
        _parsing.active = False


CSTNode.__post_init__ = _post_init  # type: ignore[method-assign]
