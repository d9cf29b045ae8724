"""Analyse one file: parse once, run the rules, summarise its classes.

This runs in worker processes; everything it returns is plain, picklable data.
"""

from __future__ import annotations

import ast
import functools
import re
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import libcst as cst

from lintnn.config import DEFAULT_MAX_FILE_SIZE
from lintnn.diagnostics import Diagnostic, Edit, Fix, Location, Severity
from lintnn.static.analyses.functions import module_level_names, summarize_functions
from lintnn.static.analyses.project_losses import passed_losses
from lintnn.static.analyses.splits import call_facts
from lintnn.static.analyses.summary import summarize_classes
from lintnn.static.engine.fast_parse import parse_module
from lintnn.static.engine.from_ast import Unconvertible, module_from_ast
from lintnn.static.engine.gate import Features, features, gate
from lintnn.static.engine.noqa import NoqaMap, parse_noqa
from lintnn.static.engine.render import code_in_place
from lintnn.static.engine.safe_parse import Verdict, judge, on_deep_stack, too_deep_tree
from lintnn.static.rules.base import Rule
from lintnn.static.syntax.context import FileContext, RawFinding
from lintnn.static.syntax.index import IndexPieces
from lintnn.static.syntax.positions import positions_for, statement_lines
from lintnn.static.syntax.project import (
    CallFact,
    ClassSummary,
    FunctionSummary,
    Requirement,
    module_name_for,
    project_module,
)
from lintnn.static.syntax.statements import Span, spans_of

if TYPE_CHECKING:
    from libcst.metadata import CodeRange

# A file that names none of these cannot define a model class worth indexing.
_MODEL_WORDS = ("torch", "flax", "keras", "tensorflow", "nn.", "Module",
                "def fit")  # a project preprocessor's ``fit`` (FITS_STATISTICS)


@dataclass
class FileResult:
    """What one file contributes to a run."""

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    conditional: list[tuple[Diagnostic, tuple[Requirement, ...]]] = field(default_factory=list)
    # The rule and the requirements of each conditional finding of the first pass
    # (``from_ast``), which has no position for them: where one holds, the run analyses the
    # file again on libcst's tree (``Engine._finish``), whose findings replace these.
    pending: list[tuple[str, tuple[Requirement, ...]]] = field(default_factory=list)
    classes: list[ClassSummary] = field(default_factory=list)
    calls: list[CallFact] = field(default_factory=list)  # what it does with project results
    noqa: NoqaMap = field(default_factory=dict)
    encoding: str = "utf-8"
    skipped: str | None = None  # why the file was not analysed (a message, not a finding)
    # Set when no rule could fire and the class summaries were left for later: the names
    # of the file's classes (the run summarises the file if a finding asks about one).
    deferred_classes: frozenset[str] | None = None
    # Its module-level functions and names: the run summarises them
    # (``analyses.functions``) only if a finding elsewhere asks about one.
    functions: frozenset[str] = frozenset()


def error_diagnostic(path: str, message: str, row: int = 1, column: int = 1,
                     code: str = "NN001", rule: str = "syntax-error") -> Diagnostic:
    return Diagnostic(
        code=code, rule=rule, severity=Severity.ERROR, message=message, filename=path,
        location=Location(row, column), end_location=Location(row, column),
    )


# Runs the active rules over a file's context, summarises its classes if asked, adds the
# findings to the result and the call facts asked for (:func:`file_calls`): :func:`run_all`,
# or the language server's cached run.
Runner = Callable[[FileContext, list[Rule], FileResult, bool, tuple[bool, bool]], None]


