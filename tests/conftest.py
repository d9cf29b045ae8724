"""Shared fixtures and helpers for the test suite."""

from __future__ import annotations

import os
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
