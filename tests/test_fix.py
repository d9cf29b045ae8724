"""``--fix``, ``--unsafe-fixes``, ``--diff``: the fix loop and the file writer."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lintnn.cli import fix as fix_command
from lintnn.cli import main
from lintnn.diagnostics import Edit, Fix, Location
from lintnn.static.engine.fixer import apply_fixes_to_text, select_non_overlapping
from tests.fix_rules import registered
from tests.helpers import edit_during_write, fail_writes_halfway


@pytest.fixture(autouse=True)
def fake_rules():
    with registered():
        yield


def check(path: Path, *flags: str) -> int:
    return main(["check", str(path), "--no-cache", "-j", "1", "--select", "NN98", *flags])


def _fix(start: tuple[int, int], end: tuple[int, int], content: str) -> Fix:
    return Fix("f", (Edit(Location(*start), Location(*end), content),))


def test_edits_apply_from_the_end_and_overlaps_are_skipped() -> None:
    text = "abc\r\ndef\n"
    first, clash, second = _fix((1, 1), (1, 3), "X"), _fix((1, 2), (1, 4), "Y"), \
        _fix((2, 2), (2, 3), "Z")
    chosen = select_non_overlapping([second, clash, first])
    assert chosen == [first, second]
    assert apply_fixes_to_text(text, chosen) == "Xc\r\ndZf\n"


def test_fix_writes_the_file_and_reports_what_remains(tmp_path: Path, capsys) -> None:
    path = tmp_path / "train.py"
    path.write_text("bad_call(1)\nrisky(2)\n")
    assert check(path, "--fix") == 1  # the unsafe finding remains
    assert path.read_text() == "good_call(1)\nrisky(2)\n"
    out = capsys.readouterr().out
    assert "NN982" in out and "NN981" not in out.split("Found")[0]
    assert "Fixed 1 error." in out


def test_unsafe_fixes_only_with_the_flag(tmp_path: Path, capsys) -> None:
    path = tmp_path / "train.py"
    path.write_text("risky(2)\n")
    check(path, "--fix")
    assert path.read_text() == "risky(2)\n"
    assert check(path, "--fix", "--unsafe-fixes") == 0
    assert path.read_text() == "careful(2)\n"
    assert "Fixed 1 error." in capsys.readouterr().out


def test_nested_fixes_need_a_second_pass(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_text("bad_call(bad_call(x))\n")
    assert check(path, "--fix") == 0
    assert path.read_text() == "good_call(good_call(x))\n"


def test_diff_writes_nothing_and_exits_1(tmp_path: Path, capsys) -> None:
    path = tmp_path / "train.py"
    path.write_text("x = 1\nbad_call(x)\n")
    assert check(path, "--diff") == 1
    captured = capsys.readouterr()
    assert path.read_text() == "x = 1\nbad_call(x)\n"
    assert "-bad_call(x)\n+good_call(x)\n" in captured.out
    assert "Would fix 1 error." in captured.err
    path.write_text("x = 1\n")
    assert check(path, "--diff") == 0


def test_fix_that_breaks_the_code_is_dropped(tmp_path: Path, capsys) -> None:
    path = tmp_path / "train.py"
    path.write_text("broken = 1\nbad_call(broken)\n")
    assert check(path, "--fix") == 1
    assert path.read_text() == "broken = 1\ngood_call(broken)\n"
    err = capsys.readouterr().err
    assert "NN983" in err and "invalid code" in err


def test_fix_that_adds_a_finding_is_dropped(tmp_path: Path, capsys) -> None:
    path = tmp_path / "train.py"
    path.write_text("loop_a()\n")
    assert check(path, "--fix") == 1
    assert path.read_text() == "loop_a()\n"
    assert "introduces new findings" in capsys.readouterr().err


def test_crlf_bom_and_missing_trailing_newline_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_bytes(b"\xef\xbb\xbf# \xc3\xa9t\xc3\xa9\r\nbad_call(1)\r\nx = 2")
    assert check(path, "--fix") == 0
    assert path.read_bytes() == b"\xef\xbb\xbf# \xc3\xa9t\xc3\xa9\r\ngood_call(1)\r\nx = 2"


def test_pep263_encoding_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_bytes("# -*- coding: latin-1 -*-\ns = 'é'\nbad_call(s)\n".encode("latin-1"))
    check(path, "--fix")
    assert path.read_bytes() == "# -*- coding: latin-1 -*-\ns = 'é'\ngood_call(s)\n".encode(
        "latin-1")


def test_interrupted_write_leaves_the_original_intact(tmp_path: Path, monkeypatch,
                                                      capsys) -> None:
    path = tmp_path / "train.py"
    original = "bad_call(1)\n" + "x = 1\n" * 50
    path.write_text(original)
    fail_writes_halfway(monkeypatch)
    assert check(path, "--fix") == 1
    assert path.read_text() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.py"]  # no temporary left
    assert "No space left on device" in capsys.readouterr().err


def test_file_changed_on_disk_is_not_overwritten(tmp_path: Path, monkeypatch, capsys) -> None:
    path = tmp_path / "train.py"
    path.write_text("bad_call(1)\n")
    edit_during_write(monkeypatch, path, "bad_call(1)\nedited = True\n")
    check(path, "--fix")
    assert path.read_text() == "bad_call(1)\nedited = True\n"
    assert "changed on disk" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.py"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_permissions_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "run.py"
    path.write_text("bad_call(1)\n")
    path.chmod(0o755)
    check(path, "--fix")
    assert path.stat().st_mode & 0o777 == 0o755


def test_stdin_fix_prints_the_fixed_source(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("bad_call(1)\nrisky(2)\n"))
    code = main(["check", "--no-cache", "--select", "NN98", "--fix",
                 "--stdin-filename", "x.py", "-"])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == "good_call(1)\nrisky(2)\n"
    assert "x.py:2:1: NN982" in captured.err


def test_show_fixes_lists_the_fixed_codes(tmp_path: Path, capsys) -> None:
    path = tmp_path / "train.py"
    path.write_text("bad_call(1)\nbad_call(2)\n")
    check(path, "--fix", "--show-fixes")
    out = capsys.readouterr().out
    assert "Fixed 2 errors:" in out and "2 x NN981" in out


def test_fix_uses_the_text_on_disk_not_stale_positions(tmp_path: Path) -> None:
    from argparse import Namespace

    from lintnn.config import Settings
    from lintnn.static.engine.run import Engine

    path = tmp_path / "train.py"
    path.write_text("bad_call(1)\n")
    engine = Engine(Settings(select=["NN98"], root=tmp_path), use_cache=False, jobs=1)
    result = engine.check_paths([path])
    path.write_text("# a new first line\nbad_call(1)\n")
    args = Namespace(unsafe_fixes=False, diff=False)
    outcome = fix_command.run_fixes(engine, result, args)
    assert path.read_text() == "# a new first line\ngood_call(1)\n"
    assert outcome.remaining == [] and outcome.fixed_count == 1


def test_unsafe_fixes_are_not_offered_as_fixable(tmp_path: Path, capsys) -> None:
    path = tmp_path / "train.py"
    path.write_text("bad_call(1)\nrisky(2)\n")
    check(path)
    out = capsys.readouterr().out
    assert "train.py:1:1: NN981 [*]" in out and "train.py:2:1: NN982 risky" in out
    assert "[*] 1 fixable with the `--fix` option." in out
    assert "1 hidden fix can be enabled with the `--unsafe-fixes` option." in out
    check(path, "--unsafe-fixes")
    out = capsys.readouterr().out
    assert "NN982 [*]" in out and "[*] 2 fixable with the `--fix --unsafe-fixes` option." in out


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_fix_writes_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "train.py").write_text("bad_call(1)\n")
    link = tmp_path / "link.py"
    link.symlink_to(real / "train.py")
    check(link, "--fix")
    assert link.is_symlink()
    assert (real / "train.py").read_text() == "good_call(1)\n"
    assert sorted(p.name for p in real.iterdir()) == ["train.py"]


@given(
    calls=st.lists(st.tuples(st.sampled_from(["bad_call", "risky", "other"]),
                             st.integers(0, 3)), min_size=1, max_size=6),
    newline=st.sampled_from(["\n", "\r\n"]),
)
@settings(max_examples=25, deadline=None)
def test_fixing_any_mix_of_calls(calls: list[tuple[str, int]], newline: str) -> None:
    from lintnn.config import Settings
    from lintnn.static.engine.fixer import fix_text
    from lintnn.static.engine.run import Engine

    def nest(name: str, depth: int) -> str:
        return f"{name}(" * (depth + 1) + "x" + ")" * (depth + 1)

    source = newline.join(nest(n, d) for n, d in calls) + newline
    engine = Engine(Settings(select=["NN98"], root=Path.cwd()), use_cache=False, jobs=1)
    run = fix_text(source, fix_command.python_linter(engine, Path("t.py")))
    expected = source.replace("bad_call(", "good_call(")
    assert run.text == expected
    assert {d.code for d in run.remaining} <= {"NN982"}
    assert run.fixed["NN981"] == source.count("bad_call(")


def test_multiline_fix_keeps_the_block_indentation(tmp_path) -> None:
    """A fix replacing a call that spans lines inside nested blocks keeps their indent."""
    import subprocess
    import sys

    from tests.conftest import subprocess_env

    source = (
        "import torch.nn as nn\nimport torch.nn.functional as F\n\n\n"
        "class Net(nn.Module):\n"
        "    def forward(self, x):\n"
        "        if x is not None:\n"
        "            x = F.dropout(\n"
        "                x,\n"
        "                0.5,\n"
        "            )\n"
        "        return x\n"
    )
    path = tmp_path / "net.py"
    path.write_text(source)
    subprocess.run([sys.executable, "-m", "lintnn", "check", "--fix", "--no-cache", str(path)],
                   env=subprocess_env(), capture_output=True, timeout=120, check=False)
    assert path.read_text() == source.replace(
        "                0.5,\n", "                0.5,\n                training=self.training,\n"
    )


def test_a_fix_whose_position_is_wrong_is_withheld(tmp_path: Path, monkeypatch) -> None:
    """Defence in depth: an edit is offered only where the source text under its span is the
    code it was computed from; a position bug then costs the fix, never the user's code."""
    import libcst as cst

    from lintnn.static.syntax import positions

    monkeypatch.setattr(positions, "_alone",  # the old bug: positions as if 4-space indented
                        lambda module, stmt: cst.Module(body=[stmt]))
    path = tmp_path / "train.py"
    source = ("import torch.nn.functional as F\n\ndef f(logits, target):\n"
              "  return F.cross_entropy(F.softmax(logits, 1), target)\n")
    path.write_text(source)
    assert main(["check", str(path), "--fix", "--no-cache", "-j", "1", "--select", "NN101"]) == 1
    assert path.read_text() == source