def analyze_text(path: Path, text: str, rules: list[Rule], encoding: str = "utf-8",
                 module_name: str | None = None,
                 parse: Callable[[str], cst.Module] = parse_module,
                 syntax_check: Callable[[str], Verdict] = judge,
                 run: Runner | None = None,
                 max_size: int = DEFAULT_MAX_FILE_SIZE,
                 gated: bool = True,
                 defer_summary: bool = False,
                 describe: Callable[[Verdict], Features | None] | None = None,
                 pieces: IndexPieces | None = None,
                 unread: tuple[str, ...] = (),
                 from_ast: bool = True) -> FileResult:
    """Check ``text``; files over ``max_size`` characters are only syntax-checked.

    ``syntax_check`` is CPython's verdict (the language server's re-judges only the
    edited statements, and gives no tree then); ``run`` runs the rules (the server's
    reuses the findings of unchanged statements). ``gated``: run only the rules whose
    needs the file meets (:mod:`~lintnn.static.engine.gate`; the same findings, cheaper).
    ``defer_summary``: when no rule can fire, leave the class summaries to the caller
    (``FileResult.deferred_classes``) rather than parse the file for them. ``describe``:
    the gate's features of the text (the language server's come from its statements),
    instead of a walk over the verdict's tree. ``pieces``: the node index's walks of the
    statements an earlier check of this buffer parsed (:class:`IndexPieces`). ``unread``:
    the text of code of the program left out of ``text`` (``FileContext.unread``).
    ``from_ast``: first run the rules on the tree built from CPython's
    (:mod:`~lintnn.static.engine.from_ast`, several times cheaper than libcst's parse), and
    parse with libcst only a file where that finds something (:func:`_analyze_light`); for
    the default parser only. Whatever goes wrong becomes a finding on this file: nothing
    escapes to stop the run.
    """
    name = str(path)
    result = FileResult(name, noqa=parse_noqa(text), encoding=encoding)
    if path.suffix in (".py", ".pyi"):
        result.functions = module_level_names(text)
    # Which rules' triggers the text holds is asked of the rules the gate keeps only (a
    # few of them): here, only whether any rule's are there (the same sets in the end).
    active = rules if any_triggered(tuple(rules), text) else []
    wants_summary = "class " in text and any(word in text for word in _MODEL_WORDS)
    # What this file does with a project function's results, and what it passes to them
    # (other files' findings ask).
    wants_splits = "split" in text and any(
        rule.code in _CALL_FACT_RULES and rule.applies_to(text) for rule in active)
    # (the rules enabled, not only those that fire here: the loss is used in another file)
    wants_passed = any(word in text for word in _LOSS_OBJECT_WORDS) and any(
        rule.code in _PASSED_FACT_RULES for rule in rules)
    wants_calls = wants_splits or wants_passed
    try:
        # CPython's parser judges first, under the interpreter's own recursion limit (as
        # ``python`` itself would): it refuses cleanly what would crash libcst's.
        verdict = syntax_check(text)
        found = None
        if verdict.error is None and (active or wants_summary):
            if describe is not None:  # the buffer's statements: the judge measured the depth
                found = describe(verdict)
            elif verdict.tree is not None:
                found = features(verdict.tree)
                verdict = replace(verdict, deepest=found.deepest)  # the same walk measured it
        skipped = too_large(len(text), max_size) or verdict.too_deep()
    except Exception as failure:
        result.diagnostics.append(internal_error(name, "the syntax check", failure))
        return result
    if verdict.error is not None:
        result.diagnostics.append(error_diagnostic(name, *verdict.error))
        return result
    if found is not None and gated:
        active = gate(active, found, lambda: _package_root(path, module_name),
                      lambda root: project_module(path, root))
    active = [rule for rule in active if rule.applies_to(text)]
    if not active and not wants_summary and not wants_calls:
        return result
    result.skipped = skipped
    if skipped is not None:
        return result
    if (not active and not wants_calls and found is not None
            and (defer_summary or not found.classes)):
        if found.classes:
            result.deferred_classes = found.classes
        return result
    if module_name is None:
        module_name, is_package = module_name_for(path)
    else:
        is_package = path.name == "__init__.py"
    # Where each top-level statement starts (the positions of findings read it), kept of
    # the ast tree, which libcst's is about to replace.
    tree = verdict.tree if isinstance(verdict.tree, ast.Module) else None
    spans = spans_of(tree.body) if tree is not None else None
    # CPython's tree, for the first pass; the list lets that pass drop it before libcst's
    # tree is built (the two at once would raise the peak memory).
    trees = [tree] if tree is not None and from_ast and parse is parse_module \
        and run is None and pieces is None else []
    del verdict, tree
    # libcst's parser and every recursive walk of its tree, on a stack deep enough for any
    # tree within the bounds (``safe_parse``).
    return on_deep_stack(_analyze_parsed, result, path, text, active, wants_summary,
                         (wants_splits, wants_passed), module_name, is_package, parse, run,
                         pieces, unread, spans, trees)


@functools.lru_cache(maxsize=8)
def _all_triggers(rules: tuple[Rule, ...]) -> tuple[str, ...] | None:
    """Every trigger of ``rules``, the shortest (likeliest to occur) first; None when a
    rule has none (it applies to every text)."""
    if any(not rule.triggers for rule in rules):
        return None
    return tuple(sorted({t for rule in rules for t in rule.triggers}, key=lambda t: (len(t), t)))


