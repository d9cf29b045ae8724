"""``junit``: JUnit XML, one test suite per file and one failing test case per finding, for
CI systems that show test reports (GitLab, Jenkins, Azure). A clean run is one passing
case, as ruff writes it."""

from __future__ import annotations

from itertools import groupby
from pathlib import Path
from typing import TextIO
from xml.etree import ElementTree

from lintnn.diagnostics import Diagnostic
from lintnn.report.options import FormatOptions
from lintnn.report.text import display_path

PACKAGE = "org.lintnn"


def write(diagnostics: list[Diagnostic], stream: TextIO, options: FormatOptions) -> None:
    suites = ElementTree.Element("testsuites", name="lintnn", tests=str(len(diagnostics) or 1),
                                 skipped="0", failures=str(len(diagnostics)), errors="0")
    if not diagnostics:
        suite = _suite(suites, "lintnn", 0)
        ElementTree.SubElement(suite, "testcase", name="No errors found", classname="lintnn")

    def key(d: Diagnostic) -> str:
        return d.filename or d.source or d.module or "<runtime>"

    for name, group in groupby(sorted(diagnostics, key=lambda d: (key(d), d.sort_key)), key=key):
        items = list(group)
        shown = display_path(name, options.cwd) if items[0].filename else name
        suite = _suite(suites, shown, len(items))
        for diagnostic in items:
            start = options.sources.file_span(diagnostic)[0]  # a notebook: its JSON line
            row, column = start.row, start.column
            case = ElementTree.SubElement(
                suite, "testcase", name=f"{PACKAGE}.{diagnostic.code}",
                classname=str(Path(shown).with_suffix("")) if items[0].filename else shown,
                line=str(row), column=str(column))
            properties = ElementTree.SubElement(case, "properties")
            ElementTree.SubElement(properties, "property", name="severity",
                                   value=diagnostic.severity.value)
            failure = ElementTree.SubElement(case, "failure", message=diagnostic.message)
            failure.text = f"line {row}, col {column}, {diagnostic.message}"
    ElementTree.indent(suites, space="    ")
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(ElementTree.tostring(suites, encoding="unicode") + "\n")


def _suite(parent: ElementTree.Element, name: str, failures: int) -> ElementTree.Element:
    return ElementTree.SubElement(parent, "testsuite", name=name, tests=str(failures or 1),
                                  skipped="0", errors="0", failures=str(failures),
                                  package=PACKAGE)
