"""Reuse, across edits of one buffer, what statement-local rules found in each function
and class the edit left alone.

Each statement-local rule (``Rule.scope == "statement"``) runs on a view of the file whose
node lists hold one top-level function or class, and once more on a view holding every
other top-level statement (module-level code is never cached: it reads the statements
before it). Its findings in a function or class are stored under the statement's text,
the module-level environment the statement starts in, and a digest of the file's
module-level facts (:mod:`lintnn.static.engine.fingerprint`); a later check with the same keys
reuses them, moved to the statement's new line. What a rule read of other top-level
statements keys its findings too (:mod:`lintnn.static.syntax.reads`: the calls that pass a
parameter its value, the function whose result it reads, the class whose output a loss is
fed, also through facts memoised by another rule): they are reused only while those
statements' keys are in the file (a module-level statement's: its text and the
environment it is evaluated in). A read of every call of a function, or of every mention
of a name, is keyed by the statements that hold one (for a name: whose text holds it). The
loss objects a statement passes to project functions (a call fact of the file, each
call's its own) are kept per statement the same way. A rule
that reports outside the statement it was run on, or crashes, is run over the whole file
instead, as :func:`~lintnn.static.engine.analyze.run_rules` does. Class summaries are
cached the same way.
"""

from __future__ import annotations

import ast
import copy
import functools
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from functools import cached_property

import libcst as cst

from lintnn.diagnostics import Diagnostic, Location
from lintnn.static.analyses.project_losses import builds_a_loss, losses_passed, passed_losses
from lintnn.static.analyses.summary import calls_by_outer_class, summarize_class
from lintnn.static.engine.analyze import (
    FileResult,
    add_diagnostic,
    file_calls,
    finding_nodes,
    finding_positions,
    run_all,
    run_rule,
    to_diagnostic,
)
from lintnn.static.engine.fingerprint import Fingerprints
from lintnn.static.rules.base import Rule
from lintnn.static.syntax.context import FileContext, RawFinding
from lintnn.static.syntax.index import NodeIndex
from lintnn.static.syntax.project import CallFact, ClassSummary, Requirement
from lintnn.static.syntax.reads import Frame, flatten
from lintnn.static.syntax.statements import (
    Span,
    Statement,
    line_offsets,
    statements,
    top_path,
    top_statement,
)

# FileContext attributes a view shares with the file's context; helpers' caches
# (``_mode_index``, ``_data_calls``...) are left out, as they depend on the node lists.
_SHARED = frozenset({"path", "source", "module", "module_name", "is_package", "imports",
                     "frameworks", "local_classes", "nested_classes", "_nested_names", "_flows",
                     "_class_attrs", "call_graph", "_param_values", "_bindings",
                     "sole_model_class", "_returned", "_models", "_callees", "unread", "reads",
                     "statement_spans", "light", "read_formatting"})

Conditional = tuple[Diagnostic, tuple[Requirement, ...]]
_NEVER = object()  # the key of a read node outside every top-level statement
_MODULE_LEVEL = "module-level"  # first item of the key of a read module-level statement
_CALLERS = "callers-of"  # first item of a read of a function's callers: (it, fn, their keys)
_MENTIONS = "mentions-of"  # first item of a read of a name's mentions: (it, name, their keys)
_MEMBER = "member"  # first item of a read class member's key: (it, class shape, text)
_PASSES = "passes"  # (statement key, it): the loss objects a statement passes, in ``used``
_MAX_ENVIRONMENTS = 50_000  # numbered environments kept before starting afresh


@dataclass
class _Found:
    """One rule's diagnostics in one statement, found when it began on ``line``."""

    line: int
    diagnostics: list[Diagnostic] = field(default_factory=list)
    conditional: list[Conditional] = field(default_factory=list)
    reads: tuple[Hashable, ...] = ()  # the keys of the other statements they depend on