def any_triggered(rules: tuple[Rule, ...], text: str) -> bool:
    """Whether some rule of ``rules`` applies to ``text`` (``Rule.applies_to``): one
    search per distinct trigger, stopping at the first found."""
    triggers = _all_triggers(rules)
    return triggers is None or any(trigger in text for trigger in triggers)


# Rules whose findings in one file can rest on another file's call facts: what it splits
# of a function's result, what loss objects it passes to functions and classes.
_CALL_FACT_RULES = frozenset({"NN302", "NN307"})
_PASSED_FACT_RULES = frozenset({"NN101", "NN513", "NN515"})
_LOSS_OBJECT_WORDS = ("Loss", "from_logits")  # nn.CrossEntropyLoss(), keras' losses


def _package_root(path: Path, module_name: str | None) -> str:
    """The first part of the package a relative import in ``path`` starts from."""
    if module_name is None:
        module_name, _ = module_name_for(path)
    return module_name.partition(".")[0]


def _analyze_parsed(result: FileResult, path: Path, text: str, active: list[Rule],
                    wants_summary: bool, wants_calls: tuple[bool, bool], module_name: str,
                    is_package: bool, parse: Callable[[str], cst.Module],
                    run: Runner | None, pieces: IndexPieces | None = None,
                    unread: tuple[str, ...] = (), spans: list[Span] | None = None,
                    trees: list[ast.Module] | None = None) -> FileResult:
    """Parse with libcst and run the rules; a failure is a finding on this file only.
    ``spans``: CPython's top-level statements of ``text``, when the judge parsed it;
    ``trees``: CPython's tree, to try :func:`_analyze_light` with first (taken out)."""
    if trees:
        light = _analyze_light(result, path, text, active, wants_summary, wants_calls,
                               module_name, is_package, spans, trees)
        if light is not None:
            return light
    name = result.path
    try:
        module, text = parse_like_python(parse, text)
    except cst.ParserSyntaxError as error:  # CPython accepted it: a limit of libcst's
        result.skipped = (f"libcst cannot parse it (line {error.raw_line}: {error.message}), "
                          "although Python can: syntax-checked only")
        return result
    ctx = None
    try:
        ctx = FileContext(path, text, module, module_name, is_package, pieces=pieces,
                          unread=unread, statement_spans=spans)
        result.skipped = too_deep_tree(ctx.index.depth)
        if result.skipped is None:
            (run or run_all)(ctx, active, result, wants_summary, wants_calls)
    except Exception as error:  # a bug outside any one rule: this file only
        result.diagnostics.append(internal_error(name, "the analysis", error))
    finally:
        if ctx is not None:
            ctx.release()
    return result


def _analyze_light(result: FileResult, path: Path, text: str, active: list[Rule],
                   wants_summary: bool, wants_calls: tuple[bool, bool], module_name: str,
                   is_package: bool, spans: list[Span] | None,
                   trees: list[ast.Module]) -> FileResult | None:
    """The result of the rules run on the module built from CPython's ``tree``, when it is
    the result libcst's tree would give: when no rule finds anything but conditional
    findings, no rule fails, and no analysis renders code (``FileContext.read_formatting``).
    Else None: the caller analyses libcst's tree, whose positions and code the findings
    need. A conditional finding is kept as its requirements only (``FileResult.pending``):
    most never hold, and the run analyses the file again where one does. The class
    summaries and call facts read the structure only, which the two trees share
    (``benchmarks/light_tree_check.py``). ``trees`` holds CPython's tree, taken out once
    converted."""
    try:
        module = module_from_ast(trees.pop(), text)
    except (Unconvertible, RecursionError):
        return None
    light = replace(result, diagnostics=[], conditional=[], classes=[], calls=[])
    ctx = None
    try:
        ctx = FileContext(path, text, module, module_name, is_package, statement_spans=spans,
                          light=True)
        if too_deep_tree(ctx.index.depth) is not None:
            return None
        for rule in active:
            run_rule(ctx, rule, light)
            if light.diagnostics or any(not finding.requires for finding in ctx.findings):
                return None
        ctx.current_rule = None
        if wants_summary:
            light.classes = summarize_classes(ctx)
        light.calls = file_calls(ctx, wants_calls)
        light.pending = [(finding.rule.code, finding.requires) for finding in ctx.findings]
        return None if ctx.read_formatting else light
    except Exception:  # whatever it is, libcst's tree will say (and report it)
        return None
    finally:
        if ctx is not None:
            ctx.release()


