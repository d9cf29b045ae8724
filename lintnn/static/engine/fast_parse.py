"""libcst's parse, without the per-node work its own parser makes redundant.

libcst's Rust parser builds every node by calling its Python class, and each call runs the
dataclass ``__init__``, which sets each field through ``object.__setattr__`` (the nodes
are frozen) and then checks the node (``CSTNode.__post_init__`` calls ``_validate``). The
check is needed for nodes a program builds by hand and redundant for the ones libcst's own
parser builds from valid source (13-14% of the parse, measured on lightning's sources;
libcst's comment there says as much); ``object.__setattr__`` costs about twice a slot
descriptor's own set (78 against 42 ns a field). So, on the first parse, each concrete
node class gets an ``__init__`` with the same signature and effect (:func:`_fast_init`)
that stores its fields through their slot descriptors, and skips the check only while the
parser runs in the calling thread: nodes built in any other thread meanwhile, or by hand
at any time, are still checked (a tenth of the parse). Nodes also compare and hash by
identity in C rather than in libcst's Python methods (:func:`_identity_in_c`). The trees
are the same (``tests/test_fast_parse.py``). Nothing is changed at import, so importing
this module does not load libcst (``lintnn.static``).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import libcst as cst

from lintnn.static.syntax.children import node_classes

if TYPE_CHECKING:
    from libcst._nodes.base import CSTNode


class _Parsing(threading.local):
    active = False  # this thread is inside :func:`parse_module`


_parsing = _Parsing()
_validating_post_init: list[Callable[[CSTNode], None]] = []  # libcst's, once replaced
# The dataclass ``__init__`` of each class given a fast one (tests compare the two).
ORIGINAL_INITS: dict[type, Callable[..., None]] = {}
_FACTORY = object()  # the default of a field that has a default factory
_INSTALLING = threading.Lock()


def _post_init(self: CSTNode) -> None:
    if not _parsing.active:
        _validating_post_init[0](self)


def install() -> None:
    """Put :func:`_post_init` in place of libcst's node check, and the fast ``__init__``
    in the node classes (once per process, whichever thread parses first)."""
    if _validating_post_init:
        return
    with _INSTALLING:
        if _validating_post_init:
            return
        from libcst._nodes.base import CSTNode  # libcst-internal, stable since 0.3

        for kind in node_classes(CSTNode):
            fast = _fast_init(kind)
            if fast is not None:
                ORIGINAL_INITS[kind] = kind.__init__  # type: ignore[misc]
                kind.__init__ = fast  # type: ignore[misc]
            _identity_in_c(kind, CSTNode)
        _validating_post_init.append(CSTNode.__post_init__)
        CSTNode.__post_init__ = _post_init  # type: ignore[method-assign]


def _identity_in_c(kind: type, base: type) -> None:
    """Nodes are equal only to themselves and hash by identity: libcst says so in Python
    (``CSTNode.__eq__``, ``__hash__``, copied into every class), so every dictionary of
    nodes (parents, positions, memos) and every ``node in list`` called a Python function
    per node. ``object``'s own comparison and hash do the same in C (a hash by identity
    whose value is not ``id(node)``: nothing may rely on that value)."""
    if kind.__dict__.get("__eq__") is base.__dict__["__eq__"]:
        kind.__eq__ = object.__eq__  # type: ignore[method-assign, assignment]
    if kind.__dict__.get("__hash__") is base.__dict__["__hash__"]:
        kind.__hash__ = object.__hash__  # type: ignore[method-assign, assignment]


def _fast_init(kind: type) -> Callable[..., None] | None:
    """The dataclass ``__init__`` of ``kind``, storing through the slot descriptors and
    skipping the node check during a parse; None where ``kind`` is not a frozen slotted
    dataclass whose every field is an ``__init__`` parameter (its own ``__init__`` stays)."""
    if not dataclasses.is_dataclass(kind) or "__post_init__" in kind.__dict__:
        return None
    namespace: dict[str, Any] = {"_FACTORY": _FACTORY, "_parsing": _parsing}
    parameters, lines = [], []
    for number, field in enumerate(dataclasses.fields(kind)):
        slot = _slot(kind, field.name)
        if slot is None or not field.init or field.kw_only:
            return None
        namespace[f"_set{number}"] = slot.__set__
        if field.default is not dataclasses.MISSING:
            namespace[f"_default{number}"] = field.default
            parameters.append(f"{field.name}=_default{number}")
        elif field.default_factory is not dataclasses.MISSING:
            namespace[f"_factory{number}"] = field.default_factory
            parameters.append(f"{field.name}=_FACTORY")
            lines.append(f"if {field.name} is _FACTORY: {field.name} = _factory{number}()")
        else:
            parameters.append(field.name)
        lines.append(f"_set{number}(self, {field.name})")
    lines.append("if not _parsing.active: self.__post_init__()")
    source = "def __init__(self, {}):\n    {}\n".format(", ".join(parameters),
                                                      "\n    ".join(lines))
    exec(compile(source, f"<lintnn fast __init__ of {kind.__name__}>", "exec"), namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{kind.__qualname__}.__init__"
    init.__module__ = kind.__module__
    return init  # type: ignore[no-any-return]


def light_constructor(kind: type) -> Callable[..., Any]:
    """A function that builds a ``kind`` node as its ``__init__`` would, but unchecked and
    with one shared instance of each default built by a factory (a whitespace, a bracket:
    libcst builds one per node so that no two nodes share one; a tree made of these is
    for reading only, :mod:`lintnn.static.engine.from_ast`)."""
    namespace: dict[str, Any] = {"_new": object.__new__, "_kind": kind}
    parameters: list[str] = []
    keywords: list[str] = []
    lines = ["self = _new(_kind)"]
    for number, field in enumerate(dataclasses.fields(kind)):
        slot = _slot(kind, field.name)
        if slot is None or not field.init:
            raise TypeError(f"{kind.__name__}.{field.name} is not a slotted init field")
        namespace[f"_set{number}"] = slot.__set__
        if field.default is not dataclasses.MISSING:
            namespace[f"_default{number}"] = field.default
            parameter = f"{field.name}=_default{number}"
        elif field.default_factory is not dataclasses.MISSING:
            namespace[f"_default{number}"] = field.default_factory()
            parameter = f"{field.name}=_default{number}"
        else:
            parameter = field.name
        (keywords if field.kw_only else parameters).append(parameter)
        lines.append(f"_set{number}(self, {field.name})")
    lines.append("return self")
    if keywords:
        parameters += ["*", *keywords]
    source = "def new({}):\n    {}\n".format(", ".join(parameters), "\n    ".join(lines))
    exec(compile(source, f"<lintnn light {kind.__name__}>", "exec"), namespace)
    return namespace["new"]  # type: ignore[no-any-return]


def _slot(kind: type, name: str) -> Any:
    """The slot descriptor that holds field ``name`` of ``kind``'s instances, or None."""
    for klass in kind.__mro__:
        found = klass.__dict__.get(name)
        if found is not None:
            return found if type(found).__name__ == "member_descriptor" else None
    return None


def parse_module(text: str) -> cst.Module:
    """``libcst.parse_module(text)``, the nodes unvalidated (the parser made them)."""
    install()
    _parsing.active = True
    try:
        return cst.parse_module(text)
    finally:
        _parsing.active = False
