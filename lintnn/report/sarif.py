"""``sarif``: SARIF 2.1.0, the format of GitHub code scanning and most CI dashboards.

Columns are Unicode code points (what libcst reports), declared in ``run.columnKind``.
File URIs are relative to the working directory, resolved through ``%SRCROOT%``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from lintnn.diagnostics import DOCS_URL, Diagnostic, Fix, Severity
from lintnn.report.text import display_path
from lintnn.version import __version__

if TYPE_CHECKING:
    from lintnn.report.options import FormatOptions

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_BUILTIN = {
    "NN001": ("syntax-error", "The file cannot be read or parsed.", Severity.ERROR),
    "NN002": ("internal-error", "lintnn failed on this file; please report it.", Severity.ERROR),
    "NN003": ("io-error", "The path cannot be read: missing, not permitted, or not a regular "
              "file.", Severity.ERROR),
}


def write(diagnostics: list[Diagnostic], stream: TextIO, options: FormatOptions) -> None:
    json.dump(sarif_log(diagnostics, options.cwd), stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def sarif_log(diagnostics: list[Diagnostic], cwd: Path | None = None) -> dict[str, Any]:
    rules = rule_descriptors({d.code for d in diagnostics})
    index = {rule["id"]: number for number, rule in enumerate(rules)}
    base = (cwd or Path.cwd()).absolute()
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "lintnn",
                "version": __version__,
                "informationUri": "https://lintnn.dev",
                "rules": rules,
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": base.as_uri() + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": [_result(d, index, base) for d in diagnostics],
        }],
    }


def rule_descriptors(extra_codes: Collection[str] = ()) -> list[dict[str, Any]]:
    """Every registered rule, plus the built-in codes that occur, with its page as help."""
    from lintnn.catalog import page_text
    from lintnn.static.rules import all_rules

    rows = [(code, cls.name, cls.__doc__ or cls.message, cls.severity)
            for code, cls in all_rules().items()]
    rows += [(code, *_BUILTIN[code]) for code in sorted(extra_codes) if code in _BUILTIN]
    descriptors = []
    for code, name, doc, severity in rows:
        short = doc.strip().splitlines()[0] if doc.strip() else name
        page = page_text(code)
        full = _section(page, "What it does") if page else None
        descriptor: dict[str, Any] = {
            "id": code,
            "name": name,
            "shortDescription": {"text": short},
            "fullDescription": {"text": full or short},
            "helpUri": DOCS_URL.format(code=code),
            "defaultConfiguration": {"level": _LEVEL[severity]},
            "properties": {"tags": ["lintnn"]},
        }
        if page:
            descriptor["help"] = {"text": page, "markdown": page}
        descriptors.append(descriptor)
    return descriptors


def _section(page: str, title: str) -> str | None:
    match = re.search(rf"^## {re.escape(title)}\s*\n(.*?)(?=^## |\Z)", page, re.M | re.S)
    return " ".join(match.group(1).split()) if match else None


def _result(diagnostic: Diagnostic, index: dict[str, int], base: Path) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "level": _LEVEL[diagnostic.severity],
        "message": {"text": diagnostic.message},
    }
    if diagnostic.code in index:
        result["ruleIndex"] = index[diagnostic.code]
    if diagnostic.filename is not None:
        artifact = _artifact(diagnostic.filename, base)
        result["locations"] = [{"physicalLocation": {
            "artifactLocation": artifact, "region": _region(diagnostic),
        }}]
        if diagnostic.fix is not None:
            result["fixes"] = [_fix(diagnostic.fix, artifact)]
    elif diagnostic.module is not None:
        result["locations"] = [{"logicalLocations": [
            {"fullyQualifiedName": diagnostic.module or "<root>", "kind": "module"}]}]
    properties = {k: v for k, v in (("cell", diagnostic.cell),
                                    ("source", diagnostic.source)) if v is not None}
    if "cell_location" in diagnostic.extra:
        properties["cellLocation"] = diagnostic.extra["cell_location"]
    if properties:
        result["properties"] = properties
    return result


def _artifact(filename: str, base: Path) -> dict[str, Any]:
    shown = display_path(filename, base)
    if Path(shown).is_absolute():
        return {"uri": Path(shown).as_uri()}
    return {"uri": _quote(shown), "uriBaseId": "%SRCROOT%"}


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


def _region(diagnostic: Diagnostic) -> dict[str, int]:
    start, end = diagnostic.location, diagnostic.end_location
    if end < start:
        end = start
    return {"startLine": start.row, "startColumn": start.column,
            "endLine": end.row, "endColumn": end.column}


def _fix(fix: Fix, artifact: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": {"text": fix.message},
        "artifactChanges": [{
            "artifactLocation": artifact,
            "replacements": [{
                "deletedRegion": {"startLine": e.start.row, "startColumn": e.start.column,
                                  "endLine": e.end.row, "endColumn": e.end.column},
                "insertedContent": {"text": e.content},
            } for e in fix.edits],
        }],
    }