def function_summaries(path: Path, text: str,
                       max_size: int = DEFAULT_MAX_FILE_SIZE) -> list[FunctionSummary]:
    """The function summaries of one file (asked by a finding of another file); none when
    it cannot be parsed or analysed."""
    if too_large(len(text), max_size) is not None:
        return []
    try:
        verdict = judge(text)
        if verdict.error is not None:
            return []
        return on_deep_stack(_function_summaries, path, text, verdict.tree)
    except Exception:  # the index is best effort: a function we cannot summarise is unknown
        return []


def _function_summaries(path: Path, text: str,
                        tree: ast.Module | None = None) -> list[FunctionSummary]:
    """The summaries, of the module built from CPython's ``tree`` where they do not read
    its formatting, else of libcst's."""
    module_name, is_package = module_name_for(path)
    if tree is not None:
        try:
            light = FileContext(path, text, module_from_ast(tree, text), module_name,
                                is_package, light=True)
            found = _summaries_of(light)
            if found is not None:
                return found
        except Exception:  # libcst's tree will say
            pass
    try:
        module, text = parse_like_python(parse_module, text)
        return _summaries_of(FileContext(path, text, module, module_name, is_package)) or []
    except Exception:
        return []


def _summaries_of(ctx: FileContext) -> list[FunctionSummary] | None:
    """The function summaries of ``ctx``; None when they rendered code of a light module."""
    try:
        if too_deep_tree(ctx.index.depth) is not None:
            return []
        found = summarize_functions(ctx)
        return None if ctx.read_formatting else found
    finally:
        ctx.release()


_FINAL_CONTINUATION = re.compile(r"\\(\r\n|\r|\n)?\Z")


def parse_like_python(parse: Callable[[str], cst.Module],
                      text: str) -> tuple[cst.Module, str]:
    """``parse(text)``, and the text parsed. CPython accepts a file whose last line ends in
    a backslash and CRLF; libcst's tokenizer does not: that backslash, after the last
    token, is then left out (no position before it moves)."""
    try:
        return parse(text), text
    except cst.ParserSyntaxError:
        match = _FINAL_CONTINUATION.search(text)
        if match is None:
            raise
        trimmed = text[: match.start()] + (match.group(1) or "")
        return parse(trimmed), trimmed


def run_all(ctx: FileContext, active: list[Rule], result: FileResult, wants_summary: bool,
            wants_calls: tuple[bool, bool]) -> None:
    """:func:`run_rules`, then the call facts asked for."""
    run_rules(ctx, active, result, wants_summary)
    result.calls = file_calls(ctx, wants_calls)


def file_calls(ctx: FileContext, wants_calls: tuple[bool, bool],
               passed: Callable[[FileContext], list[CallFact]] = passed_losses,
               ) -> list[CallFact]:
    """What the file does with project results (``wants_calls``: the splits of what project
    functions return, the loss objects passed to them); ``passed``: how the latter are
    found."""
    splits, passes = wants_calls
    return [*(call_facts(ctx) if splits else ()), *(passed(ctx) if passes else ())]


def run_rules(ctx: FileContext, active: list[Rule], result: FileResult,
              wants_summary: bool) -> None:
    """Every active rule over the whole file, then the class summaries and the findings."""
    for rule in active:
        run_rule(ctx, rule, result)
    ctx.current_rule = None
    if wants_summary:
        try:
            result.classes = summarize_classes(ctx)
        except Exception:  # the index is best effort: a class we cannot summarise is unknown
            result.classes = []
    if ctx.findings:
        _add_findings(ctx, result)


def run_rule(ctx: FileContext, rule: Rule, result: FileResult) -> None:
    """``rule.check(ctx)``; a crash becomes an NN002 finding in ``result``."""
    ctx.current_rule = rule
    try:
        rule.check(ctx)
    except Exception as error:  # one rule's bug must not stop the run
        result.diagnostics.append(rule_error(result.path, rule, error))


def rule_error(path: str, rule: Rule, error: Exception) -> Diagnostic:
    return internal_error(path, f"rule {rule.code} ({rule.name})", error)


