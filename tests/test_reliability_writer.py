"""--fix under faults (issue 18 items 0 and 5): every file is its original or its fixed
version, never partial; mode, owner, group and hard links are kept; read-only files are
left alone; what a killed run leaves behind, the next run cleans up."""

from __future__ import annotations

import fcntl
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from lintnn.cli import fix as fix_command
from lintnn.cli import main
from lintnn.static.engine import writer
from tests.conftest import subprocess_env

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX files")

ORIGINAL = """import torch.nn as nn
import torch.nn.functional as F

loss_fn = nn.CrossEntropyLoss()


def step(model, x, y):
    return loss_fn(F.softmax(model(x), dim=1), y)
""" + "# padding\n" * 200  # long enough that half a write is visibly partial
FIXED = ORIGINAL.replace("F.softmax(model(x), dim=1)", "model(x)")


def fix(*paths: Path) -> int:
    return main(["check", "--fix", "--no-cache", *map(str, paths)])


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if "lintnn-" in p.name)


def test_a_read_only_file_is_reported_and_kept(tmp_path: Path, capsys) -> None:
    path = tmp_path / "train.py"
    path.write_text(ORIGINAL)
    path.chmod(0o444)
    assert fix(path) == 1  # its finding remains
    assert path.read_text() == ORIGINAL and stat.S_IMODE(path.stat().st_mode) == 0o444
    captured = capsys.readouterr()
    assert "not fixed: it is read-only" in captured.err and "NN101" in captured.out
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file away")
def test_root_keeps_the_owner_group_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_text(ORIGINAL)
    os.chown(path, 1234, 5678)
    path.chmod(0o640)
    assert fix(path) == 0
    info = path.stat()
    assert path.read_text() == FIXED
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (1234, 5678, 0o640)


def test_hard_links_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "src" / "train.py"
    path.parent.mkdir()
    path.write_text(ORIGINAL)
    link = tmp_path / "elsewhere.txt"
    os.link(path, link)
    inode = path.stat().st_ino
    assert fix(path) == 0
    assert path.read_text() == FIXED and link.read_text() == FIXED
    assert path.stat().st_ino == inode and path.stat().st_nlink == 2
    assert leftovers(path.parent) == []


def tree(tmp_path: Path) -> Path:
    """Three fixable files; b.py is hard-linked from outside, so it is written in place."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("a.py", "b.py", "c.py"):
        (project / name).write_text(ORIGINAL)
    os.link(project / "b.py", tmp_path / "b-link.txt")
    return project


def run_lintnn(project: Path, *args: str, fault: str | None = None):
    env = subprocess_env(**({writer.FAULT_ENV: fault} if fault else {}))
    return subprocess.run([sys.executable, "-m", "lintnn", "check", "--no-cache", *args,
                           str(project)], capture_output=True, text=True, env=env,
                          timeout=120)


def contents(project: Path) -> dict[str, str]:
    return {p.name: ("fixed" if p.read_text() == FIXED else "original"
                     if p.read_text() == ORIGINAL else "PARTIAL")
            for p in sorted(project.glob("*.py"))}


@pytest.mark.parametrize("stage", writer.STAGES)
def test_killed_at_each_stage_of_the_write(tmp_path: Path, stage: str) -> None:
    project = tree(tmp_path)
    killed = run_lintnn(project, "--fix", fault=f"{stage}:kill")
    assert killed.returncode == -9, killed.stderr
    after_kill = contents(project)
    if stage != "half-written":  # a replacement, or an in-place write not yet begun
        assert "PARTIAL" not in after_kill.values()
    again = run_lintnn(project)  # the next run, not even a --fix
    assert leftovers(project) == [], again.stderr
    if stage != "renamed":  # after the rename, nothing is left to clean
        assert "interrupted --fix" in again.stderr
    final = contents(project)
    assert set(final.values()) <= {"original", "fixed"}
    assert (tmp_path / "b-link.txt").read_text() == (project / "b.py").read_text()
    if stage == "half-written":
        assert after_kill["b.py"] == "PARTIAL" and final["b.py"] == "original"


@pytest.mark.parametrize("stage", writer.STAGES)
def test_failed_at_each_stage_of_the_write(tmp_path: Path, stage: str, monkeypatch,
                                           capsys) -> None:
    project = tree(tmp_path)
    monkeypatch.setenv(writer.FAULT_ENV, f"{stage}:fail")
    fix(project)
    assert f"fault injected at {stage}" in capsys.readouterr().err
    assert leftovers(project) == []  # cleaned at once: no next run needed
    assert set(contents(project).values()) <= {"original", "fixed"}
    assert (tmp_path / "b-link.txt").read_text() == (project / "b.py").read_text()


@pytest.mark.parametrize("change", ["deleted", "directory"])
def test_a_file_deleted_or_replaced_between_lint_and_write(tmp_path: Path, monkeypatch,
                                                          capsys, change: str) -> None:
    path = tmp_path / "train.py"
    path.write_text(ORIGINAL)
    real = fix_command.fix_text

    def meanwhile(*args, **kwargs):
        outcome = real(*args, **kwargs)
        path.unlink()
        if change == "directory":
            path.mkdir()
        return outcome

    monkeypatch.setattr(fix_command, "fix_text", meanwhile)
    fix(path)
    assert "not fixed" in capsys.readouterr().err
    assert path.is_dir() if change == "directory" else not path.exists()
    assert leftovers(tmp_path) == []


def test_only_our_own_stale_leftovers_are_removed(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(ORIGINAL)
    ours = tmp_path / ".train.py.ab3_x9k2.lintnn-tmp"
    ours.write_text("half")
    held = tmp_path / ".train.py.zz3_x9k2.lintnn-tmp"
    held.write_text("being written")
    not_ours = [tmp_path / name for name in (
        ".train.py.short.lintnn-tmp", "notes.lintnn-tmp", ".train.py.ab3_x9k2.tmp")]
    for path in not_ours:
        path.write_text("keep")
    os.symlink(tmp_path / "train.py", tmp_path / ".train.py.ab3_x9k3.lintnn-tmp")
    with open(held, "rb") as lock:  # as a running lintnn holds its own
        fcntl.flock(lock, fcntl.LOCK_EX)
        run = run_lintnn(tmp_path)
    assert run.returncode == 1
    assert not ours.exists() and held.exists() and all(p.exists() for p in not_ours)
    assert (tmp_path / ".train.py.ab3_x9k3.lintnn-tmp").is_symlink()
    assert (tmp_path / "train.py").read_text() == ORIGINAL


def test_a_journal_whose_file_changed_since_is_kept(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("edited by hand after the kill\n")
    journal = tmp_path / ".train.py.ab3_x9k2.lintnn-journal"
    header = b'{"name": "train.py", "original": %d}\n' % len(ORIGINAL)
    journal.write_bytes(header + ORIGINAL.encode() + FIXED.encode())
    run = run_lintnn(tmp_path)
    assert journal.exists() and "has changed since" in run.stderr
    assert (tmp_path / "train.py").read_text() == "edited by hand after the kill\n"
