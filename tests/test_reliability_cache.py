"""The cache (issue 18 item 6, issue 14 item 6): JSON that cannot run code, and whatever is
in it (wrong shapes, truncation, random bytes), a folder that cannot be written, or runs
at the same time, the results are those of ``--no-cache``; its temporary file never stays.
It lives at the project's root, not next to the linted path."""

from __future__ import annotations

import io
import json
import os
import pickle
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lintnn.config import Settings
from lintnn.report import FormatOptions, write
from lintnn.static.engine import cache as cache_module
from lintnn.static.engine.run import Engine
from tests.conftest import subprocess_env

BUGGY = """import torch.nn as nn
import torch.nn.functional as F

loss_fn = nn.CrossEntropyLoss()


class Net(nn.Module):
    def forward(self, x):
        return F.softmax(x, dim=1)


def step(model, x, y):
    return loss_fn(F.softmax(model(x), dim=1), y)  # noqa: NN102
"""
NOTEBOOK = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
    {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
     "source": BUGGY.splitlines(keepends=True)}]})


def make_tree(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "model.py").write_text(BUGGY)
    (root / "pkg" / "train.py").write_text(
        "import torch.nn as nn\nfrom pkg.model import Net\n\nloss_fn = nn.CrossEntropyLoss()\n"
        "\n\ndef step(x, y):\n    return loss_fn(Net()(x), y)\n")
    (root / "broken.py").write_text("def (:\n")
    (root / "book.ipynb").write_text(NOTEBOOK)
    return root


def outcome(root: Path, use_cache: bool):
    result = Engine(Settings(root=root), use_cache=use_cache, jobs=1).check_paths([root])
    return [d.to_json() for d in result.diagnostics], result.cached


def cache_files(root: Path) -> list[Path]:
    return sorted((root / ".lintnn_cache").glob("v*.json"))


