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


# Issue 14: SARIF for notebooks and subfolders, the other formats of ruff -----------------

NOTEBOOK_CELLS = [
    {"cell_type": "markdown", "metadata": {}, "source": ["# Training\n", "a note"]},
    {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 1,
     "source": ["import torch.nn as nn\n", "import torch.nn.functional as F\n"]},
    {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 2,
     "source": ["z = nn.Linear(4, 3)(x)\n",
                "loss = F.cross_entropy(F.softmax(z, dim=1), y)  # \u00e9t\u00e9 \\\"q\\\""]},
]


def _notebook(path: Path, ensure_ascii: bool = True) -> str:
    raw = json.dumps({"cells": NOTEBOOK_CELLS, "metadata": {}, "nbformat": 4,
                      "nbformat_minor": 5}, indent=1, ensure_ascii=ensure_ascii) + "\n"
    path.write_text(raw, encoding="utf-8")
    return raw


@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_sarif_notebook_regions_are_lines_of_the_json_file(tmp_path: Path, capsys, monkeypatch,
                                                           ensure_ascii: bool) -> None:
    raw = _notebook(tmp_path / "train.ipynb", ensure_ascii)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "train.ipynb", "--no-cache", "--select", "NN101",
                 "--output-format", "sarif"]) == 1
    log = json.loads(capsys.readouterr().out)
    jsonschema.validate(log, SCHEMA)
    [result] = log["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    json_line = raw.splitlines()[region["startLine"] - 1]
    assert json_line.strip().startswith('"loss = F.cross_entropy(')
    # The region's columns cut the span out of the JSON line, escapes included.
    span = json_line[region["startColumn"] - 1: region["endColumn"] - 1]
    assert span == "F.softmax(z, dim=1)" or span.startswith("F.cross_entropy(")
    assert result["properties"]["cellLocation"] == {"row": 2, "column": 8}
    # The fix replaces text in the JSON file: applied there, it gives the fixed cell.
    [replacement] = result["fixes"][0]["artifactChanges"][0]["replacements"]
    deleted = replacement["deletedRegion"]
    assert deleted["startLine"] == deleted["endLine"] == region["startLine"]
    fixed_line = (json_line[: deleted["startColumn"] - 1] + replacement["insertedContent"]["text"]
                  + json_line[deleted["endColumn"] - 1:])
    lines = raw.splitlines()
    lines[region["startLine"] - 1] = fixed_line
    fixed = json.loads("\n".join(lines))
    assert fixed["cells"][2]["source"][1].startswith("loss = F.cross_entropy(z, y)  # ")


def test_sarif_uris_are_relative_to_the_project_root(tmp_path: Path, capsys,
                                                     monkeypatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.lintnn]\n")
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "train.py").write_text(BUGGY)
    monkeypatch.chdir(tmp_path / "src")
    main(["check", "pkg", "--no-cache", "--output-format", "sarif"])
    log = json.loads(capsys.readouterr().out)
    jsonschema.validate(log, SCHEMA)
    run = log["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"
    artifacts = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                 for r in run["results"]}
    assert artifacts == {"src/pkg/train.py"}


def test_sarif_fingerprints_survive_moved_lines(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)

    def fingerprints() -> dict[str, str]:
        main(["check", "train.py", "--no-cache", "--output-format", "sarif"])
        results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
        return {r["ruleId"]: r["partialFingerprints"]["lintnn/v1"] for r in results}

    (tmp_path / "train.py").write_text(BUGGY)
    before = fingerprints()
    (tmp_path / "train.py").write_text("# a new first line\n\n" + BUGGY)
    assert fingerprints() == before
    assert len(set(before.values())) == 2


def test_sarif_links_follow_docs_url(tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.lintnn]\ndocs-url = "https://docs.example.org/lintnn/"\n')
    (tmp_path / "train.py").write_text(BUGGY)
    monkeypatch.chdir(tmp_path)
    main(["check", "train.py", "--no-cache", "--output-format", "sarif"])
    log = json.loads(capsys.readouterr().out)
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["NN101"]["helpUri"] == "https://docs.example.org/lintnn/rules/NN101.html"
    assert rules["NN101"]["help"]["markdown"].startswith("# NN101")  # the full page, kept
    assert "## Why is this bad?" in rules["NN101"]["help"]["text"]
    main(["check", "train.py", "--no-cache", "--output-format", "json"])
    urls = {d["url"] for d in json.loads(capsys.readouterr().out)}
    assert urls == {"https://docs.example.org/lintnn/rules/NN101.html",
                    "https://docs.example.org/lintnn/rules/NN401.html"}


