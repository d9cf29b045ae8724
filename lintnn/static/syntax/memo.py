"""Results of pure functions of a libcst subtree, kept from one check to the next.

The language server re-checks an edited buffer whose unchanged statements are the same
node objects from one parse to the next
(:class:`~lintnn.static.engine.incremental.IncrementalParser`).
A helper that walks a subtree with a libcst visitor (slow: the visitor rebuilds every node
it passes) answers the same for the same node, so its answer is kept. Nodes hash by
identity; the memory is bounded, the least recently used answers go first.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import ParamSpec, TypeVar

import libcst as cst

P = ParamSpec("P")
T = TypeVar("T")

SIZE = 4096  # answers kept per function: a few checks' worth for a 3,000-line file

# Off in a batch run (``lintnn check``), where every tree is checked once and an answer
# would only hold its subtree in memory; turned on by the language server's documents.
_ENABLED = [False]
_CACHES: list[OrderedDict] = []  # every memoized function's answers, for :func:`clear`


def enable() -> None:
    """Keep answers from now on in this process (re-checked buffers keep their nodes)."""
    _ENABLED[0] = True


def clear() -> None:
    """Forget every answer (they hold the subtrees of buffers that may be closed)."""
    for cache in _CACHES:
        cache.clear()


def subtree_memo(function: Callable[P, T]) -> Callable[P, T]:
    """Memoize ``function(node, *hashable_args)``, which must depend only on the subtree
    under ``node`` (and its arguments) and return a value nobody mutates."""
    cache: OrderedDict[tuple[Hashable, ...], T] = OrderedDict()
    _CACHES.append(cache)

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        if not _ENABLED[0] or type(args[0]) is cst.Module:  # a Module is new every parse:
            return function(*args, **kwargs)  # never asked again, and holds a whole file
        key = (*args, *sorted(kwargs.items()))
        try:
            cache.move_to_end(key)
            return cache[key]
        except KeyError:
            pass
        value = function(*args, **kwargs)
        cache[key] = value
        if len(cache) > SIZE:
            cache.popitem(last=False)
        return value

    wrapper.cache = cache  # type: ignore[attr-defined]
    return wrapper
