"""``lintnn check``: settings from config and flags, the engine, the formatter, the exit code."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from lintnn.cli.exits import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, UsageError
from lintnn.config import ConfigError, Settings, load_settings, split_codes
from lintnn.diagnostics import Diagnostic
from lintnn.report import FORMATTERS, FormatOptions, write
from lintnn.static.engine.cache import project_cache_dir
from lintnn.static.engine.run import Engine, RunResult


def configure(check: argparse.ArgumentParser) -> None:
    """The options of ``lintnn check``."""
    check.add_argument("paths", nargs="*", type=Path, help="files or directories (default: .)")
    check.add_argument("--select", help="rule codes or prefixes to enable, comma-separated")
    check.add_argument("--extend-select", help="codes or prefixes to enable on top of select")
    check.add_argument("--ignore", help="codes or prefixes to disable, comma-separated")
    check.add_argument("--exclude", action="append", default=[], help="glob of paths to skip")
    check.add_argument("--extend-exclude", action="append", default=[],
                       help="glob of paths to skip, on top of the configured ones")
    check.add_argument("--config", type=Path, help="pyproject.toml (or lintnn.toml) to use")
    check.add_argument("--output-format", default="text",
                       help="text (default), json, json-lines, github, sarif")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    check.add_argument("--fix", action="store_true", help="apply safe fixes")
    check.add_argument("--unsafe-fixes", action="store_true",
                       help="also apply fixes that change behaviour (review them)")
    check.add_argument("--diff", action="store_true", help="show fixes as a diff, write nothing")
    check.add_argument("--show-fixes", action="store_true", help="describe available fixes")
    check.add_argument("--statistics", action="store_true", help="count findings per rule")
    check.add_argument("--show-files", action="store_true",
                       help="list the files that would be checked, one per line, and exit")
    check.add_argument("-q", "--quiet", action="store_true", help="print findings only")
    check.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    check.add_argument("--stdin-filename", type=Path,
                       help="the name of the file read from stdin (path '-')")
    check.add_argument("-j", "--jobs", type=int, default=None, help="worker processes")
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto")



def settings_from_args(args: argparse.Namespace) -> Settings:
    paths = args.paths or [Path(".")]
    start = args.stdin_filename or paths[0]
    try:
        settings = load_settings(args.config, start if start.exists() else Path.cwd())
    except ConfigError as error:
        raise UsageError(str(error)) from None
    if args.select:
        settings.select = split_codes(args.select)
    if args.extend_select:
        settings.extend_select += split_codes(args.extend_select)
    if args.ignore:
        settings.ignore += split_codes(args.ignore)
    if args.exclude:
        settings.exclude = list(args.exclude)
    settings.exclude += args.extend_exclude
    if settings.cache_dir is None:  # at the project's root, not next to the linted path
        settings.cache_dir = project_cache_dir(settings.config_file,
                                               start if start.exists() else Path.cwd())
    return settings


def run_check(args: argparse.Namespace) -> int:
    if args.output_format not in FORMATTERS:
        raise UsageError(
            f"unknown output format {args.output_format!r}; "
            f"choose from {', '.join(sorted(FORMATTERS))}"
        )
    settings = settings_from_args(args)
    _validate_codes(settings)
    engine = Engine(settings, use_cache=not args.no_cache, jobs=args.jobs,
                    progress=_progress_printer() if not args.quiet else None)
    if args.show_files:
        return _show_files(engine, args.paths or [Path(".")])
    reading_stdin = [str(p) for p in args.paths] == ["-"]
    if reading_stdin:
        name = args.stdin_filename or Path("<stdin>.py")
        args.stdin_text = sys.stdin.read()
        result = engine.check_source(name, args.stdin_text)
    else:
        result = engine.check_paths(args.paths or [Path(".")])  # a missing path is NN003
    for path, reason in result.skipped:
        print(f"lintnn: warning: skipped {path}: {reason}", file=sys.stderr)
    for path, what in result.cleaned:
        print(f"lintnn: warning: {path}: {what}", file=sys.stderr)

    diagnostics = result.diagnostics
    stream, fixed_note = sys.stdout, None
    if args.fix or args.diff:
        from lintnn.cli.fix import fixed_summary, run_fixes

        outcome = run_fixes(engine, result, args, args.stdin_text if reading_stdin else None)
        if args.diff:
            if not args.quiet:
                print(fixed_summary(outcome, args.show_fixes, would=True), file=sys.stderr)
            return EXIT_FINDINGS if outcome.changed else EXIT_CLEAN
        diagnostics = outcome.remaining
        if reading_stdin:  # stdout carries the fixed source
            stream = sys.stderr
        if outcome.fixed_count and not args.quiet:
            fixed_note = fixed_summary(outcome, args.show_fixes)

    options = FormatOptions(color=_use_color(args), show_fixes=args.show_fixes,
                            quiet=args.quiet, unsafe_fixes=args.unsafe_fixes)
    if args.statistics:
        _print_statistics(diagnostics)
        print(checked_summary(result))
    else:
        write(diagnostics, args.output_format, stream, options)
    if fixed_note:
        print(fixed_note, file=stream if args.output_format == "text" else sys.stderr)
    if args.exit_zero:
        return EXIT_CLEAN
    return EXIT_FINDINGS if diagnostics else EXIT_CLEAN


def _validate_codes(settings: Settings) -> None:
    from lintnn.static.rules import all_rules

    known = [*list(all_rules()), "NN001", "NN002", "NN003"]
    for prefix in [*settings.select, *settings.extend_select, *settings.ignore]:
        if prefix != "ALL" and not any(code.startswith(prefix) for code in known):
            raise UsageError(f"unknown rule selector {prefix!r}; `lintnn rules` lists the codes")


def _use_color(args: argparse.Namespace) -> bool:
    if args.color == "always":
        return True
    if args.color == "never" or args.output_format != "text":
        return False
    import os

    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


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
        line += (f"; skipped {len(result.pruned)} folder{'s' if len(result.pruned) != 1 else ''}"
                 f" by default: {', '.join(_shown(p) for p in result.pruned)}")
    return line + "."


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


def _print_statistics(diagnostics: list[Diagnostic]) -> None:
    counts = Counter((d.code, d.rule) for d in diagnostics)
    fixable = Counter(d.code for d in diagnostics if d.fix is not None)
    for (code, rule), count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        marker = "[*]" if fixable[code] else "   "
        print(f"{count:>5}\t{code}\t{marker} {rule}")


__all__ = ["EXIT_CLEAN", "EXIT_ERROR", "RunResult", "run_check"]
