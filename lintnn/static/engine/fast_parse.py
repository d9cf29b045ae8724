"""libcst's parse, without re-validating every node the parser builds.

Each libcst node checks itself when it is built (``CSTNode.__post_init__`` calls
``_validate``): needed for nodes a program builds by hand, redundant for the ones libcst's
own parser builds from valid source, and 13-14% of the parse (measured on lightning's
sources; libcst's comment there says as much). The check is switched off only while the
parser runs, in the thread that runs it; node constructors in any other thread meanwhile
still validate. The trees are the same (``tests/test_fast_parse.py``). The switch is put
in on the first parse, so importing this module does not load libcst (``lintnn.static``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from libcst._nodes.base import CSTNode

_parsing = threading.local()
_validating_post_init: list[Callable[[CSTNode], None]] = []  # libcst's, once replaced


def _post_init(self: CSTNode) -> None:
    if not getattr(_parsing, "active", False):
        _validating_post_init[0](self)


def _switch_installed() -> None:
    """Put :func:`_post_init` in place of libcst's node check (once per process)."""
    if _validating_post_init:
        return
    from libcst._nodes.base import CSTNode  # libcst-internal, stable since 0.3

    _validating_post_init.append(CSTNode.__post_init__)
    CSTNode.__post_init__ = _post_init  # type: ignore[method-assign]


def parse_module(text: str) -> cst.Module:
    """``libcst.parse_module(text)``, the nodes unvalidated (the parser made them)."""
    _switch_installed()
    _parsing.active = True
    try:
        return cst.parse_module(text)
    finally:
        _parsing.active = False
