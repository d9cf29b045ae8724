"""Shared fixtures and helpers for the test suite."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for ``python -m lintnn`` subprocesses: this checkout first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
    )
    env.pop("NO_COLOR", None)
    env.update(extra)
    return env


@pytest.fixture(autouse=True)
def _concise_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite reads findings one per line: ``concise``, through the environment variable
    a user would set (``full``, with source frames, is tested where it is asked for)."""
    monkeypatch.setenv("LINTNN_OUTPUT_FORMAT", "concise")


@pytest.fixture
def quiet_single_thread() -> Iterator[None]:
    """For training tests: one torch thread (tiny models run ~20x faster than on two busy
    cores) and the monitor's findings kept out of the log."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    logging.getLogger("lintnn.monitor").setLevel(logging.ERROR)
    yield
    torch.set_num_threads(threads)
    logging.getLogger("lintnn.monitor").setLevel(logging.NOTSET)
