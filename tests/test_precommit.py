"""The pre-commit hook, run through the real ``pre-commit try-repo``.

pre-commit installs lintnn from a git repository into its own virtualenv (pip fetches the
build backend and the dependencies from the package index), so the test works on a
throw-away clone of this checkout with the uncommitted files copied in and committed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUGGY = "import torch.nn as nn\n\nnet = nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(4))\n"
CLEAN = "import torch.nn as nn\n\nnet = nn.Sequential(nn.BatchNorm1d(4), nn.Dropout(0.5))\n"
_OFFLINE = ("Could not find a version", "NewConnectionError", "Network is unreachable",
            "Temporary failure in name resolution", "No matching distribution")

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def test_hook_definition() -> None:
    yaml = pytest.importorskip("yaml")
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "lintnn" and hook["entry"] == "lintnn check --force-exclude"
    assert hook["language"] == "python" and hook["types_or"] == ["python", "jupyter"]
    assert hook["require_serial"] is False


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True)
    return done.stdout


def _snapshot_of_this_checkout(destination: Path) -> Path:
    """A clone of HEAD with the working tree's uncommitted files committed on top."""
    if not (ROOT / ".git").exists():
        pytest.skip("the lintnn sources are not a git checkout")
    _git(destination.parent, "clone", "-q", str(ROOT), str(destination))
    for name in _git(ROOT, "ls-files", "-co", "--exclude-standard", "-z").split("\0"):
        source = ROOT / name
        if name and source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    _git(destination, "add", "-A")
    _git(destination, "commit", "-q", "--allow-empty", "-m", "snapshot for try-repo")
    return destination


def _try_repo(project: Path, hooks: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hooks), "lintnn", "--all-files"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600,
    )


@pytest.mark.slow
@needs_git
def test_hook_fails_on_a_bug_and_passes_on_clean_code(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    hooks = _snapshot_of_this_checkout(tmp_path / "lintnn")
    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "-q")
    (project / "train.py").write_text(BUGGY)
    # pre-commit names every file: `exclude` must still keep vendor/ out (--force-exclude).
    (project / "pyproject.toml").write_text('[tool.lintnn]\nexclude = ["vendor/"]\n')
    (project / "vendor").mkdir()
    (project / "vendor" / "third_party.py").write_text(BUGGY)
    # An info finding (NN403) is printed but does not fail the commit.
    (project / "model.py").write_text(
        "import torch.nn as nn\n\nhead = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))\n")
    _git(project, "add", "-A")

    failed = _try_repo(project, hooks, tmp_path / "home")
    output = failed.stdout + failed.stderr
    if failed.returncode != 0 and any(marker in output for marker in _OFFLINE):
        pytest.skip("pre-commit could not pip-install lintnn's dependencies: "
                    "the package index is unreachable")
    assert failed.returncode == 1, output
    assert "train.py:3:" in output and "NN401" in output
    assert "vendor" not in output

    (project / "train.py").write_text(CLEAN)
    _git(project, "add", "-A")
    passed = _try_repo(project, hooks, tmp_path / "home")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
