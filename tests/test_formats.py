"""Output formats: sarif (validated against the official schema), github, json, json-lines."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest

from lintnn.cli import main
from lintnn.diagnostics import Diagnostic, Edit, Fix, Location, Severity
from lintnn.report import FORMATTERS, FormatOptions, write
from lintnn.report.github import annotation, escape_property

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
BUGGY = """\
import torch.nn as nn
import torch.nn.functional as F

net = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.BatchNorm1d(4))

def step(model, x, y):
    return F.cross_entropy(F.softmax(model(x), dim=1), y)
"""


def _diagnostics(tmp_path: Path) -> list[Diagnostic]:
    fix = Fix("pass the logits", (Edit(Location(3, 5), Location(3, 9), "z"),))
    return [
        Diagnostic("NN101", "probabilities-into-logits-loss", Severity.ERROR,
                   "50% done, line\nbreak", filename=str(tmp_path / "a b,c.py"),
                   location=Location(3, 5), end_location=Location(3, 9), fix=fix),
        Diagnostic("NN401", "batchnorm-after-dropout", Severity.WARNING, "bn",
                   filename=str(tmp_path / "nb.ipynb"), location=Location(7, 1),
                   end_location=Location(7, 4), cell=3,
                   extra={"cell_location": {"row": 2, "column": 1}}),
        Diagnostic("NN001", "syntax-error", Severity.ERROR, "SyntaxError: bad",
                   filename=str(tmp_path / "broken.py")),
        Diagnostic("NN101", "probabilities-into-logits-loss", Severity.INFO, "runtime",
                   module="head.softmax", source="model.py:12"),
    ]


def _render(fmt: str, diagnostics: list[Diagnostic], cwd: Path) -> str:
    stream = io.StringIO()
    write(diagnostics, fmt, stream, FormatOptions(cwd=cwd))
    return stream.getvalue()


def test_every_documented_format_is_registered() -> None:
    assert {"text", "json", "json-lines", "github", "sarif"} <= set(FORMATTERS)


def test_sarif_is_valid_and_complete(tmp_path: Path) -> None:
    log = json.loads(_render("sarif", _diagnostics(tmp_path), tmp_path))
    jsonschema.validate(log, SCHEMA)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert "NN101" in ids and "NN401" in ids and "NN001" in ids
    nn101 = rules[ids.index("NN101")]
    assert nn101["name"] == "probabilities-into-logits-loss"
    assert nn101["helpUri"].startswith("file://") and nn101["helpUri"].endswith("/NN101.md")
    assert nn101["defaultConfiguration"]["level"] == "error"
    assert "double softmax" not in nn101["shortDescription"]["text"]
    assert nn101["help"]["markdown"].startswith("# NN101")
    assert "softmax" in nn101["fullDescription"]["text"]
    first, notebook, syntax, runtime = run["results"]
    assert rules[first["ruleIndex"]]["id"] == "NN101"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "a%20b%2Cc.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 3, "startColumn": 5, "endLine": 3,
                                  "endColumn": 9}
    replacement = first["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert replacement["insertedContent"]["text"] == "z"
    assert notebook["level"] == "warning" and notebook["properties"]["cell"] == 3
    assert rules[syntax["ruleIndex"]]["id"] == "NN001"
    assert runtime["level"] == "note"
    assert runtime["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "head.softmax"


def test_sarif_from_the_command_line(tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / "train.py").write_text(BUGGY)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "train.py", "--no-cache", "--output-format", "sarif"]) == 1
    log = json.loads(capsys.readouterr().out)
    jsonschema.validate(log, SCHEMA)
    results = log["runs"][0]["results"]
    assert sorted(r["ruleId"] for r in results) == ["NN101", "NN401"]
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "train.py"
               for r in results)
    assert any("fixes" in r for r in results)


def test_github_annotations(tmp_path: Path) -> None:
    lines = _render("github", _diagnostics(tmp_path), tmp_path).splitlines()
    assert lines[0] == ("::error title=lintnn (NN101),file=a b%2Cc.py,line=3,col=5,endLine=3,"
                        "endColumn=9::NN101 50%25 done, line%0Abreak")
    assert lines[1].startswith("::warning title=lintnn (NN401),file=nb.ipynb::")
    assert lines[1].endswith("::cell 3:line 2:1: NN401 bn")
    assert lines[3] == "::notice title=lintnn (NN101)::head.softmax: NN101 runtime (model.py:12)"


@pytest.mark.parametrize(("raw", "escaped"), [
    ("a:b,c", "a%3Ab%2Cc"), ("100%", "100%25"), ("x\r\ny", "x%0D%0Ay")])
def test_github_property_escaping(raw: str, escaped: str) -> None:
    assert escape_property(raw) == escaped


def test_github_from_the_command_line(tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / "train.py").write_text(BUGGY)
    monkeypatch.chdir(tmp_path)
    main(["check", ".", "--no-cache", "--output-format", "github"])
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("::warning title=lintnn (NN401),file=train.py,line=4,col=55,")
    assert out[1].startswith("::error title=lintnn (NN101),file=train.py,line=7,col=12,")
    assert len(out) == 2


def test_json_lines_is_one_object_per_line(tmp_path: Path) -> None:
    lines = _render("json-lines", _diagnostics(tmp_path), tmp_path).splitlines()
    objects = [json.loads(line) for line in lines]
    assert [o["code"] for o in objects] == ["NN101", "NN401", "NN001", "NN101"]
    assert objects[0]["fix"]["edits"][0]["content"] == "z"
    assert objects[1]["cell"] == 3


def test_json_is_one_list(tmp_path: Path) -> None:
    data = json.loads(_render("json", _diagnostics(tmp_path), tmp_path))
    assert len(data) == 4
    assert data[0]["location"] == {"row": 3, "column": 5}
    assert Path(data[0]["filename"]).is_absolute()


def test_annotation_of_a_file_without_span(tmp_path: Path) -> None:
    diagnostic = _diagnostics(tmp_path)[2]
    assert annotation(diagnostic, FormatOptions(cwd=tmp_path)) == (
        "::error title=lintnn (NN001),file=broken.py,line=1,col=1,endLine=1,endColumn=1"
        "::NN001 SyntaxError: bad")
