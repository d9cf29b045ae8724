"""``sarif``: SARIF 2.1.0, the format of GitHub code scanning and most CI dashboards.

Columns are Unicode code points (what libcst reports), declared in ``run.columnKind``.
File URIs are relative to the project root (the folder of the configuration file, else the
git work tree), resolved through ``%SRCROOT%``, so a run from a subfolder maps onto the
repository. A notebook finding's region is the line of the ``.ipynb`` file that holds the
code (the string of the cell's ``source``), as a viewer of that file shows it; its place in
the cell is in ``properties``. ``partialFingerprints["lintnn/v1"]`` identifies a finding
by its code, file, source line text and occurrence, so it survives lines moving.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Collection
from pathlib import Path
from typing import Any, TextIO

from lintnn.diagnostics import BUILTIN_CODES, Diagnostic, Edit, Location, Severity, rule_url
from lintnn.report.notebook_json import NotebookJson, json_span
from lintnn.report.options import FormatOptions
from lintnn.report.text import display_path
from lintnn.version import __version__

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def write(diagnostics: list[Diagnostic], stream: TextIO, options: FormatOptions) -> None:
    json.dump(sarif_log(diagnostics, options), stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def sarif_log(diagnostics: list[Diagnostic], options: FormatOptions | None = None
              ) -> dict[str, Any]:
    options = options or FormatOptions()
    rules = rule_descriptors({d.code for d in diagnostics}, options.docs_url)
    index = {rule["id"]: number for number, rule in enumerate(rules)}
    base = (options.root or options.cwd or Path.cwd()).absolute()
    writer = _Results(index, base, options)
    driver: dict[str, Any] = {"name": "lintnn", "version": __version__, "rules": rules}
    if options.docs_url and "{code}" not in options.docs_url:
        driver["informationUri"] = options.docs_url
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": base.as_uri() + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": [writer.result(d) for d in diagnostics],
        }],
    }


def rule_descriptors(extra_codes: Collection[str] = (), docs_url: str | None = None
                     ) -> list[dict[str, Any]]:
    """Every registered rule, plus the built-in codes that occur, with its page as help."""
    from lintnn.catalog import page_text
    from lintnn.static.rules import all_rules

    rows = [(code, cls.name, cls.__doc__ or cls.message, cls.severity)
            for code, cls in all_rules().items()]
    rows += [(code, BUILTIN_CODES[code].name, BUILTIN_CODES[code].summary,
              BUILTIN_CODES[code].severity)
             for code in sorted(extra_codes) if code in BUILTIN_CODES]
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
            "defaultConfiguration": {"level": _LEVEL[severity]},
            "properties": {"tags": ["lintnn"]},
        }
        url = rule_url(code, docs_url)
        if url is not None:
            descriptor["helpUri"] = url
        if page:
            descriptor["help"] = {"text": page, "markdown": page}
        descriptors.append(descriptor)
    return descriptors


def _section(page: str, title: str) -> str | None:
    match = re.search(rf"^## {re.escape(title)}\s*\n(.*?)(?=^## |\Z)", page, re.M | re.S)
    return " ".join(match.group(1).split()) if match else None


class _Results:
    """SARIF results, with what they share: the project root, notebooks' JSON, fingerprints."""

    def __init__(self, index: dict[str, int], base: Path, options: FormatOptions) -> None:
        self.index, self.base, self.options = index, base, options
        self.seen: Counter[tuple[str, str, str]] = Counter()

    def result(self, diagnostic: Diagnostic) -> dict[str, Any]:
        result: dict[str, Any] = {
            "ruleId": diagnostic.code,
            "level": _LEVEL[diagnostic.severity],
            "message": {"text": diagnostic.message},
        }
        if diagnostic.code in self.index:
            result["ruleIndex"] = self.index[diagnostic.code]
        if diagnostic.filename is not None:
            artifact = _artifact(diagnostic.filename, self.base)
            result["locations"] = [{"physicalLocation": {
                "artifactLocation": artifact, "region": self.region(diagnostic),
            }}]
            if diagnostic.fix is not None:
                fix = self.fix(diagnostic, artifact)
                if fix is not None:
                    result["fixes"] = [fix]
            result["partialFingerprints"] = {"lintnn/v1": self.fingerprint(diagnostic)}
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

    def region(self, diagnostic: Diagnostic) -> dict[str, int]:
        start, end = diagnostic.location, max(diagnostic.end_location, diagnostic.location)
        notebook = self.notebook(diagnostic)
        if notebook is not None and diagnostic.cell is not None:
            mapped = json_span(notebook, diagnostic)
            if mapped is not None:
                start, end = mapped
        return {"startLine": start.row, "startColumn": start.column,
                "endLine": end.row, "endColumn": end.column}

    def fix(self, diagnostic: Diagnostic, artifact: dict[str, Any]) -> dict[str, Any] | None:
        fix = diagnostic.fix
        assert fix is not None
        edits = list(fix.edits)
        notebook = self.notebook(diagnostic)
        if diagnostic.cell is not None:
            # The edits are in the notebook's code; the artifact is its JSON text. Only an
            # edit inside one line of one cell maps onto one string of that text.
            if notebook is None:
                return None
            edits = [_json_edit(notebook, diagnostic, edit) for edit in fix.edits]
            if any(edit is None for edit in edits):
                return None
        return _fix(fix.message, edits, artifact)  # type: ignore[arg-type]

    def notebook(self, diagnostic: Diagnostic) -> NotebookJson | None:
        if diagnostic.filename is None or diagnostic.cell is None:
            return None
        return self.options.sources.notebook(diagnostic.filename)

    def fingerprint(self, diagnostic: Diagnostic) -> str:
        """Stable across runs and line moves: code, path, the line's text, occurrence."""
        assert diagnostic.filename is not None
        path = display_path(diagnostic.filename, self.base)
        within = diagnostic.extra.get("cell_location") or diagnostic.location.to_json()
        line = self.options.sources.line(diagnostic.filename, within["row"], diagnostic.cell)
        key = (diagnostic.code, path, " ".join((line or "").split()))
        self.seen[key] += 1
        text = "\0".join((*key, str(self.seen[key])))
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _json_edit(notebook: NotebookJson, diagnostic: Diagnostic, edit: Edit) -> Edit | None:
    within = diagnostic.extra.get("cell_location")
    if not within or diagnostic.cell is None or edit.start.row != edit.end.row:
        return None
    row = edit.start.row + within["row"] - diagnostic.location.row
    start = notebook.position(diagnostic.cell, row, edit.start.column)
    end = notebook.position(diagnostic.cell, row, edit.end.column)
    if start is None or end is None or start[0] != end[0]:
        return None
    return Edit(Location(*start), Location(*end), json.dumps(edit.content)[1:-1])


def _artifact(filename: str, base: Path) -> dict[str, Any]:
    shown = display_path(filename, base)
    if Path(shown).is_absolute():
        return {"uri": Path(shown).as_uri()}
    return {"uri": _quote(shown), "uriBaseId": "%SRCROOT%"}


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


def _fix(message: str, edits: list[Edit], artifact: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": {"text": message},
        "artifactChanges": [{
            "artifactLocation": artifact,
            "replacements": [{
                "deletedRegion": {"startLine": e.start.row, "startColumn": e.start.column,
                                  "endLine": e.end.row, "endColumn": e.end.column},
                "insertedContent": {"text": e.content},
            } for e in edits],
        }],
    }