@dataclass
class _Check:
    """The state of one check: the file, its statements and their cache keys."""

    ctx: FileContext
    statements: list[Statement]
    keys: list[Hashable | None]  # None: not cacheable (module-level code)
    order: dict[int, int]  # id(top-level node) -> its position
    environment: Callable[[cst.CSTNode], int]  # the number of the environment before one
    views: dict[int, NodeIndex] = field(default_factory=dict)  # -1: module-level code
    # The statement views made (released with the check: a flow a view made refers to it).
    contexts: list[FileContext] = field(default_factory=list)
    # The keys of the statements each fresh (group, rule) run read, besides its own.
    reads: dict[tuple[int, str], tuple[Hashable, ...]] = field(default_factory=dict)
    # Memoised keys of the statements that call a function (by id) or mention a name.
    _callers: dict[int, frozenset[Hashable]] = field(default_factory=dict)
    _mentions: dict[str, frozenset[Hashable]] = field(default_factory=dict)
    # The read keys of each class statement's members (by position; None: not known).
    _members: dict[int, tuple[Hashable, ...] | None] = field(default_factory=dict)
    _member_index: dict[int, int] = field(default_factory=dict)  # id(member) -> its place

    @cached_property
    def present(self) -> frozenset[Hashable]:
        """The keys of this file's cacheable statements."""
        return frozenset(key for key in self.keys if key is not None)

    @cached_property
    def present_module_level(self) -> frozenset[Hashable]:
        """The read keys of this file's module-level statements (made when asked)."""
        return frozenset(self.read_key(i) for i, key in enumerate(self.keys) if key is None)

    @cached_property
    def present_members(self) -> frozenset[Hashable]:
        """The read keys of the members of this file's cacheable classes."""
        return frozenset(key for position, statement in enumerate(self.statements)
                         if isinstance(statement.node, cst.ClassDef)
                         for key in self.member_keys(position) or ())

    def has(self, read: Hashable) -> bool:
        """Whether a statement with the read key ``read`` is in this file (for a read of a
        function's callers or of a name's mentions: whether they are in the same
        statements)."""
        if type(read) is tuple and read:
            kind = read[0]
            if kind == _MODULE_LEVEL:
                return read in self.present_module_level
            if kind == _MEMBER:
                return read in self.present_members
            if kind == _CALLERS:
                return self.callers_key(read[1]) == read[2]
            if kind == _MENTIONS:
                return self.mentions_key(read[1]) == read[2]
        return read in self.present

    def callers_key(self, fn: cst.FunctionDef) -> frozenset[Hashable]:
        """The keys of the statements that call ``fn`` (a function of an unchanged
        statement is the same node from one check to the next)."""
        key = self._callers.get(id(fn))
        if key is None:
            key = self._callers[id(fn)] = frozenset(
                self.node_key(call) for call in self.ctx.call_graph.callers(fn, noted=False))
        return key

    def mentions_key(self, name: str) -> frozenset[Hashable]:
        """The keys of the statements whose text holds ``name`` (every statement that
        mentions it does)."""
        key = self._mentions.get(name)
        if key is None:
            key = self._mentions[name] = frozenset(
                self.read_key(i) for i, s in enumerate(self.statements) if name in s.text)
        return key

    def read_key(self, position: int) -> Hashable:
        """The key of the statement at ``position`` as a read: a module-level statement's
        is its text and the environment it is evaluated in (what the dataflow finds in
        it follows from these), like a class's."""
        key = self.keys[position]
        if key is not None:
            return key
        statement = self.statements[position]
        return (_MODULE_LEVEL, statement.text, self.environment(statement.node))

    def node_key(self, node: cst.CSTNode, group: int | None = None) -> Hashable | None:
        """The read key of what holds ``node``: the member of a class (a method, a class
        attribute) when it lies inside one, so that a read of one method is not undone by
        an edit of another; else its top-level statement's. None inside ``group``."""
        path = top_path(node, self.ctx.index.parents, self.ctx.module)
        if path is None:
            return _NEVER
        current, below, under = path
        position = self.order.get(id(current))
        if position is None:
            return _NEVER
        if position == group:
            return None
        if under is not None and isinstance(current, cst.ClassDef) and below is current.body:
            members = self.member_keys(position)
            if members is not None:
                index = self._member_index.get(id(under))
                if index is None:
                    for i, member in enumerate(current.body.body):  # type: ignore[union-attr]
                        self._member_index[id(member)] = i
                    index = self._member_index.get(id(under))
                if index is not None:
                    return members[index]
        return self.read_key(position)

    def member_keys(self, position: int) -> tuple[Hashable, ...] | None:
        """The read key of each member of the class statement at ``position``, in the
        order of libcst's class body."""
        if position in self._members:
            return self._members[position]
        statement, key = self.statements[position], self.keys[position]
        node = statement.node
        keys = None
        if key is not None and isinstance(node, cst.ClassDef) and isinstance(
                node.body, cst.IndentedBlock):
            counts = tuple(len(m.body) if isinstance(m, cst.SimpleStatementLine) else 1
                           for m in node.body.body)
            keys = _member_keys(statement.text, key[1], counts)  # type: ignore[index]
        self._members[position] = keys
        return keys

    def view(self, group: int) -> NodeIndex:
        index = self.views.get(group)
        if index is None:
            tops = [self.statements[group].node] if group >= 0 else [
                s.node for s, key in zip(self.statements, self.keys, strict=True) if key is None]
            index = self.views[group] = self.ctx.index.restricted_to(tops)
        return index

    def context(self, group: int) -> FileContext:
        """A new view of the statements of ``group`` (see :meth:`view`)."""
        view = _view(self.ctx, self.view(group))
        self.contexts.append(view)
        return view

    def position_of(self, node: cst.CSTNode) -> int | None:
        top = top_statement(node, self.ctx.index.parents, self.ctx.module)
        return self.order.get(id(top)) if top is not None else None


