"""``lintnn probe FILE:FACTORY``: exit codes and messages."""

import argparse
import json
from pathlib import Path

import pytest

from lintnn.cli import probe as probe_command

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "runtime_torch_buggy.py"


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    probe_command.configure(parser)
    return probe_command.run(parser.parse_args(list(argv)))


def test_buggy_example_reports_findings(capsys) -> None:
    assert _run(f"{EXAMPLE}:make_model", "--no-health", "--output-format", "json") == 1
    codes = {d["code"] for d in json.loads(capsys.readouterr().out)}
    assert {"NR101", "NR102"} <= codes


def test_clean_factory_tuple_exits_zero(capsys) -> None:
    assert _run(f"{EXAMPLE}:make_clean_model", "--steps", "300") == 0


@pytest.mark.parametrize("spec, message", [
    ("missing.py:make", "no such file"),
    (f"{EXAMPLE}:nope", "no callable 'nope'"),
    ("no_colon", "expected path/to/file.py:factory"),
    ("json:loads", "raised TypeError"),
])
def test_errors_exit_two_without_traceback(spec, message, capsys) -> None:
    assert _run(spec) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_docs_step_count_does_not_fail_a_healthy_model(capsys) -> None:
    """The docs run ``lintnn probe ... --steps 60``: the overfit bar scales with the steps."""
    assert _run(f"{EXAMPLE}:make_clean_model", "--steps", "60") == 0, capsys.readouterr().out