def internal_error(path: str, where: str, error: BaseException) -> Diagnostic:
    """An NN002 finding for ``error``, described without ever recursing: the exception may
    hold a deep syntax tree, whose ``repr`` is as deep as the tree."""
    frames = traceback.extract_tb(error.__traceback__, limit=-1)  # the innermost frame only
    place = f" [{Path(frames[-1].filename).name}:{frames[-1].lineno}]" if frames else ""
    return error_diagnostic(
        path,
        f"internal error in {where}: {type(error).__name__}: {describe(error)}{place}; "
        "please report it",
        code="NN002", rule="internal-error",
    )


def describe(error: BaseException, limit: int = 200) -> str:
    """``str(error)``, cut to ``limit`` characters, with any argument that is not plain
    text or a number named by its type: ``str`` of a libcst node is its whole tree."""
    parts = [arg if isinstance(arg, str) else repr(arg)
             if isinstance(arg, (int, float, bool, type(None))) else f"<{type(arg).__name__}>"
             for arg in error.args]
    text = parts[0] if len(parts) == 1 else ", ".join(parts)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def too_large(size: int, max_size: int) -> str | None:
    if size <= max_size:
        return None
    return (f"{size / 1e6:.1f} MB, above max-file-size ({max_size / 1e6:g} MB): syntax-checked "
            "only (analysis needs about 1 GiB of memory per MB of source); raise "
            "max-file-size in [tool.lintnn] to analyse it")


def _add_findings(ctx: FileContext, result: FileResult) -> None:
    positions = finding_positions(ctx, ctx.findings)
    for finding in ctx.findings:
        add_diagnostic(result, finding, to_diagnostic(ctx, finding, positions, result.path))


def add_diagnostic(into: FileResult | Any, finding: RawFinding,
                   diagnostic: Diagnostic | None) -> None:
    """File ``diagnostic`` under ``into.conditional`` when the finding has cross-file
    requirements, else under ``into.diagnostics``; nothing when it has no position."""
    if diagnostic is None:
        return
    if finding.requires:
        into.conditional.append((diagnostic, finding.requires))
    else:
        into.diagnostics.append(diagnostic)


def finding_nodes(findings: list[RawFinding]) -> list[cst.CSTNode]:
    """Every node a finding needs the position of (its span, its fix's replaced nodes)."""
    nodes = [n for f in findings for n in (f.node, f.end_node) if n is not None]
    nodes += [old for f in findings if f.fix for old, _ in f.fix.replacements]
    return nodes


def finding_positions(ctx: FileContext, findings: list[RawFinding],
                      lines: list[int] | None = None) -> Mapping[cst.CSTNode, CodeRange]:
    """``lines``: the first line of each top-level statement, when the caller has them;
    else from the judge's statements, when it kept them (``FileContext.statement_spans``)."""
    if lines is None and ctx.statement_spans is not None:
        lines = statement_lines(ctx.module, ctx.statement_spans)
    return positions_for(ctx.module, ctx.source, finding_nodes(findings), ctx.index.parents,
                         lines)


def to_diagnostic(
    ctx: FileContext, finding: RawFinding, positions: Mapping[cst.CSTNode, CodeRange], path: str
) -> Diagnostic | None:
    start = positions.get(finding.node)
    if start is None:
        return None
    end = positions.get(finding.end_node) if finding.end_node is not None else start
    fix = None
    if finding.fix is not None:
        edits = []
        for old, new in finding.fix.replacements:
            span = positions.get(old)
            if span is None or not _span_holds(ctx, span, old):
                break
            code = code_in_place(ctx.module, old, new, ctx.index.parents)
            edits.append(Edit(_loc(span.start), _loc(span.end), code))
        else:
            fix = Fix(finding.fix.message, tuple(edits), finding.fix.applicability)
    rule = finding.rule
    return Diagnostic(
        code=rule.code, rule=rule.name, severity=rule.severity, message=finding.message,
        filename=path, location=_loc(start.start), end_location=_loc((end or start).end), fix=fix,
    )


def _span_holds(ctx: FileContext, span: CodeRange, node: cst.CSTNode) -> bool:
    """Whether the source text at ``span`` is ``node``'s own code: an edit is offered only
    where it replaces exactly what it was computed from, so a wrong position can never
    turn into a wrong rewrite."""
    starts = ctx.line_starts
    first, last = span.start.line, span.end.line
    if not 1 <= first <= last < len(starts):
        return False
    begin = starts[first - 1] + span.start.column
    end = starts[last - 1] + span.end.column
    return ctx.source[begin:end] == code_in_place(ctx.module, node, node, ctx.index.parents)


def _loc(position) -> Location:
    return Location(position.line, position.column + 1)