class StatementCache:
    """The per-statement findings and class summaries of one buffer."""

    def __init__(self) -> None:
        self._module_key: Hashable = None
        self._found: dict[tuple[Hashable, str], _Found] = {}
        # A class's summary, with the keys of the other statements it read.
        self._summaries: dict[Hashable, tuple[ClassSummary, tuple[Hashable, ...]]] = {}
        # The loss objects a statement passes to project functions, with what they read.
        self._passes: dict[Hashable, tuple[list[CallFact], tuple[Hashable, ...]]] = {}
        # (statement key, rule code) where the rule reported outside the statement (or
        # crashed): while such a statement is in the file, the rule runs on all of it.
        self._whole_file: set[tuple[Hashable, str]] = set()
        self._environments: dict[Hashable, int] = {}  # module-level environment -> number
        self.reused = 0  # (statement, rule) results taken from the cache, for tests
        self.analysed = 0  # (statement, rule) results computed

    def run(self, ctx: FileContext, active: list[Rule], result: FileResult,
            wants_summary: bool, spans: list[Span],
            wants_calls: tuple[bool, bool] = (False, False)) -> None:
        """Like :func:`~lintnn.static.engine.analyze.run_all`, with the same outcome."""
        ctx.reads.start()  # before any fact is memoised: each keeps what it read
        found = statements(ctx.module, spans, ctx.source)
        local = [rule for rule in active if rule.statement_local(ctx)]
        if found is None or not (local or wants_summary or wants_calls[1]):
            run_all(ctx, active, result, wants_summary, wants_calls)
            return
        try:
            check = self._begin(ctx, found)
        except Exception:  # e.g. the dataflow fails here: the whole-file run reports it
            run_all(ctx, active, result, wants_summary, wants_calls)
            return
        try:
            self._run(check, active, local, result, wants_summary, wants_calls)
        finally:
            for view in check.contexts:
                view.release(shared=False)

    def _run(self, check: _Check, active: list[Rule], local: list[Rule], result: FileResult,
             wants_summary: bool, wants_calls: tuple[bool, bool]) -> None:
        ctx = check.ctx
        used: set[Hashable] = set()
        fresh: dict[Rule, list[tuple[int, RawFinding]]] = {}
        for rule in active:
            if rule in local:
                findings = self._run_local(check, rule, result)
                if findings is not None:
                    fresh[rule] = findings
                    continue
            run_rule(ctx, rule, result)
        ctx.current_rule = None
        if wants_summary:
            result.classes = self._summarize(check, used)
        self._emit(check, active, fresh, result, used)
        result.calls = file_calls(ctx, wants_calls, lambda _: self._passed(check, used))
        self._found = {k: v for k, v in self._found.items() if k in used}
        self._summaries = {k: v for k, v in self._summaries.items() if k in used}
        self._passes = {k: v for k, v in self._passes.items() if (k, _PASSES) in used}
        present = {*check.keys, None}
        self._whole_file = {k for k in self._whole_file if k[0] in present}

    # Keys ---------------------------------------------------------------------------

    def _begin(self, ctx: FileContext, found: list[Statement]) -> _Check:
        prints = Fingerprints(ctx)
        module_key = prints.module()
        if module_key != self._module_key or len(self._environments) > _MAX_ENVIRONMENTS:
            self._module_key = module_key
            self._found.clear()
            self._summaries.clear()
            self._passes.clear()
            self._whole_file.clear()
            self._environments.clear()
        # Only a class body runs in the module-level environment of its place; decorators,
        # defaults and bodies of functions belong to the function's scope, which reads
        # module-level values from the final environment (in the module key).
        # Environments are numbered: a key is then cheap to hash (a tuple does not keep
        # its hash, and the cache is asked once per statement and rule).
        environments = self._environments
        ctx.call_graph  # noqa: B018 (made on the whole file's index, then shared by the views)

        def environment(node: cst.CSTNode) -> int:
            return environments.setdefault(prints.before(node), len(environments))

        order = {id(s.node): i for i, s in enumerate(found)}
        keys: list[Hashable | None] = [
            None if not s.cacheable else (s.text, environment(s.node) if isinstance(
                s.node, cst.ClassDef) else -1)
            for s in found]
        return _Check(ctx, found, keys, order, environment)

    # Rules --------------------------------------------------------------------------

    def _run_local(self, check: _Check, rule: Rule,
                   result: FileResult) -> list[tuple[int, RawFinding]] | None:
        """Fresh findings of ``rule`` as (statement position, finding), in the statements
        its cache does not cover; None when it must run over the whole file."""
        if any((key, rule.code) in self._whole_file for key in check.keys):
            return None
        groups = [i for i, key in enumerate(check.keys)
                  if key is not None and not self._reusable(check, (key, rule.code))]
        self.reused += sum(key is not None for key in check.keys) - len(groups)
        if any(key is None for key in check.keys):
            groups.append(-1)
        out: list[tuple[int, RawFinding]] = []
        for group in groups:
            view = check.context(group)
            view.current_rule = rule
            try:
                with view.reads.collecting() as frame:
                    rule.check(view)
            except Exception:  # the whole-file run reports it, with what came before
                return self._give_up(check, rule, group)
            for finding in view.findings:
                position = check.position_of(finding.node)
                if position is None or not _inside(check, finding, group, position):
                    return self._give_up(check, rule, group)  # it reads beyond the statement
                out.append((position, finding))
            if group >= 0:
                check.reads[group, rule.code] = _read_keys(check, group, frame)
                self.analysed += 1
        return out

    def _reusable(self, check: _Check, key: tuple[Hashable, str]) -> bool:
        """The cache holds findings for ``key`` and the statements they read are unchanged;
        stale findings are dropped."""
        found = self._found.get(key)
        if found is None:
            return False
        if all(check.has(read) for read in found.reads):
            return True
        del self._found[key]
        return False

    def _give_up(self, check: _Check, rule: Rule, group: int) -> None:
        """Forget ``rule``'s cached findings: it runs over the whole file while the
        statement (``group``) it could not be confined to is there."""
        self._found = {k: v for k, v in self._found.items() if k[1] != rule.code}
        self._whole_file.add((check.keys[group] if group >= 0 else None, rule.code))
        return None

    # Findings -----------------------------------------------------------------------

    def _emit(self, check: _Check, active: list[Rule],
              fresh: dict[Rule, list[tuple[int, RawFinding]]], result: FileResult,
              used: set[Hashable]) -> None:
        """Diagnostics in the order of the rules, then of the statements."""
        ctx = check.ctx
        findings = ctx.findings + [f for found in fresh.values() for _, f in found]
        lines = [s.line for s in check.statements]
        positions = finding_positions(ctx, findings, lines) if findings else {}

        def diagnose(finding: RawFinding) -> Diagnostic | None:
            return to_diagnostic(ctx, finding, positions, result.path)

        for rule in active:
            if rule not in fresh:
                for finding in ctx.findings:
                    if finding.rule is rule:
                        add_diagnostic(result, finding, diagnose(finding))
                continue
            by_position: dict[int, list[RawFinding]] = {}
            for position, finding in fresh[rule]:
                by_position.setdefault(position, []).append(finding)
            for position, statement in enumerate(check.statements):
                key = check.keys[position]
                findings = by_position.get(position, [])
                if key is None:
                    for finding in findings:
                        add_diagnostic(result, finding, diagnose(finding))
                    continue
                cached = self._found.get((key, rule.code))
                if cached is None:
                    cached = self._found[key, rule.code] = _Found(
                        statement.line, reads=check.reads.get((position, rule.code), ()))
                    for finding in findings:
                        add_diagnostic(cached, finding, diagnose(finding))
                used.add((key, rule.code))
                delta = statement.line - cached.line
                result.diagnostics += [_moved(d, delta) for d in cached.diagnostics]
                result.conditional += [(_moved(d, delta), r) for d, r in cached.conditional]

    # Call facts ---------------------------------------------------------------------

    def _passed(self, check: _Check, used: set[Hashable]) -> list[CallFact]:
        """:func:`~lintnn.static.analyses.project_losses.passed_losses`, statement by
        statement (module-level ones are not kept)."""
        ctx = check.ctx
        if not builds_a_loss(ctx):
            return []
        facts: list[CallFact] = []
        try:
            for position, key in enumerate(check.keys):
                kept = self._passes.get(key) if key is not None else None
                if kept is None or not all(check.has(read) for read in kept[1]):
                    view = check.context(position)
                    with view.reads.collecting() as frame:
                        found = losses_passed(view)
                    kept = (found, _read_keys(check, position, frame) if key is not None else ())
                    if key is not None:
                        self._passes[key] = kept
                if key is not None:
                    used.add((key, _PASSES))
                facts += kept[0]
        except Exception:  # the whole-file run fails as a full check does
            return passed_losses(ctx)
        return facts

    # Class summaries ----------------------------------------------------------------

    def _summarize(self, check: _Check, used: set[Hashable]) -> list[ClassSummary]:
        ctx = check.ctx
        summaries: list[ClassSummary] = []
        elsewhere: dict[cst.ClassDef, list[cst.Call]] | None = None
        try:
            for class_def in ctx.file_classes:
                position = check.position_of(class_def)
                key = check.keys[position] if position is not None else None
                if key is None:
                    if elsewhere is None:
                        elsewhere = calls_by_outer_class(ctx, check.view(-1).calls)
                    summaries.append(summarize_class(ctx, class_def, elsewhere))
                    continue
                nested = check.statements[position].node is not class_def  # in a function
                kept_as = (key, ctx.class_qualname(class_def)) if nested else key
                kept = self._summaries.get(kept_as)
                if kept is None or not all(check.has(read) for read in kept[1]):
                    calls = check.view(position).calls
                    with ctx.reads.collecting() as frame:
                        summary = summarize_class(ctx, class_def, calls_by_outer_class(
                            ctx, calls) if nested else {class_def: calls})
                    kept = self._summaries[kept_as] = (
                        summary, _read_keys(check, position, frame))
                used.add(kept_as)
                summaries.append(kept[0])
        except Exception:  # the index is best effort: a class we cannot summarise is unknown
            return []
        return summaries


