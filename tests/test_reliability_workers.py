"""Pool workers: they exit with the lintnn that started them (issue 18 item 4), and one
that dies costs the run one file's findings, not the run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lintnn.config import Settings
from lintnn.static.engine.run import Engine
from tests.conftest import subprocess_env

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

PLAIN = """import torch.nn as nn
import torch.nn.functional as F

loss_fn = nn.CrossEntropyLoss()


def step(model, x, y):
    return loss_fn(F.softmax(model(x), dim=1), y)
"""
# Comments make the files large enough for a process pool (the scheduler sizes the work
# by bytes: ``schedule.MIN_PARALLEL_BYTES``) and cost the analysis almost nothing.
PADDING = "# padding: a pool is started for this many bytes\n" * 200
SLOW = PLAIN + "table = 1" + " + 1" * 900 + "\n" + PADDING  # about half a second each


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie (a container's init may never reap an orphan)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_workers_exit_when_lintnn_is_killed(tmp_path: Path) -> None:
    for number in range(40):
        (tmp_path / f"f{number}.py").write_text(SLOW)
    parent = subprocess.Popen(
        [sys.executable, "-m", "lintnn", "check", str(tmp_path), "--no-cache", "-j", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=subprocess_env())
    workers: list[int] = []
    try:
        assert wait_for(lambda: len(children(parent.pid)) >= 2, 60), "no pool started"
        workers = children(parent.pid)
        time.sleep(0.5)  # the workers are busy
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        assert wait_for(lambda: not any(running(pid) for pid in workers), 2.0), \
            [pid for pid in workers if running(pid)]
    finally:
        parent.kill()
        for pid in workers:  # left behind only if the test failed
            if running(pid):
                os.kill(pid, signal.SIGKILL)


WATCHED = """
import os, sys, time
from lintnn.static.engine import parent_death
parent = os.getppid()
parent_death._watch(lambda: os.getppid() == parent)
print("armed", flush=True)
time.sleep(60)
"""
MIDDLE = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=sys.stdout)
print(child.pid, flush=True)
time.sleep(60)
"""


def test_the_watchdog_also_ends_an_orphan() -> None:
    """The path taken where prctl is missing: a thread that watches the parent."""
    middle = subprocess.Popen([sys.executable, "-c", MIDDLE, WATCHED], stdout=subprocess.PIPE,
                              text=True, env=subprocess_env())
    try:
        child = int(middle.stdout.readline())
        assert middle.stdout.readline().strip() == "armed"
        middle.send_signal(signal.SIGKILL)
        middle.wait(10)
        assert wait_for(lambda: not running(child), 2.0)
    finally:
        middle.kill()


def test_a_worker_that_dies_costs_one_file(tmp_path: Path, monkeypatch) -> None:
    """The pool breaks; the files in flight are re-run one at a time; only the file whose
    worker died again gets NN002, and every other file its findings."""
    from lintnn.static.engine import files, schedule

    real = files.analyze_bytes
    tests_process = os.getpid()

    def crashing(path: Path, *args):
        if path.name == "f07.py":
            assert os.getpid() != tests_process, "analysed without a pool"
            os._exit(3)  # as a native crash or the OOM killer would
        return real(path, *args)

    monkeypatch.setattr(schedule, "MIN_PARALLEL_BYTES", 0)  # a pool even for small files

    monkeypatch.setattr(files, "analyze_bytes", crashing)  # forked workers inherit it
    for number in range(24):
        (tmp_path / f"f{number:02}.py").write_text(PLAIN)
    result = Engine(Settings(root=tmp_path), use_cache=False, jobs=2).check_paths([tmp_path])
    found = [(Path(d.filename).name, d.code) for d in result.diagnostics]
    assert found == [(f"f{n:02}.py", "NN002" if n == 7 else "NN101") for n in range(24)]
    assert "worker process" in result.diagnostics[7].message
