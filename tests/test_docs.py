"""The documentation: the site builds with no broken link, and README and docs/ promise
only what exists (issue 14, items 7 and 8)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from lintnn.cli.main import build_parser
from lintnn.static.rules import all_rules
from tests.conftest import REPO_ROOT, subprocess_env

DOCS = [REPO_ROOT / "README.md", REPO_ROOT / "CONTRIBUTING.md",
        *sorted((REPO_ROOT / "docs").glob("*.md"))]


def test_site_builds_strictly_with_a_page_per_rule_and_search(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
        env=subprocess_env(NO_MKDOCS_2_WARNING="1"))
    assert done.returncode == 0, done.stderr
    for code in all_rules():
        assert (tmp_path / "rules" / f"{code}.html").is_file()
    index = json.loads((tmp_path / "search" / "search_index.json").read_text())
    titled = {doc["title"] for doc in index["docs"]}
    assert "NN302: statistics-fitted-before-split" in titled
    assert (tmp_path / "docs" / "configuration.html").is_file()
    home = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'href="docs/integrations.html"' in home  # README's own links, resolved


def _check_options() -> set[str]:
    parser = build_parser()
    check = parser._subparsers._group_actions[0].choices["check"]  # type: ignore[union-attr]
    return {option for action in check._actions for option in action.option_strings}


def test_every_check_option_in_the_docs_exists() -> None:
    known = _check_options()
    unknown = []
    for path in DOCS:
        for line in path.read_text(encoding="utf-8").splitlines():
            if "lintnn check" not in line:
                continue
            command = line[line.index("lintnn check"):].split("#")[0].split("|")[0]
            try:
                words = shlex.split(command.replace("`", " "))
            except ValueError:
                words = command.split()
            unknown += [f"{path.name}: {w}" for w in words
                        if w.startswith("--") and w.split("=")[0] not in known
                        and w != "--bogus"]  # cli.md shows what an unknown option does
    assert not unknown


def test_no_promise_of_a_published_package_or_a_missing_tag() -> None:
    tags = subprocess.run(["git", "tag"], cwd=REPO_ROOT, capture_output=True, text=True)
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"pip install \"?'?lintnn\b(?!\s*@)", text):
            line = text[: match.start()].count("\n") + 1
            assert path.name == "releasing.md", f"{path.name}:{line}: {match.group(0)}"
        for match in re.finditer(r"rev: (v[\d.]+)", text):
            assert match.group(1) in tags.stdout.split(), f"{path.name}: {match.group(0)}"
        assert "seeds/" not in text and "lintnn.dev" not in text, path.name
        assert "probe_command" not in text, path.name
    for page in (REPO_ROOT / "rules").glob("*.md"):
        assert "seeds/" not in page.read_text(encoding="utf-8"), page.name
