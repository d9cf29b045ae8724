"""Settings: ``[tool.lintnn]`` in the nearest pyproject.toml (or a ``lintnn.toml``), the files
it ``extend``s, ``--config 'key = value'`` overrides, then the command line's flags.

Each source is one *layer* applied on top of the previous ones, as ruff resolves its
configuration: a key replaces what the layers below set, an ``extend-*`` key adds to it.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lintnn.diagnostics import Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# Findings about the input itself: never filtered by select, only by explicit ignore.
ALWAYS_ON = ("NN001", "NN002", "NN003")
KNOWN_KEYS = {
    "select", "extend-select", "ignore", "extend-ignore", "per-file-ignores",
    "extend-per-file-ignores", "exclude", "extend-exclude", "respect-gitignore", "cache-dir",
    "max-file-size", "extend", "fail-on", "unfixable", "docs-url", "output-format",
    "force-exclude",
}
# Configuration files, in the order ruff looks for its own in one folder.
CONFIG_NAMES = (".lintnn.toml", "lintnn.toml", "pyproject.toml")
# The largest hand-written file we met is 1.4 MB (in torch's test suite); the analysis
# needs about 1 GiB of peak memory per MB of source (benchmarks/bench_large_files.py).
DEFAULT_MAX_FILE_SIZE = 2_000_000
# Info findings are notes (a redundant layer, a harmless double log-softmax): reported, but
# they do not fail a commit or a CI job unless asked (``fail-on = "info"``).
DEFAULT_FAIL_ON = Severity.WARNING
_UNITS = {"": 1, "B": 1, "KB": 1_000, "MB": 1_000_000, "GB": 1_000_000_000}


class ConfigError(Exception):
    """A configuration problem the user must fix (exit code 2)."""


@dataclass
class RuleSelection:
    """One layer of rule selection: a configuration file, an override, the command line.

    As in ruff, a layer that sets ``select`` starts afresh (the layers below, their ignores
    included, no longer count); otherwise it adds its ``extend-select`` and ``ignore``.
    """

    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)

    @property
    def prefixes(self) -> list[str]:
        return [*(self.select or []), *self.extend_select, *self.ignore]


@dataclass
class Settings:
    select: list[str] = field(default_factory=lambda: ["NN"])
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    respect_gitignore: bool = True
    root: Path = field(default_factory=Path.cwd)
    config_file: Path | None = None
    cache_dir: Path | None = None
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # characters; larger files are only syntax-checked
    fail_on: Severity = DEFAULT_FAIL_ON  # the lowest severity that makes the exit code 1
    unfixable: list[str] = field(default_factory=list)  # codes whose fixes are not offered
    docs_url: str | None = None  # base of the rule pages' links; None: the installed pages
    output_format: str | None = None
    force_exclude: bool = False  # apply exclude to paths given on the command line too
    ignore_noqa: bool = False  # ``--ignore-noqa``: report what suppression comments hide
    extended: list[Path] = field(default_factory=list)  # the files ``extend`` pulled in
    # Layers of selection above ``select``/``extend_select``/``ignore`` (the first layer).
    selections: list[RuleSelection] = field(default_factory=list)

    @property
    def rule_selections(self) -> list[RuleSelection]:
        first = RuleSelection(self.select, self.extend_select, self.ignore)
        return [first, *self.selections]

    def is_enabled(self, code: str) -> bool:
        """ruff's precedence: within a layer the most specific of select and ignore wins
        (ignore on ties); a later layer overrides an earlier one."""
        enabled = False
        for layer in self.rule_selections:
            if layer.select is not None:
                enabled = False
            selected = _longest_prefix(code, [*(layer.select or []), *layer.extend_select])
            ignored = _longest_prefix(code, layer.ignore)
            if code in ALWAYS_ON and selected < 0:
                selected = 0
            if selected > ignored:
                enabled = True
            elif ignored >= 0:
                enabled = False
        return enabled

    def add_selection(self, layer: RuleSelection) -> None:
        if layer.select is not None or layer.extend_select or layer.ignore:
            self.selections.append(layer)

    def is_fixable(self, code: str) -> bool:
        return _longest_prefix(code, self.unfixable) < 0

    def ignored_for_file(self, path: Path, code: str) -> bool:
        if not self.per_file_ignores:
            return False
        try:
            relative = path.absolute().relative_to(self.root.absolute()).as_posix()
        except ValueError:
            relative = path.as_posix()
        for pattern, codes in self.per_file_ignores.items():
            if _matches(relative, pattern) and _longest_prefix(code, codes) >= 0:
                return True
        return False

    def fingerprint(self, rule_codes: Iterable[str]) -> str:
        """Identifies what a cached result depends on: the enabled rules."""
        enabled = ",".join(sorted(code for code in rule_codes if self.is_enabled(code)))
        enabled += f";max-file-size={self.max_file_size}"
        return hashlib.blake2b(enabled.encode(), digest_size=8).hexdigest()

    def fails_on(self, severity: Severity) -> bool:
        """Whether a finding of ``severity`` makes the run fail (exit code 1)."""
        return severity.rank >= self.fail_on.rank


def _longest_prefix(code: str, prefixes: Sequence[str]) -> int:
    best = -1
    for prefix in prefixes:
        prefix = prefix.strip().upper()
        if prefix == "ALL":
            best = max(best, 0)
        elif prefix and code.startswith(prefix):
            best = max(best, len(prefix))
    return best


def _matches(relative: str, pattern: str) -> bool:
    return (
        fnmatch.fnmatch(relative, pattern)
        or fnmatch.fnmatch(Path(relative).name, pattern)
        or relative.startswith(pattern.rstrip("/") + "/")
    )


# Finding and reading configuration files ------------------------------------------------

def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None


def _lintnn_table(path: Path, data: dict[str, Any]) -> dict[str, Any] | None:
    """The lintnn table of a configuration file: ``[tool.lintnn]`` in a pyproject.toml,
    the whole file (or its ``[tool.lintnn]``) otherwise."""
    tool = data.get("tool", {})
    if isinstance(tool, dict) and "lintnn" in tool:
        table = tool["lintnn"]
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.lintnn] must be a table")
        return table
    return None if path.name == "pyproject.toml" else data


def find_config(start: Path) -> Path | None:
    """The nearest lintnn configuration, walking up from ``start``: a ``.lintnn.toml`` or
    ``lintnn.toml``, or a pyproject.toml with a ``[tool.lintnn]`` table."""
    directory = start.absolute()
    if not directory.is_dir():
        directory = directory.parent
    for candidate in (directory, *directory.parents):
        for name in CONFIG_NAMES:
            path = candidate / name
            if not path.is_file():
                continue
            if name != "pyproject.toml":
                return path
            try:
                data = _read_toml(path)
            except ConfigError as error:
                if "not valid TOML" in str(error):
                    raise
                continue
            if _lintnn_table(path, data) is not None:
                return path
    return None


find_pyproject = find_config  # the name it had before lintnn.toml was looked for


def git_root(start: Path) -> Path | None:
    """The top of the git work tree holding ``start``, if any."""
    directory = start.absolute()
    if not directory.is_dir():
        directory = directory.parent
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def project_root(settings: Settings, cwd: Path | None = None) -> Path:
    """What paths in reports are relative to: the folder of the configuration file, else
    the git work tree around the working directory, else the working directory."""
    if settings.config_file is not None:
        return settings.config_file.absolute().parent
    here = (cwd or Path.cwd()).absolute()
    return git_root(here) or here


def load_settings(config_file: Path | None = None, start: Path | None = None,
                  overrides: Sequence[str] = ()) -> Settings:
    """Settings from an explicit file, or the nearest configuration, or the defaults, with
    ``overrides`` (``--config 'key = value'``) on top."""
    here = Path.cwd()
    if config_file is None:
        config_file = find_config(start or here)
    settings = Settings(root=here.absolute())
    if config_file is not None:
        settings.root = config_file.absolute().parent
        settings.config_file = config_file
        apply_file(settings, config_file, [])
    for override in overrides:
        apply_table(settings, parse_override(override), Path("--config"), settings.root)
    return settings


def apply_file(settings: Settings, path: Path, chain: list[Path]) -> None:
    """Apply a configuration file, after the file it ``extend``s (ruff's ``extend``)."""
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(str(p) for p in [*chain, resolved])
        raise ConfigError(f"{path}: `extend` forms a cycle: {cycle}")
    table = _lintnn_table(path, _read_toml(path)) or {}  # a pyproject.toml without one: defaults
    base = table.get("extend")
    if base is not None:
        if not isinstance(base, str):
            raise ConfigError(f"{path}: extend must be the path of a configuration file")
        base_path = Path(base).expanduser()
        if not base_path.is_absolute():
            base_path = path.absolute().parent / base_path
        apply_file(settings, base_path, [*chain, resolved])
        settings.extended.append(base_path)
    apply_table(settings, table, path, path.absolute().parent)


def parse_override(text: str) -> dict[str, Any]:
    """``--config "select = ['NN1']"`` -> ``{"select": ["NN1"]}``."""
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            f"--config {text!r} is neither a configuration file nor a TOML `key = value` "
            f"pair: {error}") from None
    return table.get("tool", {}).get("lintnn", table) if "tool" in table else table


