"""``lintnn.keras.MonitorCallback`` in real Keras 3 ``fit`` runs, on the torch and the jax
backend (each in its own process: Keras picks its backend at import)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import subprocess_env

if importlib.util.find_spec("keras") is None:  # imported in the child, with its backend
    pytest.skip("keras is not installed", allow_module_level=True)

RUNS = Path(__file__).with_name("keras_runs.py")


@pytest.fixture(scope="module", params=["torch", "jax"])
def results(request: pytest.FixtureRequest) -> dict[str, list]:
    pytest.importorskip(request.param)
    done = subprocess.run([sys.executable, str(RUNS), request.param], capture_output=True,
                          text=True, env=subprocess_env(), timeout=600)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULTS ")), None)
    assert line is not None, done.stderr[-3000:]
    return json.loads(line.removeprefix("RESULTS "))


def test_healthy_200_steps_give_no_finding(results: dict[str, list]) -> None:
    assert results["healthy"] == [["steps", 200, 200]]  # one loss per step, no finding


def test_random_labels_sit_at_chance(results: dict[str, list]) -> None:
    assert results["chance"][0] == ["NR405", 99, None]


def test_nan_batch_is_named_at_its_step(results: dict[str, list]) -> None:
    assert results["nan"] == [["NR401", 6, None], ["steps", 6, 6]]  # training stopped there


def test_schedule_decaying_to_zero(results: dict[str, list]) -> None:
    assert results["lr_zero"][0] == ["NR411", 50, None]


def test_muted_layer_never_trains(results: dict[str, list]) -> None:
    assert results["muted"][0] == ["NR410", 40, "muted"]  # the 5th sample, the layer's name
