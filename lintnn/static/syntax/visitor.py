"""libcst visitors declared without loading libcst (it loads on first use: ``lintnn.static``).

``class Finder(cst.CSTVisitor)`` at module level reads ``cst.CSTVisitor`` when the module
is imported, which loads libcst. :func:`cst_visitor` takes the class written without bases
and makes the real subclass of ``libcst.CSTVisitor`` (the same name and methods) on the
first instantiation, when a tree, and with it libcst, is already there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import libcst as cst

T = TypeVar("T")
_SKIPPED = ("__dict__", "__weakref__")


def cst_visitor(written: type[T]) -> Callable[..., T]:
    """A constructor of ``written`` as a ``libcst.CSTVisitor`` subclass (made once)."""
    made: list[type] = []

    def construct(*args: Any, **kwargs: Any) -> T:
        if not made:
            members = {k: v for k, v in vars(written).items() if k not in _SKIPPED}
            made.append(type(written.__name__, (cst.CSTVisitor,), members))
        return made[0](*args, **kwargs)

    construct.__name__ = construct.__qualname__ = written.__name__
    construct.__doc__ = written.__doc__
    return construct
