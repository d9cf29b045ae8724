"""Which function of this file a call calls, who calls each function, and with what.

Only calls the file makes to its own functions are followed: ``helper(...)`` for a
module-level (or nested) function whose name is unique in the file,
``self.method(...)`` inside the class that defines ``method``, and ``Trainer(...)`` for
the ``__init__`` of a top-level class of the file.
"""

from __future__ import annotations

import libcst as cst

from lintnn.static.syntax.index import NodeIndex
from lintnn.static.syntax.nodes import argument, has_star_args


class CallGraph:
    """The file's calls of its own functions, in both directions."""

    def __init__(self, index: NodeIndex) -> None:
        self.index = index
        self._by_name: dict[str, list[cst.FunctionDef]] = {}
        for fn in index.functions:
            self._by_name.setdefault(fn.name.value, []).append(fn)
        self._callers: dict[cst.FunctionDef, list[cst.Call]] | None = None
        self._classes: dict[str, list[cst.ClassDef]] = {}
        for class_def in index.classes:
            self._classes.setdefault(class_def.name.value, []).append(class_def)

    def target(self, call: cst.Call) -> cst.FunctionDef | None:
        """The function of this file ``call`` calls, if it is certain."""
        func = call.func
        if isinstance(func, cst.Name):
            found = self._by_name.get(func.value, [])
            if len(found) == 1 and self.index.enclosing_class(found[0]) is None:
                return found[0]
            classes = self._classes.get(func.value, [])
            if not found and len(classes) == 1:
                return method_of(classes[0], "__init__")
            return None
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and (
            func.value.value == "self"
        ):
            owner = self.index.enclosing_class(call)
            return method_of(owner, func.attr.value) if owner is not None else None
        return None

    def callers(self, fn: cst.FunctionDef) -> list[cst.Call]:
        """Calls of ``fn`` in this file, outside ``fn`` itself (recursion is not a caller)."""
        if self._callers is None:
            self._callers = {}
            for call in self.index.calls:
                target = self.target(call)
                if target is not None:
                    self._callers.setdefault(target, []).append(call)
        return [call for call in self._callers.get(fn, ())
                if not self.index.is_inside(call, fn)]

    def argument_for(self, fn: cst.FunctionDef, param: cst.Param,
                     call: cst.Call) -> cst.BaseExpression | None:
        """The expression ``call`` passes for ``param`` of ``fn``; None when it passes none
        (the default applies) or when ``*args`` / ``**kwargs`` hide it."""
        if has_star_args(call):
            return None
        positional = [*fn.params.posonly_params, *fn.params.params]
        if param not in positional:
            return argument(call, None, param.name.value)
        position = positional.index(param)
        if self.index.enclosing_class(fn) is not None and (
                isinstance(call.func, cst.Attribute) or fn.name.value == "__init__"):
            position -= 1  # self.method(...), Cls(...): the receiver fills the first parameter
            if position < 0:
                return None
        return argument(call, position, param.name.value)

    def passes(self, fn: cst.FunctionDef, param: cst.Param, call: cst.Call) -> bool:
        """Whether ``call`` passes something for ``param`` (else its default applies);
        True when ``*args`` / ``**kwargs`` may."""
        return has_star_args(call) or self.argument_for(fn, param, call) is not None


def method_of(class_def: cst.ClassDef, name: str) -> cst.FunctionDef | None:
    body = class_def.body.body if isinstance(class_def.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name:
            return stmt
    return None
