"""Where ``lintnn check`` spends its time, phase by phase, on one tree, in one process.

    python benchmarks/profile_static.py PATH            # every phase, every rule
    python benchmarks/profile_static.py PATH --top 12   # the 12 costliest rules only
    python benchmarks/profile_static.py PATH --repo CHECKOUT   # lintnn of another commit

Each file goes through the same steps as :func:`lintnn.static.engine.analyze.analyze_text`,
each step timed on its own (CPU time of this process): read, decode, noqa comments, the
prefilter (rule triggers), CPython's judge (``ast.parse``), the gate (which rules can fire,
if the engine has one), the nesting check, the first pass on the tree built from CPython's
(its conversion, context, rules and summaries, where the engine has it; the files it
settles stop there, the others are counted by the reason libcst's tree is needed), the
libcst parse, the context (imports and the index walk), the rules (dataflow timed apart,
whichever rule first asks for it, in either pass), the class summaries, positions and
diagnostics, and pickling the result for the parent. Then the
parent's join (project index, noqa) and, in a subprocess, the start-up of ``lintnn check``
on an empty file. The process pool's cost is what the whole command costs beyond these.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if "--repo" in sys.argv:  # lintnn from another checkout: before/after tables
    REPO = Path(sys.argv[sys.argv.index("--repo") + 1]).resolve()
sys.path.insert(0, str(REPO))

# libcst as ``lintnn check`` has it: deferred, then loaded before the files are analysed
# (a profile that imported it plainly once hid a cost of the command's own path).
try:
    from lintnn.static import defer_libcst, load_libcst
except ImportError:  # a checkout from before the deferral
    def defer_libcst() -> None: ...
    def load_libcst() -> None: ...
defer_libcst()

import libcst as cst  # noqa: E402

from lintnn.config import Settings  # noqa: E402
from lintnn.static.analyses.summary import summarize_classes  # noqa: E402
from lintnn.static.engine import analyze  # noqa: E402
from lintnn.static.engine.noqa import parse_noqa  # noqa: E402
from lintnn.static.engine.run import Engine, enabled_rules  # noqa: E402
from lintnn.static.engine.safe_parse import judge, on_deep_stack  # noqa: E402
from lintnn.static.engine.source import decode  # noqa: E402
from lintnn.static.syntax import dataflow  # noqa: E402
from lintnn.static.syntax.context import FileContext  # noqa: E402
from lintnn.static.syntax.project import module_name_for  # noqa: E402
from lintnn.static.syntax.statements import spans_of  # noqa: E402

try:  # the first pass on the tree built from CPython's, where this checkout has one
    from lintnn.static.engine.from_ast import Unconvertible, module_from_ast
except ImportError:  # pragma: no cover - the commit before it
    module_from_ast = None  # type: ignore[assignment]

try:  # the gate, where this checkout has one
    from lintnn.static.engine import gate as _gate  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - the commit before the gate
    _gate = None

clock = time.process_time


class Phases:
    """Seconds per phase, and a stack that keeps dataflow's time out of the rule's."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.rules: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self._dataflow_depth = 0
        self._dataflow_start = 0.0

    def add(self, phase: str, since: float) -> float:
        now = clock()
        self.seconds[phase] += now - since
        return now


