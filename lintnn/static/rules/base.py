"""The base class of a static rule, and the registry every rule joins."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from lintnn.diagnostics import Severity
from lintnn.static import knowledge
from lintnn.static.knowledge.keras import PROBABILITY_ACTIVATIONS
from lintnn.static.syntax.context import FileContext


@dataclass(frozen=True)
class Needs:
    """A condition a file must meet for a rule to fire: at least one of these occurs in it.

    The engine's gate (:mod:`lintnn.static.engine.gate`) checks it on CPython's syntax tree
    and skips the rule (and libcst's parse, if no rule is left) where it fails, so it must
    be *necessary*: every finding the rule could report needs it, whatever the file
    around it. Where unsure, name more, or leave ``needs`` unset.
    """

    # Identifiers: a name, an attribute, a part of an imported module or name, a keyword
    # argument, a parameter, a function or class name; or a string literal spelling one
    # (``mutable=["batch_stats"]``, ``loss="binary_crossentropy"``).
    names: tuple[str, ...] = ()
    # Roles of the knowledge base, as identifiers: see :func:`role_names`.
    roles: tuple[str, ...] = ()
    # A call of one of these (the callee's last name: ``step`` in ``opt.step()``).
    calls: tuple[str, ...] = ()
    # A call of one of these with no argument at all (``probs.log()``).
    bare_calls: tuple[str, ...] = ()
    # A call whose callee ``FileContext.callee`` finds in the knowledge base with one of
    # these roles: through an import (``torch.log(p)``, ``F.softmax(z)``, not
    # ``self.log(...)``) or as a method of the tables (``x.softmax(-1)``).
    callee_roles: tuple[str, ...] = ()
    # A call of one of these inside a ``for`` or ``while`` loop, or inside a function of
    # the file named like a call in such a loop (at any depth): a training-loop event.
    loop_calls: tuple[str, ...] = ()
    # A function whose name passes this test (``is_evaluation_name``).
    functions: Callable[[str], bool] | None = None
    # An assignment (``=``) to a name, or a dotted name, one part of which passes this
    # test (``x_train`` in ``x_train, x_test = X[:n], X[n:]``).
    assigned: Callable[[str], bool] | None = None
    # An import from one of these frameworks (``FileContext.frameworks``).
    frameworks: tuple[str, ...] = ()
    # An identifier (as for ``names``) that passes this test: for rules that look for a
    # kind of name (``test_acc``, ``X_test``) rather than one name. Keep it cheap: it runs
    # on every identifier of the file.
    words: Callable[[str], bool] | None = None
    # An import from the project itself: a relative import, or one from a top-level
    # module that is neither a framework nor the standard library
    # (``knowledge.may_be_project_root``): a function of another file may be called.
    project_imports: bool = False
    # A call whose callee's last name passes this test (``loss_fn(out, y)``, ``self.cost(...)``).
    called: Callable[[str], bool] | None = None
    # A running total: a name (or dotted name) added to in a loop (``total += x``, ``total =
    # total + x``) and divided in the file (``total / n``, ``(total / n) / bs``, ``total /= n``).
    divided_totals: bool = False
    # A call of a name the file binds (``loss_fn(out, y)`` with ``loss_fn`` a parameter,
    # ``fn = criterion; fn(...)``, ``self.criterion(...)`` after ``self.criterion = ...``):
    # the callee's last name is a parameter's, or a target of a binding (an assignment, a
    # loop, a ``with``, ``:=``): what the dataflow can value as a parameter. A call of an
    # imported or builtin name, or a method of another object (``logger.warning``), counts
    # only where the file also binds that name.
    called_bound: bool = False


def role_names(*roles: str) -> tuple[str, ...]:
    """Every identifier through which the knowledge base can give a value one of ``roles``:
    the last part of each qualified name with it (what a file must write to reach it,
    through any import alias), each method name with it, and the keras activation strings
    (``activation="softmax"``)."""
    names = {name.rsplit(".", 1)[-1] for name, entry in knowledge.ENTRIES.items()
             if entry.roles & set(roles)}
    names |= {name for table in knowledge.METHODS.values() for name, entry in table.items()
              if entry.roles & set(roles)}
    names |= {name for name, made in PROBABILITY_ACTIVATIONS.items() if made in roles}
    return tuple(sorted(names))


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
    # What must occur in a file for the rule to fire at all: every one of these
    # conditions (see :class:`Needs`). None: the rule runs wherever its triggers occur.
    needs: ClassVar[tuple[Needs, ...] | None] = None
    fixable: ClassVar[bool] = False
    # For a rule that reports something *missing* from the program (a call never made, an
    # argument never given): words of which code supplying it would contain one (``""``:
    # any code may). Where part of the program could not be read (a notebook cell IPython
    # refuses) and holds one, the rule stays silent on the file. None: the rule reports
    # only what it sees.
    absent: ClassVar[tuple[str, ...] | None] = None
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

