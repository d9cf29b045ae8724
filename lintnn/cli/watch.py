"""``lintnn check --watch``: check, then check again whenever a source file or a
configuration file changes (ruff's ``--watch``). Changes are seen by watchfiles (the
``watch`` extra): the operating system's file events, debounced, no polling loop of ours."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from lintnn.cli.exits import EXIT_CLEAN, UsageError
from lintnn.config import CONFIG_NAMES, Settings

WATCHED_SUFFIXES = (".py", ".pyi", ".ipynb")
CLEAR_SCREEN = "\x1b[2J\x1b[3J\x1b[H"


SettingsFor = Callable[[argparse.Namespace], Settings]
CheckOnce = Callable[[argparse.Namespace, Settings, TextIO], int]


def watch(args: argparse.Namespace, settings_for: SettingsFor, check_once: CheckOnce) -> int:
    """Run ``check_once`` now and after every relevant change, until interrupted."""
    try:
        import watchfiles
    except ImportError:
        raise UsageError("--watch needs watchfiles, the `watch` extra (pip install '.[watch]' "
                         "in a lintnn checkout)") from None
    settings = settings_for(args)
    targets = {path.absolute() for path in args.paths or [Path(".")]}
    if settings.config_file is not None:
        targets.add(settings.config_file.absolute())
    _run(args, settings_for, check_once, "Starting linter in watch mode...")
    for _ in watchfiles.watch(*targets, watch_filter=_relevant, raise_interrupt=False):
        _run(args, settings_for, check_once, "File change detected...")
    return EXIT_CLEAN


def _relevant(change: object, path: str) -> bool:
    name = Path(path).name
    return name.endswith(WATCHED_SUFFIXES) or name in CONFIG_NAMES


def _run(args: argparse.Namespace, settings_for: SettingsFor, check_once: CheckOnce,
         banner: str) -> None:
    if sys.stdout.isatty():
        sys.stdout.write(CLEAR_SCREEN)
    print(banner, flush=True)
    try:  # the configuration is read again: an edit to it applies at once
        check_once(args, settings_for(args), sys.stdout)
    except UsageError as error:
        print(f"lintnn: error: {error}", file=sys.stderr, flush=True)
    sys.stdout.flush()
