"""The command line end to end: exit codes, formats, config, errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import subprocess_env

BUGGY = """\
import torch.nn as nn

head = nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(8))
"""
CLEAN = """\
import torch.nn as nn

head = nn.Sequential(nn.BatchNorm1d(8), nn.Dropout(0.5))
"""


def run(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lintnn", *args], cwd=cwd, capture_output=True, text=True,
        input=stdin, timeout=120, env=subprocess_env(),
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "buggy.py").write_text(BUGGY)
    (tmp_path / "clean.py").write_text(CLEAN)
    return tmp_path


def test_findings_exit_1_with_text_report(project: Path) -> None:
    result = run("check", ".", "--no-cache", cwd=project)
    assert result.returncode == 1, result.stderr
    assert "buggy.py:3:39: NN401 " in result.stdout
    assert "clean.py" not in result.stdout
    assert "Found 1 problem" in result.stdout


def test_clean_exit_0(project: Path) -> None:
    result = run("check", "clean.py", "--no-cache", cwd=project)
    assert result.returncode == 0
    assert "All checks passed!" in result.stdout


def test_exit_zero_flag(project: Path) -> None:
    assert run("check", ".", "--exit-zero", "--no-cache", cwd=project).returncode == 0


def test_json_output_is_ruff_shaped(project: Path) -> None:
    result = run("check", "--output-format", "json", "buggy.py", "--no-cache", cwd=project)
    data = json.loads(result.stdout)
    assert len(data) == 1
    item = data[0]
    assert item["code"] == "NN401"
    assert item["filename"] == str(project / "buggy.py")
    assert item["location"] == {"row": 3, "column": 39}
    assert item["end_location"]["row"] == 3 and item["end_location"]["column"] > 39
    assert item["severity"] == "warning"
    assert item["url"].startswith("file://") and item["url"].endswith("/NN401.md")
    assert item["fix"] is None


def test_select_and_ignore_prefixes(project: Path) -> None:
    assert run("check", ".", "--select", "NN1", "--no-cache", cwd=project).returncode == 0
    assert run("check", ".", "--select", "NN4", "--no-cache", cwd=project).returncode == 1
    assert run("check", ".", "--ignore", "NN401", "--no-cache", cwd=project).returncode == 0
    # The more specific selector wins over a group ignore.
    assert run("check", ".", "--ignore", "NN4", "--select", "NN401", "--no-cache",
               cwd=project).returncode == 1


def test_pyproject_config_is_used(project: Path) -> None:
    (project / "pyproject.toml").write_text(textwrap.dedent("""\
        [tool.lintnn]
        per-file-ignores = { "buggy.py" = ["NN4"] }
    """))
    assert run("check", ".", "--no-cache", cwd=project).returncode == 0


def test_pyproject_exclude(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.lintnn]\nexclude = ["buggy.py"]\n')
    assert run("check", ".", "--no-cache", cwd=project).returncode == 0


def test_gitignore_is_respected_but_explicit_files_are_checked(project: Path) -> None:
    (project / ".gitignore").write_text("buggy.py\n")
    (project / ".git").mkdir()
    assert run("check", ".", "--no-cache", cwd=project).returncode == 0
    assert run("check", "buggy.py", "--no-cache", cwd=project).returncode == 1


def test_syntax_error_is_reported_and_run_goes_on(project: Path) -> None:
    (project / "broken.py").write_text("def f(:\n    pass\n")
    result = run("check", ".", "--no-cache", "--output-format", "json", cwd=project)
    assert result.returncode == 1
    codes = {(Path(d["filename"]).name, d["code"]) for d in json.loads(result.stdout)}
    assert codes == {("broken.py", "NN001"), ("buggy.py", "NN401")}
    broken = next(d for d in json.loads(result.stdout) if d["code"] == "NN001")
    assert broken["location"]["row"] == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("check", ".", "--select", "XX9"), "unknown rule selector"),
        (("check", ".", "--output-format", "yaml"), "unknown output format"),
        (("rule", "NN999"), "unknown rule"),
    ],
)
def test_usage_errors_exit_2_without_traceback(project: Path, args, message) -> None:
    result = run(*args, cwd=project)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_config_exits_2(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.lintnn]\nselect = 3\n")
    result = run("check", ".", cwd=project)
    assert result.returncode == 2
    assert "select must be a list" in result.stderr


def test_rules_and_rule_page(project: Path) -> None:
    listing = run("rules", cwd=project)
    assert listing.returncode == 0
    assert "NN101" in listing.stdout and "probabilities-into-logits-loss" in listing.stdout
    page = run("rule", "nn101", cwd=project)
    assert page.returncode == 0
    assert page.stdout.startswith("# NN101: probabilities-into-logits-loss")


def test_stdin(project: Path) -> None:
    result = run("check", "--stdin-filename", "model.py", "-", cwd=project, stdin=BUGGY)
    assert result.returncode == 1
    assert "model.py:3:39: NN401" in result.stdout


def test_noqa(project: Path) -> None:
    (project / "buggy.py").write_text(BUGGY.replace("(8))", "(8))  # noqa: NN401"))
    assert run("check", "buggy.py", "--no-cache", cwd=project).returncode == 0
    (project / "buggy.py").write_text(BUGGY.replace("(8))", "(8))  # noqa: NN101"))
    assert run("check", "buggy.py", "--no-cache", cwd=project).returncode == 1
    (project / "buggy.py").write_text(BUGGY.replace("(8))", "(8))  # noqa"))
    assert run("check", "buggy.py", "--no-cache", cwd=project).returncode == 0


def test_console_script_equivalent_module_entry(project: Path) -> None:
    result = run("--version", cwd=project)
    assert result.returncode == 0 and result.stdout.startswith("lintnn ")