def _read_keys(check: _Check, group: int, frame: Frame) -> tuple[Hashable, ...]:
    """The keys of the statements other than ``group`` that hold a node of ``frame``, the
    callers' keys of each function whose callers it read, and the keys of the statements
    that may mention each name whose mentions it read."""
    nodes, called, mentioned = flatten(frame)
    keys: dict[Hashable, None] = {}
    for node in nodes:
        key = check.node_key(node, group)
        if key is not None:
            keys[key] = None
    return (*keys, *((_CALLERS, fn, check.callers_key(fn)) for fn in called),
            *((_MENTIONS, name, check.mentions_key(name)) for name in mentioned))


@functools.lru_cache(maxsize=256)  # the classes of the open buffers; each holds its texts
def _member_keys(text: str, environment: int,
                 counts: tuple[int, ...]) -> tuple[Hashable, ...] | None:
    """The read keys of a class's members, given the class statement's text, the number
    of the environment it runs in and how many ``ast`` statements each libcst member holds
    (``a = 1; b = 2`` is one). A key is the member's text and the class's shape: its
    environment, its header (decorators, name, bases) and the names of its methods and
    nested classes and the texts of its other members, so that what a method reads of the
    class around it (which method is called ``forward``, a class attribute) is keyed too.
    None when ``text`` is not one class statement."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.ClassDef) or (
            sum(counts) != len(tree.body[0].body)):
        return None
    starts = line_offsets(text)
    members = tree.body[0].body
    spans = [Span.of(stmt) for stmt in members]
    texts: list[str] = []
    outline: list[str] = []
    position = 0
    for count in counts:
        first, last = spans[position], spans[position + count - 1]
        texts.append(text[starts[first.first - 1]:starts[min(last.end, len(starts) - 1)]])
        member = members[position]
        outline.append(member.name if isinstance(member, (
            ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else texts[-1])
        position += count
    shape = (environment, text[:starts[spans[0].first - 1]], tuple(outline))
    return tuple((_MEMBER, shape, member_text) for member_text in texts)


def _view(ctx: FileContext, index: NodeIndex) -> FileContext:
    """``ctx`` whose node lists are ``index``'s, with its own findings and helper caches."""
    view = copy.copy(ctx)
    view.__dict__ = {k: v for k, v in ctx.__dict__.items() if k in _SHARED}
    view.index = index
    view.findings = []
    view.current_rule = None
    return view


def _inside(check: _Check, finding: RawFinding, group: int, position: int) -> bool:
    """Every node of ``finding`` is in the statements of ``group``."""
    def allowed(at: int | None) -> bool:
        return at is not None and (at == group if group >= 0 else check.keys[at] is None)

    if not allowed(position):
        return False
    others = [n for n in finding_nodes([finding]) if n is not finding.node]
    return all(allowed(check.position_of(node)) for node in others)


def _moved(diagnostic: Diagnostic, delta: int) -> Diagnostic:
    """``diagnostic`` (and its fix) ``delta`` lines further down."""
    if not delta:
        return diagnostic

    def move(location: Location) -> Location:
        return Location(location.row + delta, location.column)

    moved = copy.copy(diagnostic)  # ``replace`` would run __post_init__ again
    object.__setattr__(moved, "location", move(diagnostic.location))
    object.__setattr__(moved, "end_location", move(diagnostic.end_location))
    if diagnostic.fix is not None:
        object.__setattr__(moved, "fix", replace(diagnostic.fix, edits=tuple(
            replace(e, start=move(e.start), end=move(e.end)) for e in diagnostic.fix.edits)))
    return moved
