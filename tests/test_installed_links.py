"""From an installed wheel, a finding links to the rule page installed with it (issue 14,
item 7): a ``file://`` URI that exists, so the link works offline."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


def test_links_of_an_installed_wheel_point_into_it(tmp_path: Path) -> None:
    pytest.importorskip("hatchling")
    subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d",
                    str(tmp_path / "dist")], cwd=REPO_ROOT, check=True, capture_output=True,
                   timeout=300)
    (wheel,) = (tmp_path / "dist").glob("lintnn-*.whl")
    site = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(site)
    probe = ("import json, pathlib; from lintnn.diagnostics import rule_url; "
             "url = rule_url('NN101'); print(json.dumps([url, "
             "pathlib.Path(url.removeprefix('file://')).read_text()[:7]]))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                          text=True, env={"PYTHONPATH": str(site), "PATH": ""}, timeout=120)
    assert done.returncode == 0, done.stderr
    url, head = __import__("json").loads(done.stdout)
    assert url == (site / "lintnn" / "_rules" / "NN101.md").as_uri()
    assert head == "# NN101"