def is_override(text: str) -> bool:
    """Whether a ``--config`` value is an inline ``key = value`` rather than a file."""
    if Path(text).is_file() or "=" not in text:
        return False
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False
    return True


def settings_from_table(table: dict[str, Any], config_file: Path) -> Settings:
    """Settings from one ``[tool.lintnn]`` table, on top of the defaults."""
    settings = Settings(root=config_file.parent.absolute(), config_file=config_file)
    apply_table(settings, table, config_file, settings.root)
    return settings


def apply_table(settings: Settings, table: dict[str, Any], source: Path, folder: Path) -> None:
    """Apply one layer: its keys replace the settings' values, ``extend-*`` keys add."""
    unknown = set(table) - KNOWN_KEYS
    if unknown:
        raise ConfigError(
            f"{source}: unknown option(s) in [tool.lintnn]: {', '.join(sorted(unknown))}"
        )
    settings.add_selection(RuleSelection(
        _codes(table, "select", source) if "select" in table else None,
        _codes(table, "extend-select", source),
        _codes(table, "ignore", source) + _codes(table, "extend-ignore", source),
    ))
    if "per-file-ignores" in table:
        settings.per_file_ignores = {}
    for key in ("per-file-ignores", "extend-per-file-ignores"):
        mapping = table.get(key, {})
        if not isinstance(mapping, dict):
            raise ConfigError(f"{source}: {key} must be a table of glob = [codes]")
        for pattern, codes in mapping.items():
            listed = [c.upper() for c in _as_list(codes, f"{key}.{pattern}", source)]
            settings.per_file_ignores[pattern] = [
                *settings.per_file_ignores.get(pattern, []), *listed]
    if "exclude" in table:
        settings.exclude = _as_list(table["exclude"], "exclude", source)
    settings.exclude += _as_list(table.get("extend-exclude", []), "extend-exclude", source)
    for key, attribute in (("respect-gitignore", "respect_gitignore"),
                           ("force-exclude", "force_exclude")):
        if key in table:
            setattr(settings, attribute, _as_bool(table[key], key, source))
    if "cache-dir" in table:
        settings.cache_dir = folder / str(table["cache-dir"])
    if "max-file-size" in table:
        settings.max_file_size = parse_size(table["max-file-size"], source)
    if "fail-on" in table:
        settings.fail_on = parse_severity(table["fail-on"], f"{source}: fail-on")
    settings.unfixable += _codes(table, "unfixable", source)
    if "docs-url" in table:
        if not isinstance(table["docs-url"], str) or not table["docs-url"].strip():
            raise ConfigError(f"{source}: docs-url must be a URL such as "
                              "\"https://example.org/lintnn/\"")
        settings.docs_url = table["docs-url"].strip()
    if "output-format" in table:
        if not isinstance(table["output-format"], str):
            raise ConfigError(f"{source}: output-format must be a string")
        settings.output_format = table["output-format"]