def test_the_cache_is_versioned_json_and_gives_the_same_results(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    expected, _ = outcome(root, use_cache=False)
    assert outcome(root, use_cache=True) == (expected, 0)
    [file] = cache_files(root)
    data = json.loads(file.read_text())
    assert data["format"] == "lintnn-cache" and data["version"] == cache_module.FORMAT_VERSION
    assert len(data["entries"]) == 5
    assert outcome(root, use_cache=True) == (expected, 5)  # every file from the cache


class _Payload:
    def __reduce__(self):
        return (os.mkdir, (str(Path(os.environ["LINTNN_TEST_MARKER"])),))


def test_a_planted_pickle_never_runs(tmp_path: Path, monkeypatch) -> None:
    root = make_tree(tmp_path)
    expected, _ = outcome(root, use_cache=False)
    marker = tmp_path / "pwned"
    monkeypatch.setenv("LINTNN_TEST_MARKER", str(marker))
    outcome(root, use_cache=True)
    [file] = cache_files(root)
    planted = pickle.dumps({"x": _Payload()})
    file.write_bytes(planted)  # under the name lintnn reads
    file.with_suffix(".pickle").write_bytes(planted)  # and where older versions read
    assert outcome(root, use_cache=True) == (expected, 0)
    assert not marker.exists()


DROP = object()


def mutations(value, path=()):
    """Every place in ``value`` with something no field of a result can hold put there
    (a float; a string for a list; a list for an object), and every object with a key
    dropped or added: shapes, not contents."""
    yield path, 1.5
    if isinstance(value, list):
        yield path, "x"
        for i, item in enumerate(value):
            yield from mutations(item, (*path, i))
    elif isinstance(value, dict):
        yield path, ["x"]
        yield (*path, "unexpected"), 1
        for key, item in value.items():
            if key != "extra":  # free-form by type: any JSON value is a valid one
                yield (*path, key), DROP
                yield from mutations(item, (*path, key))


def put(data, path, value):
    *parents, last = path
    for key in parents:
        data = data[key]
    if value is DROP:
        del data[last]
    else:
        data[last] = value


def test_entries_of_the_wrong_shape_are_misses(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    expected, _ = outcome(root, use_cache=False)
    outcome(root, use_cache=True)
    [file] = cache_files(root)
    pristine = json.loads(file.read_text())
    places = list(mutations(pristine["entries"], ("entries",)))
    assert len(places) > 300
    for path, value in random.Random(6).sample(places, 60) + places[:10]:
        data = json.loads(json.dumps(pristine))
        put(data, path, value)
        file.write_text(json.dumps(data))
        found, _ = outcome(root, use_cache=True)
        assert found == expected, (path, value)


def test_truncated_random_and_foreign_caches_are_ignored(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    expected, _ = outcome(root, use_cache=False)
    outcome(root, use_cache=True)
    [file] = cache_files(root)
    whole = file.read_bytes()
    pick = random.Random(7)
    bad = [whole[:n] for n in pick.sample(range(len(whole)), 15)]
    bad += [pick.randbytes(len(whole)) for _ in range(5)]
    bad += [b"[" * 100_000, b"{}", b'{"format": "lintnn-cache", "version": 99, "entries": {}}',
            json.dumps({"format": "lintnn-cache", "version": 1, "entries": []}).encode()]
    for content in bad:
        file.write_bytes(content)
        assert outcome(root, use_cache=True)[0] == expected


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_cache_folder(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    expected, _ = outcome(root, use_cache=False)
    (root / ".lintnn_cache").mkdir()
    (root / ".lintnn_cache").chmod(0o555)
    try:
        assert outcome(root, use_cache=True) == (expected, 0)
        assert list((root / ".lintnn_cache").iterdir()) == []
    finally:
        (root / ".lintnn_cache").chmod(0o755)


def test_a_cache_folder_that_cannot_be_made(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    expected, _ = outcome(root, use_cache=False)
    (root / ".lintnn_cache").write_text("a file where the folder should be")
    assert outcome(root, use_cache=True) == (expected, 0)
    assert outcome(root, use_cache=True) == (expected, 0)


@pytest.mark.parametrize("error", [TypeError("bad"), RecursionError(), ValueError("x"),
                                   KeyboardInterrupt(), OSError(28, "No space left")])
def test_no_failure_while_saving_leaves_its_temporary_file(tmp_path: Path, monkeypatch,
                                                           error: BaseException) -> None:
    root = make_tree(tmp_path)
    expected, _ = outcome(root, use_cache=False)

    def fail(*args, **kwargs):
        args[1].write("{half")
        raise error

    monkeypatch.setattr(cache_module.json, "dump", fail)
    if isinstance(error, KeyboardInterrupt):
        with pytest.raises(KeyboardInterrupt):
            outcome(root, use_cache=True)
    else:
        assert outcome(root, use_cache=True) == (expected, 0)
    assert [p.name for p in (root / ".lintnn_cache").iterdir()] == [".gitignore"]


def run_json(cwd: Path, *args: str) -> list[dict]:
    run = subprocess.run([sys.executable, "-m", "lintnn", "check", "--output-format", "json",
                          "--exit-zero", *args], cwd=cwd, capture_output=True, text=True,
                         env=subprocess_env(), timeout=300)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_ten_pairs_of_concurrent_runs(tmp_path: Path) -> None:
    root = make_tree(tmp_path)

    def no_cache() -> list[dict]:  # as `--no-cache --output-format json` prints it
        result = Engine(Settings(root=root), use_cache=False, jobs=1).check_paths([root])
        stream = io.StringIO()
        write(result.diagnostics, "json", stream, FormatOptions(cwd=root))
        return json.loads(stream.getvalue())

    expected = no_cache()
    assert run_json(root, ".", "--no-cache") == expected
    with ThreadPoolExecutor(2) as pool:
        for round_ in range(10):
            if round_ % 3 == 2:  # a changed file: its entry is stale for both runs
                (root / "pkg" / "model.py").write_text(BUGGY + f"# round {round_}\n")
                expected = no_cache()
            pair = list(pool.map(lambda _: run_json(root, "."), range(2)))
            assert pair == [expected, expected], round_
    leftover = [p.name for p in (root / ".lintnn_cache").iterdir()
                if p.suffix != ".json" and p.name != ".gitignore"]
    assert leftover == []


def test_the_cache_hit_speaks_of_the_file_as_this_run_names_it(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    (root / "pyproject.toml").write_text("[tool.lintnn]\n")
    real = sorted(str(root / "pkg" / name) for name in ("model.py", "train.py"))
    from_root = run_json(root, "pkg/model.py", "pkg/train.py")
    from_pkg = run_json(root / "pkg", "model.py", "train.py")  # every result from the cache
    assert sorted({d["filename"] for d in from_root}) == real
    assert sorted({d["filename"] for d in from_pkg}) == real  # was .../pkg/pkg/model.py


@pytest.mark.parametrize("layout", ["config", "git", "neither"])
def test_the_cache_folder_is_at_the_project_root(tmp_path: Path, layout: str) -> None:
    project = tmp_path / "project"
    make_tree(project / "src")
    if layout == "config":
        (project / "pyproject.toml").write_text("[tool.lintnn]\n")
    elif layout == "git":
        (project / ".git").mkdir()
    cwd = project / "src" if layout == "neither" else tmp_path
    run_json(cwd, str(project / "src" / "pkg"))
    expected = cwd if layout == "neither" else project
    assert cache_files(expected), sorted(str(p) for p in tmp_path.rglob(".lintnn_cache"))
    assert not (project / "src" / "pkg" / ".lintnn_cache").exists()
