"""``lintnn check --show-settings``: the settings that apply to the first path, with the
files they came from (ruff's ``--show-settings``), as TOML a user can paste back."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lintnn.cli.exits import EXIT_CLEAN
from lintnn.config import Settings, project_root


def show_settings(settings: Settings, args: argparse.Namespace) -> int:
    first = (args.paths or [Path(".")])[0]
    print(f"Resolved settings for: {json.dumps(str(first))}")
    where = str(settings.config_file) if settings.config_file else "(none: the defaults)"
    print(f"Settings path: {json.dumps(where) if settings.config_file else where}")
    for extended in settings.extended:
        print(f"Extends: {json.dumps(str(extended))}")
    print(f"Project root: {json.dumps(str(project_root(settings)))}")
    print()
    for number, layer in enumerate(settings.rule_selections):
        title = "the defaults" if number == 0 else f"layer {number}"
        print(f"# rule selection, {title}")
        if layer.select is not None:
            print(f"select = {_toml(layer.select)}")
        print(f"extend-select = {_toml(layer.extend_select)}")
        print(f"ignore = {_toml(layer.ignore)}")
    print("# the result")
    from lintnn.static.rules import all_rules

    enabled = [code for code in all_rules() if settings.is_enabled(code)]
    print(f"enabled-rules = {_toml(enabled)}")
    ignores = ", ".join(f"{_toml(k)} = {_toml(v)}" for k, v in settings.per_file_ignores.items())
    print(f"per-file-ignores = {{{ignores}}}")
    print(f"exclude = {_toml(settings.exclude)}")
    print(f"respect-gitignore = {_toml(settings.respect_gitignore)}")
    print(f"force-exclude = {_toml(settings.force_exclude)}")
    print(f"fail-on = {_toml(settings.fail_on.value)}")
    print(f"unfixable = {_toml(settings.unfixable)}")
    print(f"max-file-size = {settings.max_file_size}")
    print(f"output-format = {_toml(args.output_format)}")
    print(f"docs-url = {_toml(settings.docs_url or '')}  # empty: the installed rule pages")
    print(f"cache-dir = {_toml(str(settings.cache_dir or ''))}")
    return EXIT_CLEAN


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)
