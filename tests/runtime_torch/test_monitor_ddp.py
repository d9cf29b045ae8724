"""The monitor under DistributedDataParallel: 2 processes, gloo, CPU."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch.distributed as dist

from ..conftest import subprocess_env

WORKER = Path(__file__).with_name("ddp_worker.py")
pytestmark = pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(),
                                reason="needs torch.distributed with gloo")


def launch(scenario: str, tmp_path: Path) -> tuple[list[dict], float]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs, outs = [], []
    start = time.monotonic()
    for rank in range(2):
        out = tmp_path / f"rank{rank}.json"
        env = subprocess_env(RANK=str(rank), WORLD_SIZE="2", MASTER_ADDR="127.0.0.1",
                             MASTER_PORT=str(port), LOCAL_RANK=str(rank))
        procs.append(subprocess.Popen([sys.executable, str(WORKER), scenario, str(out)],
                                      env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True))
        outs.append(out)
    for p in procs:
        try:
            p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            pytest.fail("a rank hung")
    elapsed = time.monotonic() - start
    logs = [p.stdout.read() if p.stdout else "" for p in procs]
    for out, log in zip(outs, logs, strict=True):
        assert out.exists(), log[-3000:]
    return [json.loads(o.read_text()) for o in outs], elapsed


def test_healthy_run_one_report_no_finding(tmp_path: Path) -> None:
    (r0, r1), _ = launch("healthy", tmp_path)
    assert r0["error"] is None and r1["error"] is None
    assert r0["findings"] == [] and r1["findings"] == [] and r0["steps"] == 30


def test_nan_on_one_rank_is_reported_once_with_its_rank(tmp_path: Path) -> None:
    (r0, r1), _ = launch("nan", tmp_path)
    # The all-reduce spreads the NaN: both ranks stop at step 3, before the weights change.
    assert r0["error"] == "NonFiniteError: backward"
    assert r1["error"] == "NonFiniteError: input"
    merged = [f for f in r0["findings"] if f["code"] == "NR401"]  # rank 0: the run's report
    assert len(merged) == 1
    assert merged[0]["rank"] == 1 and merged[0]["step"] == 3 and merged[0]["phase"] == "input"
    assert merged[0]["message"].startswith("rank 1: step 3:")


def test_no_rank_hangs_when_another_raises(tmp_path: Path) -> None:
    (r0, r1), elapsed = launch("crash", tmp_path)
    assert r1["error"] == "RuntimeError"
    assert r0["error"] is not None  # its next all-reduce failed instead of waiting forever
    assert elapsed < 60  # well below the process group's 60 s timeout


SCRIPT = Path(__file__).with_name("ddp_script.py")


def launch_run(tmp_path: Path, *script_args: int) -> tuple[list[int], dict, str]:
    """``lintnn run`` on each of 2 ranks, as ``torchrun lintnn run ...`` would start it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    report = tmp_path / "run.json"
    procs = [subprocess.Popen(
        [sys.executable, "-m", "lintnn", "run", "--num-classes", "4", "--json", str(report),
         str(SCRIPT), *map(str, script_args)],
        env=subprocess_env(RANK=str(rank), WORLD_SIZE="2", MASTER_ADDR="127.0.0.1",
                           MASTER_PORT=str(port)),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for rank in range(2)]
    codes = []
    for p in procs:
        try:
            codes.append(p.wait(timeout=120))
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            pytest.fail("a rank hung")
    logs = "".join(p.stdout.read() for p in procs if p.stdout)
    assert report.exists(), logs[-3000:]
    return codes, json.loads(report.read_text()), logs


def test_lintnn_run_writes_one_report_for_the_ranks(tmp_path: Path) -> None:
    codes, report, logs = launch_run(tmp_path, 1, -1, 20)
    assert codes == [1, 1], logs[-3000:]  # no rank aborts as it leaves (SIGABRT: -6)
    nonfinite = [f for f in report["findings"] if f["code"] == "NR401"]
    assert [(f["extra"]["rank"], f["extra"]["step"]) for f in nonfinite] == [(1, 5)]


def test_lintnn_run_merges_the_ranks_before_the_group_is_destroyed(tmp_path: Path) -> None:
    codes, report, logs = launch_run(tmp_path, -1, 1, 120)  # rank 1's labels go wrong at step 60
    assert codes[0] == 1, logs[-3000:]
    ranks = {(f["code"], f["extra"]["rank"]) for f in report["findings"]}
    assert ("NR403", 1) in ranks  # rank 1's loss diverged; rank 0's report has it
