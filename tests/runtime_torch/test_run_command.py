"""``lintnn run script.py [args...]``: the user's script runs unchanged, monitored."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from lintnn.cli.main import main
from lintnn.runtime.torch import losstap

from ..conftest import subprocess_env

SCRIPT = textwrap.dedent('''
    import os, sys
    import torch
    from torch import nn

    def build():
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 4))

    if __name__ == "__main__":
        torch.set_num_threads(1)
        steps, nan_at, crash_at, jump_at = (int(a) for a in sys.argv[1:5])
        model = build()
        if os.environ.get("FREEZE"):
            model[0].weight.requires_grad_(False)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        w = torch.randn(10, 4, generator=torch.Generator().manual_seed(1))
        for step in range(steps):
            x = torch.randn(32, 10)
            y = (x @ w).argmax(1)
            if step == nan_at:
                x[0, 0] = float("nan")
            if step == crash_at:
                raise RuntimeError("the data loader broke")
            if step == jump_at:
                opt.param_groups[0]["lr"] = 8.0
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print("early report", os.path.exists(os.environ.get("REPORT", "-")))
''')


def lintnn_run(tmp_path: Path, *script_args: int, env: dict[str, str] | None = None,
               html: bool = False) -> tuple[subprocess.CompletedProcess, dict]:
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    report = tmp_path / "report.json"
    options = ["--json", str(report)] + (["--html", str(tmp_path / "r.html")] if html else [])
    done = subprocess.run(
        [sys.executable, "-m", "lintnn", "run", "--num-classes", "4", *options, str(script),
         *map(str, script_args)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env=subprocess_env(**(env or {}), REPORT=str(report)))
    return done, json.loads(report.read_text()) if report.exists() else {}


def codes(report: dict) -> list[tuple[str, int | None]]:
    return [(f["code"], f["extra"].get("step")) for f in report["findings"]]


def test_healthy_script_exits_clean(tmp_path: Path) -> None:
    done, report = lintnn_run(tmp_path, 200, -1, -1, -1)
    assert done.returncode == 0, done.stderr
    assert "early report False" in done.stdout  # the script's own output is untouched
    assert report == {"findings": [], "script_error": None}


def test_nan_stops_the_run_with_its_origin_and_exit_1(tmp_path: Path) -> None:
    done, report = lintnn_run(tmp_path, 100, 42, -1, -1, html=True)
    assert done.returncode == 1, done.stderr
    assert codes(report) == [("NR401", 42)]
    assert report["findings"][0]["extra"]["phase"] == "input"
    assert "NonFiniteError" in report["script_error"]
    assert 'data-code="NR401"' in (tmp_path / "r.html").read_text()


def test_script_crash_exits_2_and_keeps_what_was_found(tmp_path: Path) -> None:
    done, report = lintnn_run(tmp_path, 100, -1, 30, -1, env={"FREEZE": "1"})
    assert done.returncode == 2
    assert "the data loader broke" in done.stderr  # its traceback, as python prints it
    assert codes(report) == [("NR410", None)]
    assert report["script_error"] == "RuntimeError: the data loader broke"


def test_report_is_written_at_the_first_error_while_the_run_goes_on(tmp_path: Path) -> None:
    done, report = lintnn_run(tmp_path, 200, -1, -1, 100)
    assert done.returncode == 1
    assert "early report True" in done.stdout
    assert any(c == "NR403" and s is not None and s >= 100 for c, s in codes(report))


def test_missing_script_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["run", str(tmp_path / "nope.py")]) == 2
    assert "no such script" in capsys.readouterr().err


def test_in_process_run_leaves_torch_as_found(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    backward = torch.autograd.backward
    from torch.nn.modules import module as module_hooks
    from torch.optim import optimizer as optimizer_hooks

    assert main(["run", str(script), "30", "-1", "-1", "-1"]) == 0
    assert torch.autograd.backward is backward and losstap.active() == 0
    assert not module_hooks._global_forward_hooks and not module_hooks._global_forward_pre_hooks
    assert not optimizer_hooks._global_optimizer_pre_hooks


DDP_SCRIPT = textwrap.dedent('''
    import sys
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=sys.argv[1], rank=0, world_size=1)
    if sys.argv[2] == "raise":
        raise RuntimeError("the script failed before destroy_process_group")
    if sys.argv[2] == "destroy":
        dist.destroy_process_group()
''')


@pytest.mark.skipif(not torch.distributed.is_available()
                    or not torch.distributed.is_gloo_available(), reason="needs gloo")
@pytest.mark.parametrize(("ending", "exit_code"), [("raise", 2), ("leave", 0), ("destroy", 0)])
def test_a_process_group_the_script_left_is_destroyed(tmp_path: Path, ending: str,
                                                      exit_code: int) -> None:
    import torch.distributed as dist

    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT)
    init = f"file://{tmp_path / 'store'}"
    try:
        assert main(["run", str(script), init, ending]) == exit_code
        assert not dist.is_initialized()  # torch's own exit would have torn it down
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()



FAILING_SCRIPT = textwrap.dedent('''
    import sys, weakref
    from torch import nn
    from lintnn.runtime.errors import NonFiniteError

    model = nn.Sequential(nn.Linear(4, 2))
    sys.modules["lintnn_test_probe"].model = weakref.ref(model)
    if sys.argv[1] == "nonfinite":
        raise NonFiniteError(None, "a finding")
    raise RuntimeError("the script failed with its model alive")
''')


@pytest.mark.parametrize(("failure", "exit_code"), [("nonfinite", 1), ("crash", 2)])
def test_a_failed_scripts_model_is_freed_before_run_returns(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str, exit_code: int) -> None:
    """The exception's traceback holds the script's frames, and so its model (under data
    parallelism, the process group through DDP's reducer): ``run`` frees them while the
    interpreter is whole instead of leaving them to its teardown."""
    import types

    probe = types.ModuleType("lintnn_test_probe")
    monkeypatch.setitem(sys.modules, "lintnn_test_probe", probe)
    script = tmp_path / "train.py"
    script.write_text(FAILING_SCRIPT)
    assert main(["run", str(script), failure]) == exit_code
    assert probe.model() is None
