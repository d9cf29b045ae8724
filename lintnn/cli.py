"""The ``lintnn`` command: check, rules, rule, probe, server.

Exit codes follow ruff: 0 nothing found, 1 findings, 2 usage error or internal crash.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from lintnn import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """A mistake on the command line or in the configuration."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lintnn",
        description="Find the bugs that make neural-network training fail silently.",
    )
    parser.add_argument("--version", action="version", version=f"lintnn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="lint Python files and notebooks")
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
    check.add_argument("-q", "--quiet", action="store_true", help="print findings only")
    check.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    check.add_argument("--stdin-filename", type=Path,
                       help="the name of the file read from stdin (path '-')")
    check.add_argument("-j", "--jobs", type=int, default=None, help="worker processes")
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto")

    sub.add_parser("rules", help="list the rule catalog")
    rule = sub.add_parser("rule", help="show one rule's page")
    rule.add_argument("code", help="rule code, e.g. NN101")

    probe = sub.add_parser("probe", help="run the runtime probes on a model factory")
    try:
        from lintnn.runtime import probe_command
    except ImportError:
        probe.add_argument("target", nargs="?")
    else:
        probe_command.configure(probe)

    server = sub.add_parser("server", help="run the language server over stdio")
    server.add_argument("--stdio", action="store_true", help="(default) speak LSP over stdio")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            from lintnn.check_command import run_check

            return run_check(args)
        if args.command == "rules":
            return _list_rules()
        if args.command == "rule":
            return _show_rule(args.code)
        if args.command == "probe":
            return _probe(args)
        if args.command == "server":
            return _server(args)
        parser.print_help()
        return EXIT_CLEAN
    except UsageError as error:
        print(f"lintnn: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("lintnn: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_CLEAN
    except Exception as error:  # an internal crash: a clear message, exit 2
        import traceback

        where = traceback.extract_tb(error.__traceback__)[-1]
        print(
            f"lintnn: internal error: {type(error).__name__}: {error} "
            f"({Path(where.filename).name}:{where.lineno}); please report it",
            file=sys.stderr,
        )
        return EXIT_ERROR


def _list_rules() -> int:
    from lintnn.catalog import rule_infos

    infos = rule_infos()
    print(f"{'code':<7} {'name':<40} {'severity':<8} {'fix':<4} frameworks")
    for info in infos:
        fix = "yes" if info.fixable else ""
        print(f"{info.code:<7} {info.name:<40} {info.severity:<8} {fix:<4} "
              f"{', '.join(info.frameworks)}")
    by_severity = Counter(info.severity for info in infos)
    print(f"\n{len(infos)} rules ({', '.join(f'{n} {s}' for s, n in sorted(by_severity.items()))})."
          " `lintnn rule CODE` shows one.")
    return EXIT_CLEAN


def _show_rule(code: str) -> int:
    from lintnn.catalog import page_text

    text = page_text(code)
    if text is None:
        raise UsageError(f"unknown rule {code!r}; `lintnn rules` lists them")
    sys.stdout.write(text)
    return EXIT_CLEAN


def _probe(args: argparse.Namespace) -> int:
    try:
        from lintnn.runtime import probe_command
    except ImportError:
        raise UsageError(
            "`lintnn probe` needs the runtime extra: pip install 'lintnn[torch]'"
        ) from None
    return probe_command.run(args)


def _server(args: argparse.Namespace) -> int:
    try:
        from lintnn.server import serve
    except ImportError as error:
        raise UsageError(
            f"`lintnn server` needs the language-server extra: pip install 'lintnn[lsp]' ({error})"
        ) from None
    serve()
    return EXIT_CLEAN


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
