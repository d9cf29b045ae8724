"""The ``lintnn`` command line: the parser and the dispatch to one module per command.

Exit codes follow ruff (:mod:`lintnn.cli.exits`): 0 nothing found, 1 findings, 2 usage error
or internal crash.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from lintnn.cli import check as check_command
from lintnn.cli import rules as rules_command
from lintnn.cli.exits import EXIT_CLEAN, EXIT_ERROR, UsageError
from lintnn.version import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lintnn",
        description="Find the bugs that make neural-network training fail silently.",
    )
    parser.add_argument("--version", action="version", version=f"lintnn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check_command.configure(sub.add_parser("check", help="lint Python files and notebooks"))

    rules = sub.add_parser("rules", help="list the rule catalog")
    rule = sub.add_parser("rule", help="show one rule's page")
    rule.add_argument("code", help="rule code, e.g. NN101")
    for command in (rules, rule):
        command.add_argument("--output-format", choices=("text", "json"), default="text")

    probe = sub.add_parser("probe", help="run the runtime probes on a model factory")
    try:
        from lintnn.cli import probe as probe_command
    except ImportError:
        probe.add_argument("target", nargs="?")
    else:
        probe_command.configure(probe)

    from lintnn.cli import run as run_command

    run_command.configure(sub.add_parser("run", help="run a training script with the monitor on"))

    server = sub.add_parser("server", help="run the language server over stdio")
    server.add_argument("--stdio", action="store_true", help="(default) speak LSP over stdio")
    for command_parser in sub.choices.values():  # errors show the command's own usage
        command_parser.set_defaults(command_parser=command_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # say it with the subcommand's usage, as argparse does for the top level
        command_parser = getattr(args, "command_parser", parser)
        command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        if args.command == "check":
            return check_command.run_check(args)
        if args.command == "rules":
            return rules_command.list_rules(args.output_format)
        if args.command == "rule":
            return rules_command.show_rule(args.code, args.output_format)
        if args.command == "probe":
            return _probe(args)
        if args.command == "run":
            from lintnn.cli import run as run_command

            return run_command.run(args)
        if args.command == "server":
            return _server(args)
        parser.print_help(sys.stderr)  # no command: a usage error, as in ruff
        return EXIT_ERROR
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


def _probe(args: argparse.Namespace) -> int:
    try:
        from lintnn.cli import probe as probe_command
    except ImportError:
        raise UsageError(
            "`lintnn probe` needs the `torch` extra (pip install '.[torch]' in a lintnn checkout)"
        ) from None
    return probe_command.run(args)


def _server(args: argparse.Namespace) -> int:
    try:
        from lintnn.cli.server import serve
    except ImportError as error:
        raise UsageError(
            f"`lintnn server` needs the `lsp` extra (pip install '.[lsp]' in a lintnn "
            f"checkout; {error})"
        ) from None
    serve()
    return EXIT_CLEAN


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