def test_default_links_are_the_installed_pages() -> None:
    from lintnn.diagnostics import rule_url

    url = rule_url("NN302")
    assert url is not None and url.startswith("file:///")
    page = Path(url.removeprefix("file://"))
    assert page.read_text(encoding="utf-8").startswith("# NN302: ")
    assert rule_url("NN302", "https://x.org/{code}") == "https://x.org/NN302"


def test_every_documented_format_of_ruff_is_registered() -> None:
    assert {"full", "concise", "grouped", "json", "json-lines", "junit", "github", "gitlab",
            "pylint", "rdjson", "sarif"} <= set(FORMATTERS)


def _source_diagnostics(tmp_path: Path) -> list[Diagnostic]:
    (tmp_path / "train.py").write_text(BUGGY)
    from lintnn.config import Settings
    from lintnn.static.engine.run import Engine

    engine = Engine(Settings(root=tmp_path), use_cache=False, jobs=1)
    return engine.check_paths([tmp_path / "train.py"]).diagnostics


def test_full_draws_the_line_and_a_caret_under_the_span(tmp_path: Path) -> None:
    text = _render("full", _source_diagnostics(tmp_path), tmp_path)
    assert text.startswith("NN401 BatchNorm directly after Dropout")
    first = text.split("\n\n")[0].splitlines()
    assert first[1:] == [
        " --> train.py:4:55",
        "  |",
        "2 | import torch.nn.functional as F",
        "3 |",
        "4 | net = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.BatchNorm1d(4))",
        "  |                                                       ^^^^^^^^^^^^^^^^^",
        "5 |",
        "6 | def step(model, x, y):",
        "  |",
    ]
    assert "help: pass the logits to the loss" in text
    assert text.rstrip().endswith("Found 2 problems (1 error, 1 warning).\n"
                                  "[*] 1 fixable with the `--fix` option.")


def test_full_multi_line_span_and_wide_characters(tmp_path: Path) -> None:
    from lintnn.report.full import render

    (tmp_path / "m.py").write_text("s = '日本'; t = f(\n    1,\n    2)\nu = 1\n")
    span = Diagnostic("NN101", "r", Severity.ERROR, "multi", filename=str(tmp_path / "m.py"),
                      location=Location(1, 16), end_location=Location(3, 7))
    assert render(span, FormatOptions(cwd=tmp_path)).splitlines()[1:] == [
        " --> m.py:1:16",
        "  |",
        "1 |   s = '日本'; t = f(",
        "  |  __________________^",
        "2 | |     1,",
        "3 | |     2)",
        "  | |______^",
        "4 |   u = 1",
        "  |",
    ]
    caret = Diagnostic("NN101", "r", Severity.ERROR, "wide", filename=str(tmp_path / "m.py"),
                       location=Location(1, 12), end_location=Location(1, 13))
    assert render(caret, FormatOptions(cwd=tmp_path)).splitlines()[4] == \
        "  |              ^"  # past two wide characters


def test_grouped_pylint_and_concise(tmp_path: Path) -> None:
    diagnostics = _source_diagnostics(tmp_path)
    grouped = _render("grouped", diagnostics, tmp_path).splitlines()
    assert grouped[:3] == ["train.py:", f"  4:55 NN401 {diagnostics[0].message}",
                           f"  7:12 NN101 [*] {diagnostics[1].message}"]
    assert _render("pylint", diagnostics, tmp_path).splitlines() == [
        f"train.py:4: [NN401] {diagnostics[0].message}",
        f"train.py:7: [NN101] {diagnostics[1].message}"]
    assert _render("concise", diagnostics, tmp_path).startswith(
        f"train.py:4:55: NN401 {diagnostics[0].message}\n")


def test_junit_is_one_failing_case_per_finding(tmp_path: Path) -> None:
    from xml.etree import ElementTree

    root = ElementTree.fromstring(_render("junit", _source_diagnostics(tmp_path), tmp_path))
    assert root.tag == "testsuites" and root.get("failures") == "2"
    [suite] = root
    assert suite.get("name") == "train.py" and suite.get("failures") == "2"
    cases = list(suite)
    assert [c.get("name") for c in cases] == ["org.lintnn.NN401", "org.lintnn.NN101"]
    assert cases[1].get("line") == "7" and cases[1].get("column") == "12"
    assert cases[1].find("failure").text.startswith("line 7, col 12, softmax output")
    clean = ElementTree.fromstring(_render("junit", [], tmp_path))
    assert clean.get("failures") == "0" and clean[0][0].get("name") == "No errors found"


