"""A file's result as JSON data, and back, validated against the result's own types.

The cache stores results as JSON, which cannot run code when read (a pickle can: a planted
cache file would be a way in). Reading checks every value against the type annotations of
the dataclasses it rebuilds (:class:`~lintnn.static.engine.analyze.FileResult`, the
``Diagnostic`` with its fix, the project-index records): a value of the wrong shape raises
:class:`BadEntry`, and the cache treats that entry as missing.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Callable
from typing import Any

from lintnn.static.engine.analyze import FileResult

Decoder = Callable[[Any], Any]


class BadEntry(ValueError):
    """Data that does not have the shape of the type it should become."""


def encode(value: Any) -> Any:
    """JSON data for a result (dataclasses as objects, tuples and sets as lists)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    if isinstance(value, frozenset):
        return sorted(encode(item) for item in value)
    if isinstance(value, dict):  # an object when JSON can keep its keys, else pairs
        if all(type(key) is str for key in value):
            return {key: encode(item) for key, item in value.items()}
        return [[encode(key), encode(item)] for key, item in value.items()]
    return value


def decode_result(data: Any) -> FileResult:
    """The :class:`FileResult` ``data`` encodes; :class:`BadEntry` if it is not one."""
    try:
        return _decoder(FileResult)(data)
    except BadEntry:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as error:
        raise BadEntry(f"{type(error).__name__}: {error}") from None


@functools.cache
def _decoder(kind: Any) -> Decoder:
    """A function that rebuilds a value of type ``kind`` from its JSON data, or raises."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if kind is Any:
        return _json_value
    if kind in (str, int, float) or kind is type(None):
        return functools.partial(_exactly, kind)
    if kind is bool:
        return functools.partial(_exactly, bool)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind
    if origin in (typing.Union, types.UnionType):
        return functools.partial(_first_of, tuple(_decoder(arg) for arg in args))
    if origin in (list, tuple, frozenset) and (origin is not tuple or args[-1:] == (...,)):
        item = _decoder(args[0])
        return functools.partial(_sequence, origin, item)
    if origin is tuple:
        return functools.partial(_fixed_tuple, tuple(_decoder(arg) for arg in args))
    if origin is dict:
        return functools.partial(_mapping, _decoder(args[0]), _decoder(args[1]))
    if dataclasses.is_dataclass(kind):  # its fields' decoders on first use: it may hold itself
        return functools.partial(_dataclass, kind)
    raise TypeError(f"no JSON decoder for {kind!r}")


def _exactly(kind: type, value: Any) -> Any:
    if type(value) is kind or (kind is float and type(value) is int):
        return value
    raise BadEntry(f"expected {kind.__name__}, got {type(value).__name__}")


def _json_value(value: Any) -> Any:
    """Anything JSON gives (for free-form fields such as ``Diagnostic.extra``)."""
    return value


def _first_of(options: tuple[Decoder, ...], value: Any) -> Any:
    for option in options:
        try:
            return option(value)
        except (BadEntry, ValueError, TypeError):
            continue
    raise BadEntry(f"no alternative fits {type(value).__name__}")


def _list(value: Any) -> list[Any]:
    if type(value) is not list:
        raise BadEntry(f"expected a list, got {type(value).__name__}")
    return value


def _sequence(kind: type, item: Decoder, value: Any) -> Any:
    elements = _list(value)
    if not elements:  # most are (a cached run decodes thousands of results)
        return kind()
    decoded = [item(element) for element in elements]
    return decoded if kind is list else kind(decoded)


def _fixed_tuple(items: tuple[Decoder, ...], value: Any) -> tuple[Any, ...]:
    elements = _list(value)
    if len(elements) != len(items):
        raise BadEntry(f"expected {len(items)} items, got {len(elements)}")
    return tuple(item(element) for item, element in zip(items, elements, strict=True))


def _mapping(key: Decoder, item: Decoder, value: Any) -> dict[Any, Any]:
    pairs = value.items() if type(value) is dict else (
        _fixed_tuple((_any, _any), pair) for pair in _list(value))
    return {key(k): item(v) for k, v in pairs}


def _any(value: Any) -> Any:
    return value


@functools.cache
def _fields(kind: type) -> tuple[tuple[tuple[str, Decoder], ...], frozenset[str]]:
    """The (name, decoder) of each field of ``kind``, and the set of their names."""
    hints = typing.get_type_hints(kind)
    fields = tuple((f.name, _decoder(hints[f.name]))
                   for f in dataclasses.fields(kind) if f.init)
    return fields, frozenset(name for name, _ in fields)


def _dataclass(kind: type, value: Any) -> Any:
    fields, names = _fields(kind)
    if type(value) is not dict or value.keys() != names:
        raise BadEntry(f"expected the fields of {kind.__name__}")
    return kind(**{name: decode(value[name]) for name, decode in fields})
