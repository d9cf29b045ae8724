"""Everything a rule can ask about one file, computed lazily and once."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Protocol

import libcst as cst

from lintnn.diagnostics import Applicability, Severity
from lintnn.static import knowledge
from lintnn.static.knowledge.base import Entry
from lintnn.static.syntax.dataflow import Flow, Kind, Value
from lintnn.static.syntax.imports import ImportMap, canonical, dotted_name
from lintnn.static.syntax.index import NodeIndex
from lintnn.static.syntax.nodes import method_name
from lintnn.static.syntax.project import Requirement
from lintnn.static.syntax.statements import line_starts


class ReportingRule(Protocol):
    """What a finding keeps of the rule that reported it (every ``rules.base.Rule`` has it)."""

    code: str
    name: str
    severity: Severity
    message: str


@dataclass(frozen=True)
class NodeFix:
    """A fix as libcst node replacements; turned into text edits by the engine."""

    message: str
    replacements: tuple[tuple[cst.CSTNode, cst.CSTNode], ...]
    applicability: Applicability = Applicability.SAFE


@dataclass
class RawFinding:
    rule: ReportingRule
    node: cst.CSTNode
    message: str
    fix: NodeFix | None = None
    requires: tuple[Requirement, ...] = ()
    end_node: cst.CSTNode | None = None


@dataclass
class FileContext:
    """A parsed file, its imports and node index, dataflow on demand, and a report sink."""

    path: Path
    source: str
    module: cst.Module
    module_name: str = ""
    is_package: bool = False
    findings: list[RawFinding] = field(default_factory=list)
    current_rule: ReportingRule | None = None

    def __post_init__(self) -> None:
        self.imports = ImportMap(self.module_name, self.is_package)
        self.index = NodeIndex.build(self.module, self.imports)
        roots = {q.split(".")[0] for q in self.imports.aliases.values()}
        self.frameworks = frozenset(
            knowledge.FRAMEWORK_OF_ROOT[r] for r in roots if r in knowledge.FRAMEWORK_OF_ROOT
        )
        self.local_classes = {c.name.value: c for c in self.index.classes
                              if self.index.enclosing_class(c) is None
                              and self.index.enclosing_function(c) is None}
        self._flows: dict[cst.CSTNode, Flow] = {}
        self._class_attrs: dict[cst.ClassDef, dict[str, Value]] = {}

    @cached_property
    def line_starts(self) -> list[int]:
        """Offsets of the source's lines, as CPython counts them (see ``line_starts``)."""
        return line_starts(self.source)

    # Names ------------------------------------------------------------------------

    def qualname(self, node: cst.BaseExpression) -> str | None:
        """Canonical qualified name of an imported name or attribute chain."""
        return self.imports.resolve(node)

    def qualname_of_class(self, node: cst.BaseExpression) -> str | None:
        """Like :meth:`qualname`, also for classes defined at the top of this file."""
        resolved = self.imports.resolve(node)
        if resolved is not None:
            return resolved
        dotted = dotted_name(node)
        if dotted is not None and dotted in self.local_classes:
            return f"{self.module_name}.{dotted}" if self.module_name else dotted
        return None

    def may_be_project_class(self, qualname: str) -> bool:
        """True for a class the project may define (so the project index may know it)."""
        root = qualname.split(".")[0]
        if root in knowledge.KNOWN_ROOTS or knowledge.is_framework_name(qualname):
            return False
        last = qualname.rsplit(".", 1)[-1]
        return last[:1].isupper()

    def entry(self, node: cst.BaseExpression) -> Entry | None:
        """Knowledge-base entry of a referenced function or class."""
        return knowledge.lookup(self.qualname(node))

    def callee(self, call: cst.Call) -> tuple[str | None, Entry | None]:
        """Qualified name and entry of what a call calls; methods by name as fallback."""
        qualname = self.qualname(call.func)
        if qualname is not None:
            return qualname, knowledge.lookup(canonical(qualname))
        name = method_name(call)
        if name is not None:
            return None, knowledge.method(name, self.frameworks)
        return None, None

    @property
    def is_test_file(self) -> bool:
        """A unit-test module: tests pin weights, seeds, keys and data order on purpose,
        to assert exact numbers, so rules about those stay silent there."""
        name = self.path.name
        return (name.startswith("test_") or name.endswith("_test.py")
                or name == "conftest.py" or "tests" in self.path.parts[:-1])

    # Dataflow ---------------------------------------------------------------------

    def scope_of(self, node: cst.CSTNode) -> cst.FunctionDef | cst.Module:
        return self.index.enclosing_function(node) or self.module

    def module_flow(self) -> Flow:
        return self.flow(self.module)

    def flow(self, scope: cst.FunctionDef | cst.Module) -> Flow:
        flow = self._flows.get(scope)
        if flow is None:
            attrs = None
            if isinstance(scope, cst.FunctionDef):
                owner = self.index.enclosing_class(scope)
                if owner is not None:
                    attrs = self.class_attributes(owner)
            flow = Flow(self, scope, attrs)
            self._flows[scope] = flow
        return flow

    def value(self, expr: cst.BaseExpression) -> Value | None:
        """What ``expr`` evaluates to at its place in the program, if known."""
        return self.flow(self.scope_of(expr)).value_of(expr)

    def class_attributes(self, class_def: cst.ClassDef) -> dict[str, Value]:
        """``self.x`` bindings that every method of the class agrees on."""
        cached = self._class_attrs.get(class_def)
        if cached is not None:
            return cached
        self._class_attrs[class_def] = {}  # guards against recursion
        seen: dict[str, Value | None] = {}
        for method in self.methods(class_def):
            flow = Flow(self, method, None)
            for name, value in flow.self_assignments:
                if name not in seen:
                    seen[name] = value
                elif seen[name] is not None and not (
                    value is not None and seen[name].same_as(value)  # type: ignore[union-attr]
                ):
                    seen[name] = None
        # flax dataclass-style fields: ``dense: nn.Module = nn.Dense(4)``
        attrs = {k: v for k, v in seen.items() if v is not None}
        self._class_attrs[class_def] = attrs
        return attrs

    def methods(self, class_def: cst.ClassDef) -> list[cst.FunctionDef]:
        body = class_def.body.body if isinstance(class_def.body, cst.IndentedBlock) else ()
        return [stmt for stmt in body if isinstance(stmt, cst.FunctionDef)]

    def method(self, class_def: cst.ClassDef, *names: str) -> cst.FunctionDef | None:
        for fn in self.methods(class_def):
            if fn.name.value in names:
                return fn
        return None

    def class_qualname(self, class_def: cst.ClassDef) -> str:
        name = class_def.name.value
        return f"{self.module_name}.{name}" if self.module_name else name

    def is_module_class(self, class_def: cst.ClassDef) -> bool:
        """True when a base class is a framework module or any non-framework class."""
        for base in class_def.bases:
            value = self.qualname_of_class(base.value)
            if value is not None:
                entry = knowledge.lookup(value)
                if entry is not None and "module.base" in entry.roles:
                    return True
                if self.may_be_project_class(value):
                    return True
        return False

    # Reporting --------------------------------------------------------------------

    def report(
        self,
        node: cst.CSTNode,
        message: str | None = None,
        *,
        fix: NodeFix | None = None,
        requires: tuple[Requirement, ...] = (),
        end_node: cst.CSTNode | None = None,
    ) -> None:
        """Record a finding of the rule being run at ``node``.

        ``requires`` makes it conditional on facts about project classes, checked
        once the whole project is indexed.
        """
        assert self.current_rule is not None, "report() called outside a rule"
        self.findings.append(
            RawFinding(self.current_rule, node, message or self.current_rule.message, fix,
                       tuple(requires), end_node)
        )

    def requirement(self, value: Value, fact: str, role: str) -> Requirement | None:
        """A requirement on the project class behind ``value``, or None if there is none."""
        if value.project_class is None:
            return None
        return Requirement(value.project_class, fact, role, str(self.path))

    @staticmethod
    def is_result(value: Value | None) -> bool:
        return value is not None and value.kind is Kind.RESULT
