"""Time and peak memory of ``lintnn check`` on one generated file, as the file grows.

A linear analysis doubles its time when the file doubles. The file is dense training code
(a model class and a training loop with one NN101 bug per block). ``--tree`` compares
checkouts side by side, interleaved (e.g. before/after a change)::

    git worktree add /tmp/lintnn-old <commit>
    python benchmarks/bench_large_files.py --tree /tmp/lintnn-old --tree . --sizes 0.1 0.2 0.4

Each run sets ``max-file-size`` above the file's size, so the file is analysed in full.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAD = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\n"
BLOCK = '''class Net{i}(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear({i} + 1, 10)

    def forward(self, x):
        return self.fc(x)


def train_{i}(model, loader, optimizer):
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(F.softmax(model(x), dim=1), y)
        loss.backward()
        optimizer.step()


'''


def generate(path: Path, megabytes: float) -> int:
    parts, size, blocks = [HEAD], len(HEAD), 0
    while size < megabytes * 1e6:
        block = BLOCK.format(i=blocks)
        parts.append(block)
        size += len(block)
        blocks += 1
    path.write_text("".join(parts))
    return blocks


# Runs lintnn in this process's child and reports the child's own peak memory on exit.
_WRAPPER = (
    "import resource, runpy, sys\n"
    "sys.argv = ['lintnn', 'check', 'big.py', '--no-cache', '--statistics']\n"
    "try:\n"
    "    runpy.run_module('lintnn', run_name='__main__')\n"
    "finally:\n"
    "    print('maxrss', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
)


def run(tree: Path, directory: Path) -> tuple[float, float, int]:
    """(wall s, CPU s, peak RSS MiB) of one ``lintnn check`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER], cwd=directory,
        env={**os.environ, "PYTHONPATH": str(tree.absolute())},
        capture_output=True, text=True, check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 1 or "NN101" not in done.stdout:
        raise SystemExit(f"unexpected result from {tree}: {done.stdout[-500:]}{done.stderr[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak_kib = int(done.stderr.rsplit("maxrss", 1)[1].split()[0])
    return wall, cpu, peak_kib // 1024


def supports_max_file_size(tree: Path) -> bool:
    return "max-file-size" in (tree / "lintnn" / "config.py").read_text()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, action="append", default=None,
                        help="a lintnn checkout to time (repeatable; default: this one)")
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.1, 0.2, 0.4],
                        help="file sizes in MB")
    args = parser.parse_args()
    trees = args.tree or [Path(__file__).resolve().parents[1]]
    print("| tree | MB | blocks | wall s | CPU s | CPU s per MB | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    for megabytes in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            limited, plain = Path(tmp, "limited"), Path(tmp, "plain")
            for directory in (limited, plain):
                directory.mkdir()
                blocks = generate(directory / "big.py", megabytes)
            (limited / "pyproject.toml").write_text(
                f"[tool.lintnn]\nmax-file-size = {int(megabytes * 1e6) + 1_000_000}\n")
            for tree in trees:
                directory = limited if supports_max_file_size(tree) else plain
                wall, cpu, peak = run(tree, directory)
                print(f"| {tree} | {megabytes:g} | {blocks} | {wall:.1f} | {cpu:.1f} | "
                      f"{cpu / megabytes:.1f} | {peak} |", flush=True)


if __name__ == "__main__":
    main()
