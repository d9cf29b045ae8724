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
from lintnn.static.syntax.reads import Reads


class CallGraph:
    """The file's calls of its own functions, in both directions."""

    def __init__(self, index: NodeIndex, reads: Reads | None = None) -> None:
        self.index = index
        self.reads = reads  # told the functions and calls each answer reads
        self._by_name: dict[str, list[cst.FunctionDef]] = {}
        for fn in index.functions:
            self._by_name.setdefault(fn.name.value, []).append(fn)
        self._callers: dict[cst.FunctionDef, list[cst.Call]] | None = None
        self._classes: dict[str, list[cst.ClassDef]] = {}
        for class_def in index.classes:
            self._classes.setdefault(class_def.name.value, []).append(class_def)

    def names_key(self) -> tuple[object, ...]:
        """What :meth:`target` resolves a called name by, beyond the calling statement: the
        file's function names (whether each is a method) and class names, and where a name
        defined more than once at module level is defined (a cache keyed by the statements
        an answer read must also know the answers that found nothing)."""
        module = self.index.root
        functions = tuple(sorted(
            (name, tuple(self.index.enclosing_class(fn) is None for fn in fns),
             tuple(self.index.order.get(fn, 0) for fn in fns
                   if self.index.parent(fn) is module) if len(fns) > 1 else ())
            for name, fns in self._by_name.items()))
        return functions, tuple(sorted((name, len(c)) for name, c in self._classes.items()))

    def target(self, call: cst.Call) -> cst.FunctionDef | None:
        """The function of this file ``call`` calls, if it is certain."""
        fn = self._target(call)
        if fn is not None and self.reads is not None:
            self.reads.note(fn)
        return fn

    def _target(self, call: cst.Call) -> cst.FunctionDef | None:
        func = call.func
        if type(func) is cst.Name:
            found = self._by_name.get(func.value, [])
            if len(found) == 1 and self.index.enclosing_class(found[0]) is None:
                return found[0]
            if len(found) > 1:
                return self._redefined(found, call)
            classes = self._classes.get(func.value, [])
            if not found and len(classes) == 1:
                return method_of(classes[0], "__init__")
            return None
        if type(func) is cst.Attribute and type(func.value) is cst.Name and (
            func.value.value == "self"
        ):
            owner = self.index.enclosing_class(call)
            return method_of(owner, func.attr.value) if owner is not None else None
        return None

    def _redefined(self, found: list[cst.FunctionDef], call: cst.Call) -> cst.FunctionDef | None:
        """A function defined again (a notebook cell that redefines ``eval_model``): a call
        in module-level code runs the last definition above it, when every definition is a
        statement of the module itself."""
        module = self.index.root
        if self.index.enclosing_function(call) is not None or module is None:
            return None
        if any(self.index.parent(fn) is not module for fn in found):
            return None
        order = self.index.order
        before = [fn for fn in found if order.get(fn, 0) < order.get(call, 0)]
        return max(before, key=lambda fn: order.get(fn, 0)) if before else None

    def callers(self, fn: cst.FunctionDef, noted: bool = True) -> list[cst.Call]:
        """Calls of ``fn`` in this file, outside ``fn`` itself (recursion is not a caller);
        ``noted``: told to :attr:`reads` (what was found, and that all were asked)."""
        if self._callers is None:
            self._callers = {}
            for call in self.index.calls:
                target = self._target(call)
                if target is not None:
                    self._callers.setdefault(target, []).append(call)
        found = [call for call in self._callers.get(fn, ())
                 if not self.index.is_inside(call, fn)]
        if noted and self.reads is not None and self.reads.tracking:
            self.reads.note(fn)  # its statement first: a read of a changed one is never reused
            self.reads.note_callers(fn)
            for call in found:
                self.reads.note(call)
        return found

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
                type(call.func) is cst.Attribute or fn.name.value == "__init__"):
            position -= 1  # self.method(...), Cls(...): the receiver fills the first parameter
            if position < 0:
                return None
        return argument(call, position, param.name.value)

    def passes(self, fn: cst.FunctionDef, param: cst.Param, call: cst.Call) -> bool:
        """Whether ``call`` passes something for ``param`` (else its default applies);
        True when ``*args`` / ``**kwargs`` may."""
        return has_star_args(call) or self.argument_for(fn, param, call) is not None


def method_of(class_def: cst.ClassDef, name: str) -> cst.FunctionDef | None:
    body = class_def.body.body if type(class_def.body) is cst.IndentedBlock else ()
    for stmt in body:
        if type(stmt) is cst.FunctionDef and stmt.name.value == name:
            return stmt
    return None
