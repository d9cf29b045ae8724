"""A sweep that can be trusted (issue 18 item 7): how many files were checked, which
folders were skipped by default, and ``--show-files`` listing exactly what a check reads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import subprocess_env

PLAIN = """import torch.nn as nn
import torch.nn.functional as F

loss_fn = nn.CrossEntropyLoss()


def step(model, x, y):
    return loss_fn(F.softmax(model(x), dim=1), y)
"""


def project(root: Path) -> Path:
    """A package with an ``env/`` subpackage (RL code), and folders that are not code."""
    files = {
        "pkg/__init__.py": "", "pkg/train.py": PLAIN,
        "pkg/env/__init__.py": "", "pkg/env/step.py": PLAIN,  # a package: walked
        "pkg/build/generated.py": PLAIN,  # build output inside the package: skipped
        "build/lib/pkg/train.py": PLAIN, "dist/old.py": PLAIN,
        "tools/pyvenv.cfg": "home = /usr\n", "tools/lib/site.py": PLAIN,  # a virtualenv
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def lintnn(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lintnn", "check", *args], cwd=cwd,
                          capture_output=True, text=True, env=subprocess_env(), timeout=120)


def test_show_files_lists_what_a_check_reads_and_exits_0(tmp_path: Path) -> None:
    root = project(tmp_path)
    run = lintnn(root, "--show-files", ".")
    assert run.returncode == 0
    listed = [str(Path(line).relative_to(root)) for line in run.stdout.splitlines()]
    assert listed == ["pkg/__init__.py", "pkg/env/__init__.py", "pkg/env/step.py",
                      "pkg/train.py"]
    assert run.stderr.splitlines() == [f"lintnn: skipped by default: {root / name}"
                                       for name in ("build", "dist", "pkg/build", "tools")]
    assert not (root / ".lintnn_cache").exists()  # nothing analysed, nothing cached


def test_statistics_end_with_the_count_and_the_skipped_folders(tmp_path: Path) -> None:
    root = project(tmp_path)
    first = lintnn(root, "--statistics", ".")
    assert first.returncode == 1
    assert first.stdout.splitlines() == [
        "    2\tNN101\t[*] probabilities-into-logits-loss",
        "Checked 4 files; skipped 4 folders by default: build, dist, pkg/build, tools."]
    again = lintnn(root, "--statistics", ".")
    assert again.stdout.splitlines()[-1].startswith("Checked 4 files (4 from the cache);")


def test_a_long_list_of_skipped_folders_is_cut_short() -> None:
    """A tree of installed packages skips hundreds of ``__pycache__`` folders: the summary
    names the first few and counts the rest (``--show-files`` lists them all)."""
    from lintnn.cli.check import checked_summary
    from lintnn.static.engine.run import RunResult

    pruned = [Path(f"pkg{i}/__pycache__") for i in range(20)]
    line = checked_summary(RunResult([], [Path("a.py")], pruned=pruned))
    assert line.startswith("Checked 1 file; skipped 20 folders by default: pkg0/__pycache__, ")
    assert line.endswith(", pkg7/__pycache__, and 12 more (--show-files).")
