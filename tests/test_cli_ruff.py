"""ruff's command-line conveniences, with ruff's names and meanings, and the integration
defects of issue 14 (each test here failed before its fix)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from lintnn.cli import main
from lintnn.static.engine.discovery import Discovery
from tests.conftest import subprocess_env

NN401 = "import torch.nn as nn\n\nnet = nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(4))\n"
NN403 = "import torch.nn as nn\n\nhead = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))\n"
NN101 = "import torch.nn.functional as F\nloss = F.cross_entropy(F.softmax(z, dim=1), y)\n"


def check(monkeypatch, capsys, *args: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["check", "--no-cache", "-j", "1", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# Defect 2: exclude under pre-commit -------------------------------------------------------

def test_force_exclude_applies_exclude_to_named_files(project, monkeypatch, capsys) -> None:
    (project / "pyproject.toml").write_text('[tool.lintnn]\nexclude = ["vendor/"]\n')
    (project / "vendor").mkdir()
    (project / "vendor" / "bad.py").write_text(NN401)
    (project / "train.py").write_text(NN401)
    code, out, _ = check(monkeypatch, capsys, "vendor/bad.py", "train.py")
    assert code == 1 and "vendor/bad.py" in out  # ruff too checks what it is given
    code, out, _ = check(monkeypatch, capsys, "--force-exclude", "vendor/bad.py", "train.py")
    assert code == 1 and "vendor/bad.py" not in out and "train.py:3:38: NN401" in out
    code, out, _ = check(monkeypatch, capsys, "--force-exclude", "vendor/bad.py")
    assert code == 0 and "NN401" not in out
    # In the configuration too, and undone by --no-force-exclude.
    (project / "pyproject.toml").write_text(
        '[tool.lintnn]\nexclude = ["vendor/"]\nforce-exclude = true\n')
    assert check(monkeypatch, capsys, "vendor/bad.py")[0] == 0
    assert check(monkeypatch, capsys, "--no-force-exclude", "vendor/bad.py")[0] == 1


def test_force_exclude_with_stdin_passes_the_source_through(project, monkeypatch,
                                                            capsys) -> None:
    (project / "pyproject.toml").write_text('[tool.lintnn]\nexclude = ["gen_*.py"]\n')
    code, out, _ = check(monkeypatch, capsys, "--force-exclude", "--fix",
                         "--stdin-filename", "gen_model.py", "-", stdin=NN101)
    assert code == 0 and out == NN101


def test_pre_commit_hook_forces_exclusion() -> None:
    yaml = pytest.importorskip("yaml")
    [hook] = yaml.safe_load((Path(__file__).parent.parent / ".pre-commit-hooks.yaml")
                            .read_text())
    assert "--force-exclude" in hook["entry"].split()


# Defect 3: info findings and the severity threshold -------------------------------------

def test_info_findings_do_not_fail_by_default(project, monkeypatch, capsys) -> None:
    (project / "model.py").write_text(NN403)
    code, out, _ = check(monkeypatch, capsys, "model.py")
    assert code == 0 and "NN403" in out and "1 info" in out
    assert check(monkeypatch, capsys, "--fail-on", "info", "model.py")[0] == 1
    (project / "both.py").write_text(NN403 + NN401.replace("import torch.nn as nn\n", ""))
    assert check(monkeypatch, capsys, "both.py")[0] == 1  # a warning fails
    assert check(monkeypatch, capsys, "--fail-on", "error", "both.py")[0] == 0
    (project / "pyproject.toml").write_text('[tool.lintnn]\nfail-on = "info"\n')
    assert check(monkeypatch, capsys, "model.py")[0] == 1
    (project / "pyproject.toml").write_text('[tool.lintnn]\nfail-on = "notes"\n')
    code, _, err = check(monkeypatch, capsys, "model.py")
    assert code == 2 and "fail-on must be one of error, warning, info" in err


# Defect 4: --diff paths ------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_paths_are_relative_and_git_apply_takes_them(project) -> None:
    (project / "pkg").mkdir()
    (project / "pkg" / "train.py").write_text(NN101)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    done = subprocess.run([sys.executable, "-m", "lintnn", "check", "--no-cache", "--diff", "."],
                          cwd=project, capture_output=True, text=True, env=subprocess_env())
    assert done.returncode == 1
    assert done.stdout.startswith("--- pkg/train.py\n+++ pkg/train.py\n"), done.stdout
    assert str(project) not in done.stdout
    subprocess.run(["git", "apply", "-p0"], cwd=project, input=done.stdout, text=True,
                   check=True)
    assert "F.cross_entropy(z, y)" in (project / "pkg" / "train.py").read_text()


# Defect 6 ---------------------------------------------------------------------------------

def test_statistics_as_json(project, monkeypatch, capsys) -> None:
    (project / "a.py").write_text(NN101 + "l2 = F.cross_entropy(F.softmax(w, dim=1), y)\n")
    code, out, _ = check(monkeypatch, capsys, "--statistics", "--output-format", "json", "a.py")
    assert code == 1
    assert json.loads(out) == [{"code": "NN101", "name": "probabilities-into-logits-loss",
                                "count": 2, "fixable": True, "fixable_count": 2}]


def test_unknown_option_shows_the_commands_usage(project) -> None:
    done = subprocess.run([sys.executable, "-m", "lintnn", "check", "--bogus"], cwd=project,
                          capture_output=True, text=True, env=subprocess_env())
    assert done.returncode == 2
    assert done.stderr.startswith("usage: lintnn check ")
    assert "lintnn check: error: unrecognized arguments: --bogus" in done.stderr


def test_no_command_is_a_usage_error(project) -> None:
    done = subprocess.run([sys.executable, "-m", "lintnn"], cwd=project, capture_output=True,
                          text=True, env=subprocess_env())
    assert done.returncode == 2 and "usage: lintnn" in done.stderr and done.stdout == ""


def test_discovery_raises_no_deprecation_warning(project) -> None:
    (project / ".gitignore").write_text("build/\n*.log\n")
    (project / "a.py").write_text("x = 1\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        files = Discovery(["vendor/"], True, project).files([project])
    assert files == [project / "a.py"]


# Configuration: --config, extend, --per-file-ignores, --extend-ignore, --show-settings ---

def test_config_key_value_overrides(project, monkeypatch, capsys) -> None:
    (project / "a.py").write_text(NN401)
    assert check(monkeypatch, capsys, "--config", "ignore = ['NN401']", "a.py")[0] == 0
    assert check(monkeypatch, capsys, "--config", "select = ['NN1']", "a.py")[0] == 0
    code, _, err = check(monkeypatch, capsys, "--config", "selekt = ['NN1']", "a.py")
    assert code == 2 and "unknown option(s) in [tool.lintnn]: selekt" in err
    code, _, err = check(monkeypatch, capsys, "--config", "nonsense", "a.py")
    assert code == 2 and "cannot read nonsense" in err


def test_config_file_and_override_together(project, monkeypatch, capsys) -> None:
    (project / "a.py").write_text(NN401 + "import torch.nn.functional as F\n"
                                  "l = F.cross_entropy(F.softmax(z, dim=1), y)\n")
    (project / "strict.toml").write_text('select = ["NN1"]\n')
    code, out, _ = check(monkeypatch, capsys, "--config", "strict.toml", "a.py")
    assert code == 1 and "NN101" in out and "NN401" not in out
    code, out, _ = check(monkeypatch, capsys, "--config", "strict.toml",
                         "--config", "extend-select = ['NN4']", "a.py")
    assert "NN101" in out and "NN401" in out


def test_extend_inherits_a_base_configuration(project, monkeypatch, capsys) -> None:
    (project / "base.toml").write_text(
        'select = ["NN4"]\nper-file-ignores = { "legacy/*" = ["NN401"] }\nfail-on = "error"\n')
    package = project / "pkg"
    (package / "legacy").mkdir(parents=True)
    (package / "pyproject.toml").write_text('[tool.lintnn]\nextend = "../base.toml"\n'
                                            'fail-on = "warning"\n')
    (package / "legacy" / "old.py").write_text(NN401)
    (package / "new.py").write_text(NN401 + NN101)
    monkeypatch.chdir(package)
    code, out, _ = check(monkeypatch, capsys, ".")
    assert code == 1  # the child's fail-on wins over the base's
    assert "new.py:3:38: NN401" in out and "NN101" not in out and "old.py" not in out
    (project / "base.toml").write_text('extend = "pkg/pyproject.toml"\n')
    code, _, err = check(monkeypatch, capsys, ".")
    assert code == 2 and "`extend` forms a cycle" in err


def test_per_file_ignores_on_the_command_line(project, monkeypatch, capsys) -> None:
    (project / "tests").mkdir()
    (project / "tests" / "t.py").write_text(NN401)
    (project / "a.py").write_text(NN401)
    (project / "pyproject.toml").write_text(
        '[tool.lintnn]\nper-file-ignores = { "a.py" = ["NN4"] }\n')
    code, out, _ = check(monkeypatch, capsys, "--per-file-ignores", "tests/*:NN401", ".")
    assert "tests/t.py" not in out and "a.py:3:38" in out  # replaces the configured table
    code, out, _ = check(monkeypatch, capsys, "--extend-per-file-ignores", "tests/*:NN4", ".")
    assert code == 0 and "NN401" not in out  # adds to it
    code, _, err = check(monkeypatch, capsys, "--per-file-ignores", "NN401", ".")
    assert code == 2 and "expected `pattern:CODE`" in err


def test_extend_ignore_and_ruff_select_precedence(project, monkeypatch, capsys) -> None:
    (project / "a.py").write_text(NN401)
    assert check(monkeypatch, capsys, "--extend-ignore", "NN401", "a.py")[0] == 0
    # A command-line select starts afresh, as in ruff: the configured ignore no longer counts.
    (project / "pyproject.toml").write_text('[tool.lintnn]\nignore = ["NN401"]\n')
    assert check(monkeypatch, capsys, "a.py")[0] == 0
    assert check(monkeypatch, capsys, "--select", "NN401", "a.py")[0] == 1
    # ... while extend-select from a later layer re-enables a configured ignore.
    assert check(monkeypatch, capsys, "--extend-select", "NN4", "a.py")[0] == 1


def test_show_settings(project, monkeypatch, capsys) -> None:
    (project / "pyproject.toml").write_text('[tool.lintnn]\nignore = ["NN1"]\n')
    code, out, _ = check(monkeypatch, capsys, "--show-settings", "--fail-on", "error", "x.py")
    assert code == 0
    assert out.startswith('Resolved settings for: "x.py"\n')
    assert f'Settings path: "{project / "pyproject.toml"}"' in out
    assert 'ignore = ["NN1"]' in out and 'fail-on = "error"' in out
    assert '"NN101"' not in out.split("enabled-rules = ")[1].splitlines()[0]


# Fixes: --fix-only, --unfixable, --exit-non-zero-on-fix ---------------------------------

def test_fix_only_fixes_and_does_not_report(project, monkeypatch, capsys) -> None:
    (project / "a.py").write_text(NN101 + NN401)
    code, out, _ = check(monkeypatch, capsys, "--fix-only", "a.py")
    assert code == 0 and out == "Fixed 1 error.\n"  # no word of the NN401 that remains
    assert "F.cross_entropy(z, y)" in (project / "a.py").read_text()
    assert check(monkeypatch, capsys, "--fix-only", "a.py")[1:] == ("", "")  # nothing to fix
    (project / "b.py").write_text(NN101)
    assert check(monkeypatch, capsys, "--fix-only", "--exit-non-zero-on-fix", "b.py")[0] == 1


def test_unfixable_codes_are_neither_offered_nor_applied(project, monkeypatch, capsys) -> None:
    (project / "a.py").write_text(NN101)
    code, out, _ = check(monkeypatch, capsys, "--unfixable", "NN1", "--fix", "a.py")
    assert code == 1 and "[*]" not in out and "fixable" not in out
    assert (project / "a.py").read_text() == NN101
    (project / "pyproject.toml").write_text('[tool.lintnn]\nunfixable = ["NN101"]\n')
    check(monkeypatch, capsys, "--fix", "a.py")
    assert (project / "a.py").read_text() == NN101


# Output: -o, the environment variable, the configuration ---------------------------------

def test_output_file(project, monkeypatch, capsys) -> None:
    (project / "a.py").write_text(NN401)
    code, out, _ = check(monkeypatch, capsys, "-o", "reports/lint.json", "--output-format",
                         "json", "a.py")
    assert code == 1 and out == ""
    [item] = json.loads((project / "reports" / "lint.json").read_text())
    assert item["code"] == "NN401"


def test_output_format_from_environment_and_configuration(project, monkeypatch,
                                                          capsys) -> None:
    (project / "a.py").write_text(NN401)
    monkeypatch.setenv("LINTNN_OUTPUT_FORMAT", "pylint")
    assert check(monkeypatch, capsys, "a.py")[1] == "a.py:3: [NN401] " + _message(NN401) + "\n"
    # The flag wins over the variable, the variable over the configuration.
    assert check(monkeypatch, capsys, "--output-format", "json", "a.py")[1].startswith("[")
    (project / "pyproject.toml").write_text('[tool.lintnn]\noutput-format = "grouped"\n')
    assert check(monkeypatch, capsys, "a.py")[1].startswith("a.py:3: [NN401]")
    monkeypatch.delenv("LINTNN_OUTPUT_FORMAT")
    assert check(monkeypatch, capsys, "a.py")[1].startswith("a.py:\n  3:38 NN401 ")
    monkeypatch.setenv("LINTNN_OUTPUT_FORMAT", "yaml")
    code, _, err = check(monkeypatch, capsys, "a.py")
    assert code == 2 and "unknown output format 'yaml'" in err


def test_default_format_is_full(project, monkeypatch, capsys) -> None:
    monkeypatch.delenv("LINTNN_OUTPUT_FORMAT")
    (project / "a.py").write_text(NN401)
    out = check(monkeypatch, capsys, "a.py")[1]
    assert out.startswith("NN401 BatchNorm directly after Dropout")
    assert " --> a.py:3:38\n" in out and "3 | net = nn.Sequential(" in out


def _message(source: str) -> str:
    from lintnn.config import Settings
    from lintnn.static.engine.run import Engine

    [finding] = Engine(Settings(), use_cache=False, jobs=1).check_source(
        Path("m.py"), source).diagnostics
    return finding.message


# lintnn rules --output-format json ------------------------------------------------------

def test_rules_as_json(project, monkeypatch, capsys) -> None:
    assert main(["rules", "--output-format", "json"]) == 0
    rules = json.loads(capsys.readouterr().out)
    by_code = {rule["code"]: rule for rule in rules}
    assert by_code["NN101"]["name"] == "probabilities-into-logits-loss"
    assert by_code["NN101"]["fixable"] is True and by_code["NN101"]["severity"] == "error"
    assert by_code["NN101"]["explanation"].startswith("# NN101")
    assert by_code["NN010"]["name"] == "unused-noqa"
    assert main(["rule", "NN403", "--output-format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["severity"] == "info"


# --watch ------------------------------------------------------------------------------------

def test_watch_checks_again_when_a_file_changes(project) -> None:
    pytest.importorskip("watchfiles")
    (project / "a.py").write_text("x = 1\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "lintnn", "check", "--no-cache", "--watch", "."], cwd=project,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env=subprocess_env(LINTNN_OUTPUT_FORMAT="concise"))
    try:
        first = _read_until(process, "All checks passed!", timeout=60)
        assert first.startswith("Starting linter in watch mode...\n"), first
        later = ""
        for _ in range(30):  # the watcher starts just after the first report: write until seen
            (project / "a.py").write_text(NN401)
            later += _read_until(process, "Found 1 problem", timeout=2)
            if "Found 1 problem" in later:
                break
        assert "File change detected..." in later and "a.py:3:38: NN401" in later, later
    finally:
        process.terminate()
        process.wait(timeout=10)


def _read_until(process: subprocess.Popen, marker: str, timeout: float) -> str:
    """The process's output until ``marker`` shows or time runs out (raw reads: no buffer
    in between that a select could not see)."""
    import os
    import selectors
    import time

    assert process.stdout is not None
    descriptor = process.stdout.fileno()
    selector = selectors.DefaultSelector()
    selector.register(descriptor, selectors.EVENT_READ)
    seen, deadline = b"", time.monotonic() + timeout
    while marker.encode() not in seen and time.monotonic() < deadline:
        if selector.select(timeout=0.2):
            chunk = os.read(descriptor, 65536)
            if not chunk:
                break
            seen += chunk
    selector.close()
    return seen.decode()


def test_watch_refuses_stdin(project, monkeypatch, capsys) -> None:
    code, _, err = check(monkeypatch, capsys, "--watch", "-")
    assert code == 2 and "--watch checks files on disk" in err



def test_probe_findings_never_point_at_the_console_script(tmp_path: Path) -> None:
    """The ``lintnn`` console script is outside lintnn's folder, and ``lintnn probe`` runs
    the model from it: a finding with no user frame was located at ``bin/lintnn:8``."""
    pytest.importorskip("torch")
    script = tmp_path / "lintnn"  # what pip writes for the console_scripts entry point
    script.write_text("import sys\nfrom lintnn.cli.main import main\n"
                      "from lintnn.runtime.torch.source import user_frame\n"
                      "if __name__ == '__main__':\n    print(user_frame())\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=subprocess_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"