def parse_severity(value: Any, what: str) -> Severity:
    """``"warning"`` -> ``Severity.WARNING``, with a clear error for anything else."""
    try:
        return Severity(str(value).strip().lower())
    except ValueError:
        raise ConfigError(f"{what} must be one of error, warning, info (not {value!r})") from None


def parse_size(value: Any, path: Path) -> int:
    """``4000000``, ``"4MB"``, ``"500 KB"`` -> a number of bytes."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?B?)\s*", str(value).upper()) \
        if isinstance(value, str) else None
    if match is None or float(match.group(1)) <= 0:
        raise ConfigError(
            f"{path}: max-file-size must be a positive size such as 2000000 or \"2MB\"")
    unit = match.group(2).rstrip("B") + "B" if match.group(2) else ""
    return int(float(match.group(1)) * _UNITS[unit])


def _codes(table: dict[str, Any], key: str, path: Path) -> list[str]:
    if key not in table:
        return []
    return [c.upper() for c in _as_list(table[key], key, path)]


def _as_list(value: Any, key: str, path: Path) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{path}: {key} must be a list of strings")


def _as_bool(value: Any, key: str, path: Path) -> bool:
    if isinstance(value, bool):
        return value
    raise ConfigError(f"{path}: {key} must be true or false")


def split_codes(text: str | None) -> list[str]:
    """``"NN1, NN302"`` -> ``["NN1", "NN302"]``."""
    if not text:
        return []
    return [part.strip().upper() for part in text.split(",") if part.strip()]


def parse_per_file_ignores(text: str) -> dict[str, list[str]]:
    """ruff's command-line form ``"tests/*:NN3,NN401"`` -> ``{"tests/*": ["NN3", "NN401"]}``;
    an item without a colon adds its codes to the pattern before it."""
    mapping: dict[str, list[str]] = {}
    pattern: str | None = None
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        if ":" in item:
            pattern, _, code = item.rpartition(":")
        elif pattern is None:
            raise ConfigError(
                f"--per-file-ignores {text!r}: expected `pattern:CODE`, e.g. 'tests/*:NN3'")
        else:
            code = item
        mapping.setdefault(pattern, []).append(code.strip().upper())
    return mapping
