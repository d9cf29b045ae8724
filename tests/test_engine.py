"""The engine: crash isolation, determinism, parallelism, cache, discovery."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lintnn.config import Settings
from lintnn.diagnostics import Severity
from lintnn.static.engine.run import Engine
from lintnn.static.rules.base import Rule
from tests.conftest import REPO_ROOT, subprocess_env

BUGGY = "import torch.nn as nn\nhead = nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(8))\n"


def engine(root: Path, **kwargs) -> Engine:
    return Engine(Settings(root=root), **{"use_cache": False, "jobs": 1, **kwargs})


@pytest.fixture
def crashing_rule():
    class Crashes(Rule):
        """Always raises (test only)."""

        code = "NN999"
        name = "always-crashes"
        severity = Severity.ERROR
        message = "unused"

        def check(self, ctx) -> None:
            raise ZeroDivisionError("boom")

    yield Crashes
    del Rule.registry["NN999"]


def test_crashing_rule_is_reported_per_file_and_run_goes_on(tmp_path, crashing_rule) -> None:
    (tmp_path / "a.py").write_text(BUGGY)
    result = engine(tmp_path).check_paths([tmp_path])
    codes = sorted(d.code for d in result.diagnostics)
    assert codes == ["NN002", "NN401"]
    internal = next(d for d in result.diagnostics if d.code == "NN002")
    assert "NN999" in internal.message and "ZeroDivisionError: boom" in internal.message


def _tree(root: Path, count: int) -> None:
    for i in range(count):
        body = BUGGY if i % 3 == 0 else "x = 1\n"
        (root / f"m{i:03d}.py").write_text(body)


def test_parallel_and_serial_runs_agree_and_are_sorted(tmp_path) -> None:
    _tree(tmp_path, 40)
    serial = engine(tmp_path, jobs=1).check_paths([tmp_path]).diagnostics
    parallel = engine(tmp_path, jobs=2).check_paths([tmp_path]).diagnostics
    assert serial == parallel
    assert len(serial) == 14
    assert [d.sort_key for d in serial] == sorted(d.sort_key for d in serial)


def test_cache_hits_and_invalidates_on_change(tmp_path) -> None:
    _tree(tmp_path, 5)
    first = Engine(Settings(root=tmp_path), use_cache=True, jobs=1).check_paths([tmp_path])
    assert first.cached == 0
    second = Engine(Settings(root=tmp_path), use_cache=True, jobs=1).check_paths([tmp_path])
    assert second.cached == 5 and second.diagnostics == first.diagnostics
    (tmp_path / "m001.py").write_text(BUGGY)
    third = Engine(Settings(root=tmp_path), use_cache=True, jobs=1).check_paths([tmp_path])
    assert third.cached == 4
    assert len(third.diagnostics) == len(first.diagnostics) + 1


def test_cache_depends_on_selected_rules(tmp_path) -> None:
    _tree(tmp_path, 3)
    Engine(Settings(root=tmp_path, select=["NN1"]), use_cache=True).check_paths([tmp_path])
    result = Engine(Settings(root=tmp_path), use_cache=True).check_paths([tmp_path])
    assert result.cached == 0 and len(result.diagnostics) == 1


def test_corrupt_cache_is_ignored(tmp_path) -> None:
    _tree(tmp_path, 2)
    Engine(Settings(root=tmp_path), use_cache=True).check_paths([tmp_path])
    written = list((tmp_path / ".lintnn_cache").glob("v*.json"))
    assert written
    for file in written:
        file.write_bytes(b"not JSON")
    result = Engine(Settings(root=tmp_path), use_cache=True).check_paths([tmp_path])
    assert len(result.diagnostics) == 1


def test_discovery_skips_the_usual_directories(tmp_path) -> None:
    for skipped in (".git", ".venv", "venv", "__pycache__", "build", "node_modules"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "bad.py").write_text(BUGGY)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "good.py").write_text(BUGGY)
    result = engine(tmp_path).check_paths([tmp_path])
    assert [Path(d.filename).parent.name for d in result.diagnostics] == ["pkg"]


def test_symlink_loop_and_unreadable_file(tmp_path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "loop").symlink_to(tmp_path)
    (tmp_path / "a.py").write_text(BUGGY)
    result = engine(tmp_path).check_paths([tmp_path])
    assert [d.code for d in result.diagnostics] == ["NN401"]
    assert any("symlink loop" in reason for _, reason in result.skipped)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file_is_reported(tmp_path) -> None:
    path = tmp_path / "secret.py"
    path.write_text(BUGGY)
    path.chmod(0)
    result = engine(tmp_path).check_paths([tmp_path])
    assert [d.code for d in result.diagnostics] == ["NN003"]


def test_non_utf8_bom_and_crlf(tmp_path) -> None:
    (tmp_path / "latin.py").write_bytes(b"x = '\xe9'\n")
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbf" + BUGGY.encode())
    (tmp_path / "crlf.py").write_bytes(BUGGY.replace("\n", "\r\n").encode())
    (tmp_path / "declared.py").write_bytes(b"# -*- coding: latin-1 -*-\nx = '\xe9'\n")
    result = engine(tmp_path).check_paths([tmp_path])
    found = sorted((Path(d.filename).name, d.code, d.location.row) for d in result.diagnostics)
    assert found == [
        ("bom.py", "NN401", 2), ("crlf.py", "NN401", 2), ("latin.py", "NN001", 1),
    ]


def test_cross_file_model_class(tmp_path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "models.py").write_text(
        "import torch.nn as nn\nimport torch.nn.functional as F\n"
        "class Net(nn.Module):\n"
        "    def forward(self, x):\n        return F.softmax(x, dim=1)\n"
    )
    (tmp_path / "pkg" / "train.py").write_text(
        "import torch.nn as nn\nfrom pkg.models import Net\n"
        "model = Net()\nloss = nn.CrossEntropyLoss()(model(1), 2)\n"
    )
    result = engine(tmp_path).check_paths([tmp_path / "pkg"])
    assert [(Path(d.filename).name, d.code) for d in result.diagnostics] == [("train.py", "NN101")]
    # Checking only train.py still finds the model next to it.
    alone = engine(tmp_path).check_paths([tmp_path / "pkg" / "train.py"])
    assert [d.code for d in alone.diagnostics] == ["NN101"]


def test_static_half_runs_without_deep_learning_frameworks(tmp_path) -> None:
    """A pre-commit environment has no torch/jax/tensorflow/keras: block them and lint."""
    (tmp_path / "a.py").write_text(BUGGY)
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in {'torch', 'jax', 'jaxlib', 'flax', 'optax', "
        "'tensorflow', 'keras', 'numpy'}:\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from lintnn.cli import main\n"
        "import lintnn\n"
        "code = main(['check', sys.argv[1], '--no-cache'])\n"
        "assert not any(m.split('.')[0] in {'torch', 'jax', 'numpy'} for m in sys.modules)\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run([sys.executable, "-c", blocker, str(tmp_path)], capture_output=True,
                            text=True, env=subprocess_env(), cwd=REPO_ROOT, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "NN401" in result.stdout


def test_check_source_collects_garbage_as_rarely_as_a_run_and_restores_the_collector(
        tmp_path: Path, crashing_rule, monkeypatch) -> None:
    """A check of a buffer runs under the raised thresholds of a run over files (each full
    collection walks every loaded module), and leaves the caller's collector as it was."""
    import gc

    from lintnn.static.engine import run

    seen = []
    monkeypatch.setattr(crashing_rule, "check", lambda self, ctx: seen.append(
        (gc.get_threshold(), gc.get_freeze_count() > 0)))
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        engine(tmp_path).check_source(tmp_path / "m.py", "import torch\nx = 1\n")
        assert seen == [(run._GC_THRESHOLDS, True)]
        assert gc.get_threshold() == (700, 10, 10) and gc.get_freeze_count() == 0
    finally:
        gc.set_threshold(*before)
