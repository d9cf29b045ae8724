"""``lintnn check``: settings from config and flags, the engine, the formatter, the exit code."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path
from typing import TextIO

from lintnn.cli.exits import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, UsageError
from lintnn.config import (
    ConfigError,
    RuleSelection,
    Settings,
    is_override,
    load_settings,
    parse_per_file_ignores,
    parse_severity,
    project_root,
    split_codes,
)
from lintnn.diagnostics import BUILTIN_CODES, Diagnostic
from lintnn.report import DEFAULT_FORMAT, FORMATTERS, HUMAN_FORMATS, FormatOptions, Sources, write
from lintnn.report.statistics import write_json as write_statistics_json
from lintnn.static.engine.cache import project_cache_dir
from lintnn.static.engine.discovery import Discovery
from lintnn.static.engine.run import Engine, RunResult

FORMAT_VARIABLE = "LINTNN_OUTPUT_FORMAT"  # ruff's RUFF_OUTPUT_FORMAT


def configure(check: argparse.ArgumentParser) -> None:
    """The options of ``lintnn check`` (ruff's names and meanings)."""
    check.add_argument("paths", nargs="*", type=Path, help="files or directories (default: .)")
    rules = check.add_argument_group("rule selection")
    rules.add_argument("--select", help="rule codes or prefixes to enable, comma-separated")
    rules.add_argument("--extend-select", help="codes or prefixes to enable on top of select")
    rules.add_argument("--ignore", help="codes or prefixes to disable, comma-separated")
    rules.add_argument("--extend-ignore", help="like --ignore (ruff's older name)")
    rules.add_argument("--per-file-ignores", action="append", default=[],
                       metavar="PATTERN:CODES",
                       help="'tests/*:NN3,NN401': replaces the configured per-file-ignores")
    rules.add_argument("--extend-per-file-ignores", action="append", default=[],
                       metavar="PATTERN:CODES", help="per-file ignores on top of the configured")
    rules.add_argument("--fail-on", choices=("error", "warning", "info"),
                       help="the lowest severity that fails the run (default: warning; info "
                            "findings are reported without failing)")
    files = check.add_argument_group("file selection")
    files.add_argument("--exclude", action="append", default=[], help="glob of paths to skip")
    files.add_argument("--extend-exclude", action="append", default=[],
                       help="glob of paths to skip, on top of the configured ones")
    files.add_argument("--force-exclude", action="store_true", default=None,
                       help="apply exclude to paths named on the command line too "
                            "(pre-commit names every file)")
    files.add_argument("--no-force-exclude", action="store_false", dest="force_exclude",
                       help="undo force-exclude from the configuration")
    files.add_argument("--stdin-filename", type=Path,
                       help="the name of the file read from stdin (path '-')")
    check.add_argument("--config", action="append", default=[], metavar="FILE|KEY=VALUE",
                       help="a configuration file, or a TOML `key = value` that overrides "
                            "one setting (repeatable)")
    check.add_argument("--show-settings", action="store_true",
                       help="print the settings that apply to the first path, then exit")
    fixing = check.add_argument_group("fixes")
    fixing.add_argument("--fix", action="store_true", help="apply safe fixes")
    fixing.add_argument("--unsafe-fixes", action="store_true",
                        help="also apply unsafe fixes (no rule has one today; accepted as in ruff)")
    fixing.add_argument("--fix-only", action="store_true",
                        help="apply fixes, do not report or fail on what remains")
    fixing.add_argument("--unfixable", help="codes or prefixes whose fixes are never applied")
    fixing.add_argument("--diff", action="store_true",
                        help="show fixes as a diff (paths relative to the working "
                             "directory: `git apply -p0`), write nothing")
    fixing.add_argument("--show-fixes", action="store_true", help="describe available fixes")
    fixing.add_argument("--exit-non-zero-on-fix", action="store_true",
                        help="exit 1 when a fix was applied, even if nothing remains")
    fixing.add_argument("--add-noqa", action="store_true",
                        help="add `# noqa: CODE` to every line with a finding, then exit")
    fixing.add_argument("--ignore-noqa", action="store_true",
                        help="report what `# noqa` comments would suppress")
    output = check.add_argument_group("output")
    output.add_argument("--output-format", metavar="FORMAT",
                        help=f"{', '.join(sorted(FORMATTERS))} (default: {DEFAULT_FORMAT}; "
                             f"also ${FORMAT_VARIABLE} and output-format in [tool.lintnn])")
    output.add_argument("-o", "--output-file", type=Path,
                        help="write the report to this file instead of stdout")
    output.add_argument("--statistics", action="store_true", help="count findings per rule")
    output.add_argument("-q", "--quiet", action="store_true", help="print findings only")
    output.add_argument("--show-files", action="store_true",
                        help="list the files that would be checked, one per line, and exit")
    output.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    output.add_argument("-w", "--watch", action="store_true",
                        help="check again whenever a file changes")
    check.add_argument("-e", "--exit-zero", action="store_true",
                       help="exit 0 even with findings")
    check.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    check.add_argument("-j", "--jobs", type=int, default=None, help="worker processes")


def settings_from_args(args: argparse.Namespace) -> Settings:
    """The configuration file(s), ``--config`` overrides, then the flags as one last layer."""
    paths = args.paths or [Path(".")]
    start = args.stdin_filename or paths[0]
    files = [Path(value) for value in args.config if not is_override(value)]
    overrides = [value for value in args.config if is_override(value)]
    if len(files) > 1:
        raise UsageError("--config names more than one configuration file")
    try:
        settings = load_settings(files[0] if files else None,
                                 start if start.exists() else Path.cwd(), overrides)
        settings.add_selection(RuleSelection(
            split_codes(args.select) if args.select else None,
            split_codes(args.extend_select),
            split_codes(args.ignore) + split_codes(args.extend_ignore)))
        if args.per_file_ignores:
            settings.per_file_ignores = {}
        for value in [*args.per_file_ignores, *args.extend_per_file_ignores]:
            for pattern, codes in parse_per_file_ignores(value).items():
                settings.per_file_ignores.setdefault(pattern, []).extend(codes)
        if args.fail_on:
            settings.fail_on = parse_severity(args.fail_on, "--fail-on")
    except ConfigError as error:
        raise UsageError(str(error)) from None
    if args.exclude:
        settings.exclude = list(args.exclude)
    settings.exclude += args.extend_exclude
    if settings.cache_dir is None:  # at the project's root, not next to the linted path
        settings.cache_dir = project_cache_dir(settings.config_file,
                                               start if start.exists() else Path.cwd())
    if args.force_exclude is not None:
        settings.force_exclude = args.force_exclude
    settings.unfixable += split_codes(args.unfixable)
    settings.ignore_noqa = settings.ignore_noqa or args.ignore_noqa
    return settings


def output_format(args: argparse.Namespace, settings: Settings) -> str:
    """The flag, else ``$LINTNN_OUTPUT_FORMAT``, else the configuration, else ``full``."""
    chosen = args.output_format or os.environ.get(FORMAT_VARIABLE) or settings.output_format
    chosen = chosen or DEFAULT_FORMAT
    if chosen not in FORMATTERS:
        raise UsageError(
            f"unknown output format {chosen!r}; choose from {', '.join(sorted(FORMATTERS))}")
    return chosen


def run_check(args: argparse.Namespace) -> int:
    if args.fix_only:
        args.fix = True
    settings = settings_from_args(args)
    args.output_format = output_format(args, settings)
    _validate_codes(settings)
    _refuse_conflicts(args)
    if args.show_settings:
        from lintnn.cli.show_settings import show_settings

        return show_settings(settings, args)
    if args.watch:
        from lintnn.cli.watch import watch

        return watch(args, settings_from_args, check_once)
    if args.output_file is None:
        return check_once(args, settings, sys.stdout)
    try:
        args.output_file.parent.mkdir(parents=True, exist_ok=True)
        with args.output_file.open("w", encoding="utf-8") as stream:
            return check_once(args, settings, stream)
    except OSError as error:
        raise UsageError(f"cannot write {args.output_file}: {error.strerror}") from None


def check_once(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """One check of ``args.paths`` under ``settings``, reported on ``out``."""
    engine = Engine(settings, use_cache=not args.no_cache, jobs=args.jobs,
                    progress=_progress_printer() if not args.quiet else None)
    if args.show_files:
        return _show_files(engine, args.paths or [Path(".")])
    reading_stdin = [str(p) for p in args.paths] == ["-"]
    stdin_text = sys.stdin.read() if reading_stdin else None
    name = args.stdin_filename or Path("<stdin>.py")
    if reading_stdin and _force_excluded(settings, [name]):
        if args.fix and not args.diff:
            sys.stdout.write(stdin_text or "")  # an excluded file passes through unchanged
        return EXIT_CLEAN
    if reading_stdin:
        result = engine.check_source(name, stdin_text or "")
    else:
        paths = [p for p in args.paths or [Path(".")]
                 if not _force_excluded(settings, [p])]
        result = engine.check_paths(paths) if paths else RunResult([], [])  # missing: NN003
    for path, reason in result.skipped:
        print(f"lintnn: warning: skipped {path}: {reason}", file=sys.stderr)
    for path, what in result.cleaned:
        print(f"lintnn: warning: {path}: {what}", file=sys.stderr)
    if args.add_noqa:
        from lintnn.cli.add_noqa import add_noqa

        return add_noqa(engine, result)

    diagnostics = result.diagnostics
    stream, fixed_note, fixed_count = out, None, 0
    if args.fix or args.diff:
        from lintnn.cli.fix import fixed_summary, run_fixes

        outcome = run_fixes(engine, result, args, stdin_text)
        if args.diff:
            if not args.quiet:
                print(fixed_summary(outcome, args.show_fixes, would=True), file=sys.stderr)
            return EXIT_FINDINGS if outcome.changed else EXIT_CLEAN
        diagnostics, fixed_count = outcome.remaining, outcome.fixed_count
        if reading_stdin and stream is sys.stdout:  # stdout carries the fixed source
            stream = sys.stderr
        if outcome.fixed_count and not args.quiet:
            fixed_note = fixed_summary(outcome, args.show_fixes)
    if args.fix_only:  # as ruff: the note on stdout (unless it carries fixed source), or nothing
        if fixed_note:
            print(fixed_note, file=stream)
        return EXIT_FINDINGS if args.exit_non_zero_on_fix and fixed_count else EXIT_CLEAN

    texts = {str(name): stdin_text} if reading_stdin and stdin_text is not None else {}
    options = FormatOptions(color=_use_color(args, stream), show_fixes=args.show_fixes,
                            quiet=args.quiet, unsafe_fixes=args.unsafe_fixes,
                            root=project_root(settings), docs_url=settings.docs_url,
                            sources=Sources(texts))
    if args.statistics and args.output_format == "json":
        write_statistics_json(diagnostics, stream)
    elif args.statistics:
        _print_statistics(diagnostics, stream)
        print(checked_summary(result), file=stream)
    else:
        write(diagnostics, args.output_format, stream, options)
    if fixed_note:
        human = args.output_format in HUMAN_FORMATS and stream is not sys.stderr
        print(fixed_note, file=stream if human else sys.stderr)
    if args.exit_zero:
        return EXIT_CLEAN
    if args.exit_non_zero_on_fix and fixed_count:
        return EXIT_FINDINGS
    failing = any(settings.fails_on(d.severity) for d in diagnostics)
    return EXIT_FINDINGS if failing else EXIT_CLEAN


def _force_excluded(settings: Settings, paths: list[Path]) -> bool:
    """With ``force-exclude``, whether a path named on the command line is excluded."""
    if not settings.force_exclude:
        return False
    discovery = Discovery(settings.exclude, settings.respect_gitignore, settings.root)
    return any(discovery.is_excluded(path) for path in paths)


def _refuse_conflicts(args: argparse.Namespace) -> None:
    if args.add_noqa and (args.fix or args.diff):
        raise UsageError("--add-noqa cannot be combined with --fix or --diff")
    if args.watch and ([str(p) for p in args.paths] == ["-"] or args.add_noqa or args.diff
                       or args.output_file):
        raise UsageError("--watch checks files on disk and reports on the terminal: not with "
                         "stdin, --add-noqa, --diff or --output-file")


def _validate_codes(settings: Settings) -> None:
    from lintnn.static.rules import all_rules

    known = [*list(all_rules()), *BUILTIN_CODES]
    prefixes = [prefix for layer in settings.rule_selections for prefix in layer.prefixes]
    prefixes += [*settings.unfixable,
                 *(code for codes in settings.per_file_ignores.values() for code in codes)]
    for prefix in prefixes:
        if prefix != "ALL" and not any(code.startswith(prefix) for code in known):
            raise UsageError(f"unknown rule selector {prefix!r}; `lintnn rules` lists the codes")


def _use_color(args: argparse.Namespace, stream: TextIO) -> bool:
    if args.color == "always":
        return True
    if args.color == "never" or args.output_format not in HUMAN_FORMATS:
        return False
    return stream.isatty() and "NO_COLOR" not in os.environ


def _progress_printer():
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        if total >= 50 and (done % 25 == 0 or done == total):
            end = "\n" if done == total else ""
            print(f"\rlintnn: {done}/{total} files", end=end, file=sys.stderr, flush=True)

    return show


def checked_summary(result: RunResult) -> str:
    """How many files were checked, and which folders were skipped by default."""
    line = f"Checked {len(result.files)} file{'s' if len(result.files) != 1 else ''}"
    if result.cached:
        line += f" ({result.cached} from the cache)"
    if result.pruned:
        shown = [_shown(p) for p in result.pruned[:_MAX_PRUNED_SHOWN]]
        if len(result.pruned) > _MAX_PRUNED_SHOWN:  # a tree of packages has hundreds
            shown.append(f"and {len(result.pruned) - _MAX_PRUNED_SHOWN} more (--show-files)")
        line += (f"; skipped {len(result.pruned)} folder{'s' if len(result.pruned) != 1 else ''}"
                 f" by default: {', '.join(shown)}")
    return line + "."


_MAX_PRUNED_SHOWN = 8


def _shown(path: Path) -> str:
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _show_files(engine: Engine, paths: list[Path]) -> int:
    """ruff's ``--show-files``: the files on stdout; what was left out on stderr."""
    files, discovery = engine.discover(paths)
    for path in files:
        print(path)
    for path in discovery.pruned:
        print(f"lintnn: skipped by default: {path}", file=sys.stderr)
    for path in discovery.missing:
        print(f"lintnn: warning: {path}: no such file or directory", file=sys.stderr)
    return EXIT_CLEAN


def _print_statistics(diagnostics: list[Diagnostic], stream: TextIO) -> None:
    counts = Counter((d.code, d.rule) for d in diagnostics)
    fixable = Counter(d.code for d in diagnostics if d.fix is not None)
    for (code, rule), count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        marker = "[*]" if fixable[code] else "   "
        print(f"{count:>5}\t{code}\t{marker} {rule}", file=stream)


__all__ = ["EXIT_CLEAN", "EXIT_ERROR", "RunResult", "run_check"]
