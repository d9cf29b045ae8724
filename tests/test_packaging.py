"""The wheel carries the rule pages, so `lintnn rule CODE` works when installed."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lintnn.static.rules import all_rules
from tests.conftest import REPO_ROOT


def test_wheel_contains_every_rule_page(tmp_path: Path) -> None:
    pytest.importorskip("hatchling")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=REPO_ROOT, check=True, capture_output=True, timeout=300,
    )
    (wheel,) = tmp_path.glob("lintnn-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for code in all_rules():
        assert f"lintnn/_rules/{code}.md" in names
    assert "lintnn/cli/main.py" in names
    assert not any(name.startswith("tests/") for name in names)
    entry_points = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("entry_points.txt"))
    ).decode()
    assert "lintnn = lintnn.cli.main:main" in entry_points


def test_readme_lists_every_rule() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    missing = [code for code in all_rules() if f"| {code} |" not in readme]
    assert not missing, f"README's rule table lacks {missing}"
