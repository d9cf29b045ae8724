"""The corpus tooling: score.py's matching and counting, rebuild.py on a local git repo.

Synthetic manifests and findings only: no network, no snapshots of real repositories.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

CORPUS = Path(__file__).resolve().parent.parent / "benchmarks" / "corpus"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"corpus_{name}", CORPUS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


score = _load("score")
rebuild = _load("rebuild")


def label(line=None, code="NN201", file="o+r/a.py", lines=None, cell=None):
    first, last = lines or (None, None)
    return score.Label(file=file, code=code, line=line, first=first, last=last, cell=cell)


def finding(row, code="NN201", file="o+r/a.py", cell=None):
    return score.Finding(file=file, code=code, row=row, cell=cell)


# ---------------------------------------------------------------- matching


@pytest.mark.parametrize(("row", "tolerance", "matched"), [
    (10, 2, True), (12, 2, True), (8, 2, True), (13, 2, False), (13, 3, True), (11, 0, False),
])
def test_line_tolerance(row, tolerance, matched):
    result = score.match([label(10)], [finding(row)], tolerance)
    assert (len(result.tp) == 1) is matched
    assert len(result.fn) == len(result.fp) == (0 if matched else 1)


@pytest.mark.parametrize(("row", "matched"), [(20, True), (24, True), (27, True), (19, False),
                                              (28, False)])
def test_range_label_matches_inside_only(row, matched):
    result = score.match([label(lines=(20, 27))], [finding(row)], tolerance=0)
    assert (len(result.tp) == 1) is matched


def test_range_outside_is_not_widened_by_tolerance():
    result = score.match([label(lines=(20, 27))], [finding(29)], tolerance=2)
    assert not result.tp


def test_label_with_line_and_range_matches_either():
    both = label(5, lines=(20, 27))
    assert score.match([both], [finding(6)], 2).tp
    assert score.match([both], [finding(25)], 2).tp


def test_cells_must_agree():
    labels = [label(2, cell=3, file="o+r/nb.ipynb")]
    same = score.match(labels, [finding(2, cell=3, file="o+r/nb.ipynb")], 2)
    other = score.match(labels, [finding(2, cell=4, file="o+r/nb.ipynb")], 2)
    no_cell = score.match(labels, [finding(2, file="o+r/nb.ipynb")], 2)
    assert len(same.tp) == 1
    assert not other.tp and len(other.fp) == len(other.fn) == 1
    assert not no_cell.tp


def test_file_and_code_must_agree():
    result = score.match([label(10)], [finding(10, code="NN301"), finding(10, file="o+r/b.py")],
                         2)
    assert not result.tp
    assert len(result.fp) == 2 and len(result.fn) == 1


def test_one_to_one_closest_first():
    # label 12 takes the exact finding 12; label 10 then takes 11 (not 12, already used).
    result = score.match([label(10), label(12)], [finding(12), finding(11)], 2)
    pairs = sorted((lab.line, fin.row) for lab, fin in result.tp)
    assert pairs == [(10, 11), (12, 12)]
    assert not result.fp and not result.fn


def test_two_findings_one_label():
    result = score.match([label(10)], [finding(11), finding(10)], 2)
    assert [(lab.line, fin.row) for lab, fin in result.tp] == [(10, 10)]
    assert [fin.row for fin in result.fp] == [11]


def test_two_labels_one_finding():
    result = score.match([label(10), label(13)], [finding(12)], 2)
    assert [(lab.line, fin.row) for lab, fin in result.tp] == [(13, 12)]
    assert [lab.line for lab in result.fn] == [10]


# ---------------------------------------------------------------- counting


def test_counts_families_and_overall():
    labels = [label(10), label(30), label(50, code="NN301"), label(70, code="NN509")]
    findings = [finding(10), finding(51, code="NN301"), finding(90, code="NN305"),
                finding(5, code="NN509")]
    result = score.score(labels, [], Path("/nowhere"), 2)  # no raw findings
    assert result.overall.fn == 4
    matching = score.match(labels, findings, 2)
    per_code = score.count(matching)
    assert (per_code["NN201"].tp, per_code["NN201"].fp, per_code["NN201"].fn) == (1, 0, 1)
    assert per_code["NN201"].recall == 0.5 and per_code["NN201"].precision == 1.0
    assert (per_code["NN305"].tp, per_code["NN305"].fp) == (0, 1)
    assert per_code["NN305"].recall is None and per_code["NN305"].precision == 0.0
    families, overall = score.roll_up(per_code)
    assert set(families) == {"NN2", "NN3", "NN5"}
    assert (families["NN3"].tp, families["NN3"].fp, families["NN3"].fn) == (1, 1, 0)
    assert (overall.tp, overall.fp, overall.fn) == (2, 2, 2)


def test_counts_without_anything_are_undefined():
    assert score.Counts().recall is None and score.Counts().precision is None
    assert score.fmt_ratio(None) == "-"


# ---------------------------------------------------------------- filters


ENTRIES = [
    {"repo": "a/one", "path": "t.py", "sha256": "0", "framework": "jax", "kind": "course",
     "split": "dev", "labels": [{"code": "NN509", "line": 3}, {"code": "NN301", "line": 9}]},
    {"repo": "a/one", "path": "u.py", "sha256": "1", "framework": "jax", "kind": "research",
     "split": "heldout", "labels": [{"code": "NN206", "line": 4}]},
    {"repo": "a/c", "path": "r.py", "framework": "torch", "kind": "course",
     "split": "round2", "labels": []},
    {"repo": "b/two", "path": "n.ipynb", "sha256": "2", "framework": "torch", "kind": "course",
     "split": "dev",
     "labels": [{"code": "NN201", "cell": 2, "line": 5, "reason": "r", "miss_hint": "h"},
                {"code": "NN3011", "lines": [1, 4]}]},
]


def test_split_filtering():
    assert [e["path"] for e in score.select_entries(ENTRIES, "dev")] == ["t.py", "n.ipynb"]
    assert [e["path"] for e in score.select_entries(ENTRIES, "heldout")] == ["u.py"]
    assert [e["path"] for e in score.select_entries(ENTRIES, "round2")] == ["r.py"]
    assert len(score.select_entries(ENTRIES, "all")) == 4
    assert [e["path"] for e in score.select_entries(ENTRIES, "all", framework="jax",
                                                    kind="course")] == ["t.py"]


def test_prefix_filter_on_labels_and_findings(tmp_path):
    labels = score.labels_of(ENTRIES, ["NN30", "nn201"])
    assert sorted(lab.code for lab in labels) == ["NN201", "NN301", "NN3011"]
    notebook = next(lab for lab in labels if lab.code == "NN201")
    assert (notebook.file, notebook.cell, notebook.line, notebook.miss_hint) == \
        ("b+two/n.ipynb", 2, 5, "h")
    ranged = next(lab for lab in labels if lab.code == "NN3011")
    assert (ranged.first, ranged.last, ranged.line) == (1, 4, None)
    raw = [_raw(tmp_path / "a+one/t.py", "NN509", 3), _raw(tmp_path / "a+one/t.py", "NN301", 9)]
    kept, _syntax, _internal = score.split_findings(raw, tmp_path, ["NN3"])
    assert [f.code for f in kept] == ["NN301"]
    assert score.code_selected("NN509", [])


def _raw(path: Path, code: str, row: int, cell: int | None = None, cell_row: int = 0) -> dict:
    item = {"code": code, "filename": str(path), "message": f"{code} here",
            "location": {"row": row, "column": 1}}
    if cell is not None:
        item["cell"] = cell
        item["cell_location"] = {"row": cell_row, "column": 1}
    return item


def test_findings_are_keyed_and_split(tmp_path):
    raw = [
        _raw(tmp_path / "b+two/n.ipynb", "NN201", 40, cell=2, cell_row=5),
        _raw(tmp_path / "a+one/t.py", "NN001", 1),
        _raw(tmp_path / "a+one/t.py", "NN002", 1),
        _raw(Path("/elsewhere/x.py"), "NN201", 1),
    ]
    rules, syntax, internal = score.split_findings(raw, tmp_path)
    assert rules == [score.Finding("b+two/n.ipynb", "NN201", 5, 2, "NN201 here")]
    assert [f.code for f in syntax] == ["NN001"] and [f.code for f in internal] == ["NN002"]


def test_totals():
    data = score.totals(ENTRIES)
    assert data["files"] == 4 and data["repositories"] == 3 and data["labels"] == 5
    assert data["framework"] == {"jax": 2, "torch": 2}
    assert data["split"] == {"dev": 2, "heldout": 1, "round2": 1}


# ---------------------------------------------------------------- end to end, fake lintnn


FAKE_LINTNN = '''
import json, sys
files = [a for a in sys.argv[2:] if not a.startswith("-") and a != "json"]
out = []
for f in files:
    if f.endswith("t.py"):
        out.append({"code": "NN509", "filename": f, "message": "key reused",
                    "location": {"row": 4, "column": 1}})
        out.append({"code": "NN204", "filename": f, "message": "flag fixed",
                    "location": {"row": 20, "column": 1}})
    if f.endswith("bad.py"):
        out.append({"code": "NN001", "filename": f, "message": "SyntaxError",
                    "location": {"row": 1, "column": 1}})
print(json.dumps(out))
sys.exit(1 if out else 0)
'''


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    entries = []
    for path, content, labels in [
        ("t.py", b"import jax\n" * 30, [{"code": "NN509", "line": 3},
                                        {"code": "NN301", "line": 9, "miss_hint": "hint"}]),
        ("bad.py", b"def f(:\n", [{"code": "NN508", "line": 1}]),
    ]:
        target = corpus / "files" / "a+one" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        entries.append({"repo": "a/one", "commit": "0" * 40, "path": path,
                        "sha256": hashlib.sha256(content).hexdigest(), "framework": "jax",
                        "kind": "course", "split": "dev", "lines": 1, "labels": labels})
    entries.append({**entries[0], "path": "absent.py", "split": "dev"})
    (corpus / "manifest-test.jsonl").write_text(
        "".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    return corpus


def test_main_end_to_end(tmp_path, capsys):
    corpus = _corpus(tmp_path)
    tree = tmp_path / "tree"
    (tree / "lintnn").mkdir(parents=True)
    (tree / "lintnn" / "__init__.py").write_text("")
    (tree / "lintnn" / "__main__.py").write_text(FAKE_LINTNN)
    out = tmp_path / "result.json"
    code = score.main(["--corpus", str(corpus), "--tree", str(tree), "--tree", str(tree),
                       "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "1 selected files are not rebuilt" in printed
    assert "hint" in printed and "flag fixed" in printed and "NN001" in printed
    result = json.loads(out.read_text())
    assert len(result["results"]) == 2
    first = result["results"][0]
    assert first["per_code"]["NN509"]["tp"] == 1
    assert first["per_code"]["NN204"]["fp"] == 1
    assert first["per_code"]["NN301"]["fn"] == 1
    assert first["per_code"]["NN508"]["fn"] == 1  # a file lintnn cannot parse still counts
    assert [f["file"] for f in first["syntax_errors"]] == ["a+one/bad.py"]
    assert (first["overall"]["tp"], first["overall"]["fp"], first["overall"]["fn"]) == (1, 1, 2)
    assert score.main(["--corpus", str(corpus), "--tree", str(tree), "--min-files", "5"]) == 2
    capsys.readouterr()
    # a split no manifest has is refused (a typo must not score nothing), naming the ones there are
    assert score.main(["--corpus", str(corpus), "--tree", str(tree), "--split", "heldout"]) == 2
    assert "the manifests have: dev, all" in capsys.readouterr().err


# ---------------------------------------------------------------- rebuild.py


def _git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_rebuild_from_a_local_snapshot(tmp_path, capsys):
    work = tmp_path / "work"
    work.mkdir()
    content = b"import optax\r\nprint('x')\n"  # exact bytes, CRLF kept
    (work / "src").mkdir()
    (work / "src" / "train.py").write_bytes(content)
    _git("init", "-q", cwd=work)
    _git("add", ".", cwd=work)
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "c", cwd=work)
    commit = _git("rev-parse", "HEAD", cwd=work)
    mirror = tmp_path / "mirror"
    _git("clone", "-q", "--bare", str(work), str(mirror / "own+repo" / "repo"))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    entry = {"repo": "own/repo", "commit": commit, "path": "src/train.py",
             "sha256": hashlib.sha256(content).hexdigest(), "labels": []}
    other = {**entry, "repo": "gone/away"}
    manifest = corpus / "manifest-x.jsonl"
    manifest.write_text(json.dumps(entry) + "\n\n" + json.dumps(other) + "\n")

    args = ["--mirror", str(mirror), "--corpus", str(corpus)]
    assert rebuild.main(args) == 1  # gone/away has no snapshot
    printed = capsys.readouterr().out
    assert "github:gone/away" in printed and "1 written" in printed
    assert (corpus / "files" / "own+repo" / "src" / "train.py").read_bytes() == content
    assert rebuild.main([*args, "--allow-missing"]) == 0
    assert "1 already present" in capsys.readouterr().out

    manifest.write_text(json.dumps({**entry, "sha256": "0" * 64}) + "\n")
    assert rebuild.main(args) == 1
    assert "sha256" in capsys.readouterr().err
    manifest.write_text(json.dumps({**entry, "path": "nope.py"}) + "\n")
    assert rebuild.main(args) == 1
