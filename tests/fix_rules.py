"""Test-only rules with fixes, independent of the real rule set.

``registered()`` adds them to ``Rule.registry`` and removes them afterwards, so other tests
never see them. Codes NN98x are not used by real rules.

- NN981 ``bad_call(...)`` -> ``good_call(...)`` (safe; nested calls need two passes)
- NN982 ``risky(...)`` -> ``careful(...)`` (unsafe)
- NN983 ``broken = ...`` -> ``broken + 1 = ...`` (the fix makes invalid code)
- NN984 ``loop_a()`` -> ``loop_b()``, and NN985 flags ``loop_b()`` (the fix adds a finding)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import libcst as cst

from lintnn.diagnostics import Applicability, Severity
from lintnn.static.rules import Rule, all_rules
from lintnn.static.syntax.context import FileContext, NodeFix


def _calls_named(ctx: FileContext, name: str) -> Iterator[cst.Call]:
    for call in ctx.index.calls:
        if isinstance(call.func, cst.Name) and call.func.value == name:
            yield call


def _renaming_rule(code: str, old: str, new: str, safe: bool = True) -> type[Rule]:
    applicability = Applicability.SAFE if safe else Applicability.UNSAFE

    def check(self: Rule, ctx: FileContext) -> None:
        for call in _calls_named(ctx, old):
            fix = NodeFix(f"call {new}", ((call, call.with_changes(func=cst.Name(new))),),
                          applicability)
            ctx.report(call, f"{old} is bad", fix=fix)

    return type(f"Rule{code}", (Rule,), {
        "code": code, "name": f"test-{old}", "severity": Severity.ERROR,
        "message": f"{old} is bad", "triggers": (old,), "fixable": True, "check": check,
    })


def _make_rules() -> list[type[Rule]]:
    class BreaksCode(Rule):
        code = "NN983"
        name = "test-broken"
        severity = Severity.WARNING
        message = "broken is bad"
        triggers = ("broken",)
        fixable = True

        def check(self, ctx: FileContext) -> None:
            for node in ctx.module.body:
                statement = node.body[0] if isinstance(node, cst.SimpleStatementLine) else None
                if isinstance(statement, cst.Assign):
                    target = statement.targets[0].target
                    if isinstance(target, cst.Name) and target.value == "broken":
                        bad = cst.BinaryOperation(target, cst.Add(), cst.Integer("1"))
                        ctx.report(target, "broken is bad", fix=NodeFix("break", ((target, bad),)))

    class FlagsLoopB(Rule):
        code = "NN985"
        name = "test-loop-b"
        severity = Severity.INFO
        message = "loop_b is bad"
        triggers = ("loop_b",)

        def check(self, ctx: FileContext) -> None:
            for call in _calls_named(ctx, "loop_b"):
                ctx.report(call, "loop_b is bad")

    return [
        _renaming_rule("NN981", "bad_call", "good_call"),
        _renaming_rule("NN982", "risky", "careful", safe=False),
        BreaksCode,
        _renaming_rule("NN984", "loop_a", "loop_b"),
        FlagsLoopB,
    ]


@contextlib.contextmanager
def registered() -> Iterator[list[type[Rule]]]:
    all_rules()  # import the real rules first: they must outlive the fakes
    rules = _make_rules()
    try:
        yield rules
    finally:
        for rule in rules:
            Rule.registry.pop(rule.code, None)