def _time_dataflow(phases: Phases) -> None:
    """Wrap ``Flow.__init__`` (which walks a whole scope) so its time counts as dataflow."""
    original = dataflow.Flow.__init__

    def timed(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        outer = phases._dataflow_depth == 0
        if outer:
            phases._dataflow_start = clock()
        phases._dataflow_depth += 1
        try:
            original(self, *args, **kwargs)
        finally:
            phases._dataflow_depth -= 1
            if outer:
                phases.seconds["dataflow (Flow walks)"] += clock() - phases._dataflow_start

    dataflow.Flow.__init__ = timed  # type: ignore[method-assign]


def profile_file(path: Path, rules: list, phases: Phases) -> None:
    t = clock()
    data = path.read_bytes()
    t = phases.add("read", t)
    text = decode(data).text
    t = phases.add("decode", t)
    parse_noqa(text)
    t = phases.add("noqa comments", t)
    if hasattr(analyze, "any_triggered"):  # the triggers of the rules the gate keeps
        active = rules if analyze.any_triggered(tuple(rules), text) else []
    else:  # a checkout that searched every rule's triggers first
        active = [rule for rule in rules if rule.applies_to(text)]
    wants_summary = "class " in text and any(w in text for w in analyze._MODEL_WORDS)
    t = phases.add("prefilter (triggers)", t)
    verdict = judge(text)
    t = phases.add("CPython judge (ast.parse)", t)
    phases.counts["files"] += 1
    if verdict.error is not None:
        phases.counts["syntax errors"] += 1
        return
    if not active and not wants_summary:
        phases.counts["no rule triggered: ast only"] += 1
        return
    if _gate is not None:  # one walk: the rules' needs, the class names, the depth
        found = _gate.features(verdict.tree)
        active = _gate.gate(active, found, lambda: module_name_for(path)[0].partition(".")[0])
        active = [rule for rule in active if rule.applies_to(text)]
        t = phases.add("gate (features walk)", t)
        if not active:
            phases.counts["gated out: ast only" if not (wants_summary and found.classes)
                          else "gated out: summary deferred"] += 1
            return
    elif verdict.too_deep() is not None:
        return
    else:
        t = phases.add("nesting check", t)
    phases.counts["summary only" if not active else "rules run"] += 1
    name, is_package = module_name_for(path)
    if module_from_ast is not None and on_deep_stack(
            _first_pass, path, text, verdict.tree, name, is_package, active, wants_summary,
            phases):
        return
    t = clock()
    module = on_deep_stack(getattr(analyze, "parse_module", cst.parse_module), text)
    t = phases.add("libcst parse", t)
    ctx = FileContext(path, text, module, name, is_package)
    if hasattr(ctx, "statement_spans"):  # as the check keeps them: the judge's statements
        ctx.statement_spans = spans_of(verdict.tree.body)
    t = phases.add("context (imports, index walk)", t)
    for rule in active:
        if _check_timed(ctx, rule, phases, "rules (without dataflow)"):
            phases.counts["rule errors"] += 1
    ctx.current_rule = None
    t = clock()
    result = analyze.FileResult(str(path))
    if wants_summary:
        try:
            result.classes = summarize_classes(ctx)
        except Exception:
            result.classes = []
    t = phases.add("class summaries", t)
    if ctx.findings:
        analyze._add_findings(ctx, result)
    t = phases.add("positions and diagnostics", t)
    pickle.dumps(result)
    phases.add("pickle result", t)


def _first_pass(path: Path, text: str, tree: object, name: str, is_package: bool,
                rules: list, wants_summary: bool, phases: Phases) -> bool:
    """The rules on the tree built from CPython's (``analyze._analyze_light``); True when
    that settles the file, else the reason libcst's tree is needed is counted."""
    t = clock()
    try:
        module = module_from_ast(tree, text)
    except (Unconvertible, RecursionError):
        phases.counts["libcst pass: not converted"] += 1
        return False
    t = phases.add("tree from CPython's (first pass)", t)
    ctx = FileContext(path, text, module, name, is_package, light=True)
    t = phases.add("first pass: context", t)
    failed = found = False
    for rule in rules:
        failed = _check_timed(ctx, rule, phases, "first pass: rules (without dataflow)")
        found = any(not finding.requires for finding in ctx.findings)
        if failed or found:
            break
    ctx.current_rule = None
    t = clock()
    if not (failed or found) and wants_summary:
        with contextlib.suppress(Exception):
            summarize_classes(ctx)
    phases.add("first pass: class summaries", t)
    reason = ("findings" if found else "a rule failed" if failed
              else "code rendered" if ctx.read_formatting else None)
    kept = "first pass settles it" + (", conditional findings kept" if ctx.findings else "")
    ctx.release()
    phases.counts[f"libcst pass: {reason}" if reason else kept] += 1
    return reason is None


def _check_timed(ctx: FileContext, rule: object, phases: Phases, phase: str) -> bool:
    """``rule.check(ctx)``, its time without the dataflow's added to ``phase`` and to the
    rule's own; True when it raised."""
    ctx.current_rule = rule
    start = clock()
    before = phases.seconds["dataflow (Flow walks)"]
    try:
        rule.check(ctx)  # type: ignore[attr-defined]
        failed = False
    except Exception:
        failed = True
    spent = clock() - start - (phases.seconds["dataflow (Flow walks)"] - before)
    phases.rules[rule.code] += spent  # type: ignore[attr-defined]
    phases.seconds[phase] += spent
    return failed


def _collector_as_in_a_run() -> contextlib.AbstractContextManager:
    """The garbage collector as ``lintnn check`` runs it (rare collections), where this
    checkout has that setting: with the default thresholds, full collections would add
    their own share to every phase."""
    from lintnn.static.engine import run

    return getattr(run, "_rare_collections", contextlib.nullcontext)()


def startup_seconds(repeat: int = 3) -> float:
    """Wall seconds of ``lintnn check`` on one empty file (imports, registry, settings)."""
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp, "empty.py")
        empty.write_text("")
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "lintnn", "check", "--no-cache", "-q",
                            str(empty)], check=False, cwd=tmp, capture_output=True,
                           env={**os.environ, "PYTHONPATH": str(REPO)})
            runs.append(time.perf_counter() - start)
    return sorted(runs)[len(runs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--top", type=int, default=40, help="rules to list")
    parser.add_argument("--repo", type=Path, help="import lintnn from this checkout")
    args = parser.parse_args()
    files = sorted(p for p in args.tree.rglob("*.py") if "__pycache__" not in p.parts)
    rules = enabled_rules(Settings())
    load_libcst()  # as ``Engine._run`` does before a large run
    phases = Phases()
    _time_dataflow(phases)
    start = clock()
    with _collector_as_in_a_run():
        for path in files:
            profile_file(path, rules, phases)
    total = clock() - start
    engine = Engine(Settings(), use_cache=False, jobs=1)
    results, _ = engine._analyze_files(files)
    t = clock()
    engine._finish(results)
    join = clock() - t

    print(f"## {args.tree.name}: {len(files)} files, one process, CPU seconds\n")
    print("| phase | CPU s | share |\n|---|---|---|")
    for phase, seconds in phases.seconds.items():
        print(f"| {phase} | {seconds:.2f} | {seconds / total:.0%} |")
    print(f"| **all files** | **{total:.2f}** | 100% |")
    print(f"| parent: project index, noqa, sort | {join:.2f} | |")
    print(f"| start-up of `lintnn check` on an empty file (wall) | {startup_seconds():.2f} | |")
    print("\nfiles: " + ", ".join(f"{k} {v}" for k, v in phases.counts.items()))
    print("\n| rule | CPU s |\n|---|---|")
    for code, seconds in phases.rules.most_common(args.top):
        print(f"| {code} | {seconds:.3f} |")


if __name__ == "__main__":
    main()