def test_gitlab_code_quality(tmp_path: Path, monkeypatch) -> None:
    diagnostics = _source_diagnostics(tmp_path)
    monkeypatch.setenv("CI_PROJECT_DIR", str(tmp_path.parent))
    issues = json.loads(_render("gitlab", diagnostics + diagnostics[:1], tmp_path))
    assert issues[0]["check_name"] == "NN401" and issues[0]["severity"] == "minor"
    assert issues[1]["severity"] == "major"
    assert issues[0]["location"] == {"path": f"{tmp_path.name}/train.py", "positions": {
        "begin": {"line": 4, "column": 55}, "end": {"line": 4, "column": 72}}}
    assert len({issue["fingerprint"] for issue in issues}) == 3  # unique, even for repeats
    for issue in issues:
        assert set(issue) == {"check_name", "description", "severity", "fingerprint",
                              "location"}


def test_rdjson_for_reviewdog(tmp_path: Path) -> None:
    report = json.loads(_render("rdjson", _source_diagnostics(tmp_path), tmp_path))
    assert report["source"]["name"] == "lintnn"
    nn401, nn101 = report["diagnostics"]
    assert nn401["location"] == {"path": str(tmp_path / "train.py"), "range": {
        "start": {"line": 4, "column": 55}, "end": {"line": 4, "column": 72}}}
    assert nn401["code"]["value"] == "NN401" and nn401["code"]["url"].endswith("NN401.md")
    assert nn101["severity"] == "ERROR"
    assert nn101["suggestions"][0]["text"] == "model(x)"


def test_full_shows_a_notebook_cell_with_its_own_line_numbers(tmp_path: Path, capsys,
                                                               monkeypatch) -> None:
    _notebook(tmp_path / "train.ipynb")
    monkeypatch.chdir(tmp_path)
    main(["check", "train.ipynb", "--no-cache", "--select", "NN101", "--output-format", "full"])
    out = capsys.readouterr().out.splitlines()
    assert out[1] == " --> train.ipynb:cell 3:line 2:8"
    assert out[3] == "1 | z = nn.Linear(4, 3)(x)"
    assert out[4].startswith("2 | loss = F.cross_entropy(F.softmax(z, dim=1), y)  # ")
    assert out[5] == "  |        " + "^" * len("F.cross_entropy(F.softmax(z, dim=1), y)")


def test_rdjson_columns_are_utf8_bytes_and_notebooks_map_to_json(tmp_path: Path, capsys,
                                                                  monkeypatch) -> None:
    """reviewdog counts columns in UTF-8 bytes (its rdf ``Position``), lintnn in code points."""
    (tmp_path / "train.py").write_text(
        "import torch.nn.functional as F\n"
        "s = 'été'; loss = F.cross_entropy(F.softmax(z, dim=1), y)\n", encoding="utf-8")
    raw = _notebook(tmp_path / "nb.ipynb", ensure_ascii=False)
    monkeypatch.chdir(tmp_path)
    main(["check", ".", "--no-cache", "--select", "NN101", "--output-format", "rdjson"])
    by_name = {Path(d["location"]["path"]).name: d
               for d in json.loads(capsys.readouterr().out)["diagnostics"]}
    start = by_name["train.py"]["location"]["range"]["start"]
    line = "s = 'été'; loss = F.cross_entropy(F.softmax(z, dim=1), y)".encode()
    assert start == {"line": 2, "column": line.index(b"F.cross_entropy") + 1}
    suggestion = by_name["train.py"]["suggestions"][0]["range"]["start"]
    assert suggestion["column"] == line.index(b"F.softmax") + 1
    notebook = by_name["nb.ipynb"]["location"]["range"]["start"]
    json_line = raw.splitlines()[notebook["line"] - 1].encode()
    assert json_line[notebook["column"] - 1:].startswith(b"F.cross_entropy(")


@pytest.mark.parametrize("fmt", ["gitlab", "pylint", "junit"])
def test_line_based_formats_put_notebook_findings_on_their_json_line(
        tmp_path: Path, capsys, monkeypatch, fmt: str) -> None:
    raw = _notebook(tmp_path / "nb.ipynb")
    expected = next(number for number, line in enumerate(raw.splitlines(), start=1)
                    if '"loss = F.cross_entropy(' in line)
    monkeypatch.chdir(tmp_path)
    main(["check", "nb.ipynb", "--no-cache", "--select", "NN101", "--output-format", fmt])
    out = capsys.readouterr().out
    if fmt == "gitlab":
        assert json.loads(out)[0]["location"]["positions"]["begin"]["line"] == expected
    elif fmt == "pylint":
        assert out.startswith(f"nb.ipynb:{expected}: [NN101] ")
    else:
        assert f'line="{expected}"' in out
