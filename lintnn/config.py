"""Settings: ``[tool.lintnn]`` in the nearest pyproject.toml, overridden by the command line."""

from __future__ import annotations

import fnmatch
import hashlib
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# Findings about the input itself: never filtered by select, only by explicit ignore.
ALWAYS_ON = ("NN001", "NN002", "NN003")
KNOWN_KEYS = {
    "select", "extend-select", "ignore", "extend-ignore", "per-file-ignores",
    "extend-per-file-ignores", "exclude", "extend-exclude", "respect-gitignore", "cache-dir",
    "max-file-size",
}
# The largest hand-written file we met is 1.4 MB (in torch's test suite); the analysis
# needs about 1 GiB of peak memory per MB of source (benchmarks/bench_large_files.py).
DEFAULT_MAX_FILE_SIZE = 2_000_000
_UNITS = {"": 1, "B": 1, "KB": 1_000, "MB": 1_000_000, "GB": 1_000_000_000}


class ConfigError(Exception):
    """A configuration problem the user must fix (exit code 2)."""


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

    def is_enabled(self, code: str) -> bool:
        """ruff's precedence: the most specific of select and ignore wins; ignore on ties."""
        selected = _longest_prefix(code, [*self.select, *self.extend_select])
        ignored = _longest_prefix(code, self.ignore)
        if code in ALWAYS_ON and selected < 0:
            selected = 0
        return selected >= 0 and selected > ignored

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


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.lintnn] table, walking up from ``start``."""
    directory = start.absolute()
    if directory.is_file():
        directory = directory.parent
    for candidate in (directory, *directory.parents):
        path = candidate / "pyproject.toml"
        if path.is_file():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except OSError:
                continue
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
                raise ConfigError(f"{path} is not valid TOML: {error}") from None
            if "lintnn" in data.get("tool", {}):
                return path
    return None


def load_settings(config_file: Path | None = None, start: Path | None = None) -> Settings:
    """Settings from an explicit file, or the nearest pyproject.toml, or the defaults."""
    if config_file is None:
        config_file = find_pyproject(start or Path.cwd())
    if config_file is None:
        return Settings(root=(start or Path.cwd()).absolute())
    try:
        data = tomllib.loads(config_file.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read {config_file}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{config_file} is not valid TOML: {error}") from None
    table = data.get("tool", {}).get("lintnn", data if config_file.suffix == ".toml"
                                      and config_file.name != "pyproject.toml" else {})
    return settings_from_table(table, config_file)


def settings_from_table(table: dict[str, Any], config_file: Path) -> Settings:
    unknown = set(table) - KNOWN_KEYS
    if unknown:
        raise ConfigError(
            f"{config_file}: unknown option(s) in [tool.lintnn]: {', '.join(sorted(unknown))}"
        )
    settings = Settings(root=config_file.parent.absolute(), config_file=config_file)
    settings.select = _codes(table, "select", settings.select, config_file)
    settings.extend_select = _codes(table, "extend-select", [], config_file)
    settings.ignore = _codes(table, "ignore", [], config_file) + _codes(
        table, "extend-ignore", [], config_file
    )
    for key in ("per-file-ignores", "extend-per-file-ignores"):
        mapping = table.get(key, {})
        if not isinstance(mapping, dict):
            raise ConfigError(f"{config_file}: {key} must be a table of glob = [codes]")
        for pattern, codes in mapping.items():
            settings.per_file_ignores[pattern] = _as_list(codes, f"{key}.{pattern}", config_file)
    settings.exclude = _as_list(table.get("exclude", []), "exclude", config_file) + _as_list(
        table.get("extend-exclude", []), "extend-exclude", config_file
    )
    settings.respect_gitignore = bool(table.get("respect-gitignore", True))
    if "cache-dir" in table:
        settings.cache_dir = settings.root / str(table["cache-dir"])
    if "max-file-size" in table:
        settings.max_file_size = parse_size(table["max-file-size"], config_file)
    return settings


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


def _codes(table: dict[str, Any], key: str, default: list[str], path: Path) -> list[str]:
    if key not in table:
        return default
    return [c.upper() for c in _as_list(table[key], key, path)]


def _as_list(value: Any, key: str, path: Path) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{path}: {key} must be a list of strings")


def split_codes(text: str | None) -> list[str]:
    """``"NN1, NN302"`` -> ``["NN1", "NN302"]``."""
    if not text:
        return []
    return [part.strip().upper() for part in text.split(",") if part.strip()]
