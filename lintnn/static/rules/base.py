"""The base class of a static rule, and the registry every rule joins."""

from __future__ import annotations

from typing import ClassVar

from lintnn.diagnostics import Severity
from lintnn.static.syntax.context import FileContext


class Rule:
    """A static rule: one class, one file, named after what it forbids.

    Subclasses set the class attributes and implement :meth:`check`, which inspects
    the :class:`FileContext` and calls ``ctx.report(node, ...)``. The rule's page,
    ``rules/<CODE>.md``, is its documentation; its examples are executed by the tests.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    message: ClassVar[str]
    frameworks: ClassVar[tuple[str, ...]] = ()
    # Substrings of which at least one must appear in a file for the rule to run on it:
    # a cheap byte-level prefilter that skips most files without parsing them.
    triggers: ClassVar[tuple[str, ...]] = ()
    fixable: ClassVar[bool] = False
    # "statement": what the rule reports in a top-level function or class depends only on
    # that statement and on module-level facts (imports, module-level values, the names of
    # the file's classes), never on another function's body; the language server then
    # reuses its findings in the statements an edit left alone. "module": anything else.
    scope: ClassVar[str] = "module"

    registry: ClassVar[dict[str, type[Rule]]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        code = cls.__dict__.get("code")
        if code is None:
            return
        if code in Rule.registry and Rule.registry[code] is not cls:
            raise ValueError(f"two rules share the code {code}")
        Rule.registry[code] = cls

    def applies_to(self, source: str) -> bool:
        return not self.triggers or any(t in source for t in self.triggers)

    def statement_local(self, ctx: FileContext) -> bool:
        """True when this file's findings can be cached per top-level statement."""
        return self.scope == "statement"

    def check(self, ctx: FileContext) -> None:
        raise NotImplementedError

