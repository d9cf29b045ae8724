"""Speed and memory of ``lintnn check`` on a large real tree, next to ruff and pylint.

Every tool runs as its own process tree, side by side in one run, so the figures are
comparable on a noisy shared machine; results are given as ratios to lintnn.

    python benchmarks/bench_static.py                      # transformers' installed sources
    python benchmarks/bench_static.py PATH --pylint-sample 150 --repeat 3

Measured: wall time (median of --repeat), CPU time (user+sys of the whole process tree),
peak RSS of the largest process, files per second. pylint is far too slow for the whole
tree, so it runs on a deterministic sample of files, and lintnn runs on the same sample.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_MEASURE = r"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                  "rss_mib": usage.ru_maxrss / 1024, "rc": proc.returncode}))
"""


REPO = Path(__file__).resolve().parent.parent


def measure(command: list[str], cwd: Path | None = None) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", _MEASURE, *command], capture_output=True,
                         text=True, cwd=cwd, check=True, env=env)
    result = json.loads(out.stdout)
    if result["rc"] not in (0, 1):
        sys.exit(f"{' '.join(command[:4])} ... failed with exit code {result['rc']}")
    return result


def best_of(command: list[str], repeat: int, cwd: Path | None = None) -> dict[str, float]:
    runs = [measure(command, cwd) for _ in range(repeat)]
    return {
        "wall": statistics.median(r["wall"] for r in runs),
        "cpu": statistics.median(r["cpu"] for r in runs),
        "rss_mib": max(r["rss_mib"] for r in runs),
        "rc": runs[-1]["rc"],
    }


def default_tree() -> Path:
    spec = importlib.util.find_spec("transformers")
    if spec is None or spec.origin is None:
        sys.exit("transformers is not installed: pass a PATH to lint")
    return Path(spec.origin).parent


def python_files(tree: Path) -> list[Path]:
    return sorted(p for p in tree.rglob("*.py") if "__pycache__" not in p.parts)


def sample(files: list[Path], count: int) -> list[Path]:
    step = max(1, len(files) // count)
    return files[::step][:count]


def row(name: str, result: dict[str, float], files: int, base: dict[str, float] | None) -> str:
    ratio = f"{result['wall'] / base['wall']:.2f}x" if base else "1.00x"
    return (f"| {name} | {result['wall']:.2f} | {result['cpu']:.2f} | {result['rss_mib']:.0f} | "
            f"{files / result['wall']:.0f} | {ratio} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", nargs="?", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pylint-sample", type=int, default=150)
    args = parser.parse_args()
    tree = (args.tree or default_tree()).resolve()
    files = python_files(tree)
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    lintnn = [sys.executable, "-m", "lintnn", "check", "--exit-zero", "-q"]

    print(f"# lintnn static benchmark: {tree.name} ({len(files)} files, {lines} lines)\n")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d')}\n")
    header = ("| tool | wall s | cpu s | peak RSS MiB | files/s | wall vs lintnn |\n"
              "|---|---|---|---|---|---|")

    with tempfile.TemporaryDirectory() as cache:
        cold = best_of([*lintnn, "--no-cache", str(tree)], args.repeat)
        best_of([*lintnn, str(tree)], 1, cwd=Path(cache))  # fill the cache
        warm = best_of([*lintnn, str(tree)], args.repeat, cwd=Path(cache))
    print(f"## whole tree\n\n{header}")
    print(row("lintnn (cold, no cache)", cold, len(files), None))
    print(row("lintnn (unchanged tree, cache)", warm, len(files), cold))
    beside = Path(sys.executable).with_name("ruff")
    ruff = shutil.which("ruff") or (str(beside) if beside.exists() else None)
    if ruff:
        result = best_of([ruff, "check", "--no-cache", "--exit-zero", "-q", str(tree)],
                         args.repeat)
        print(row("ruff check (default rules)", result, len(files), cold))

    if args.pylint_sample <= 0:
        return
    picked = [str(p) for p in sample(files, args.pylint_sample)]
    print(f"\n## sample of {len(picked)} files (pylint is too slow for the whole tree)\n")
    print(header)
    base = best_of([*lintnn, "--no-cache", *picked], args.repeat)
    print(row("lintnn", base, len(picked), None))
    if importlib.util.find_spec("pylint"):
        result = best_of([sys.executable, "-m", "pylint", "--exit-zero", "--jobs=0",
                          "--disable=all", "--enable=E,W", *picked], 1)
        print(row("pylint (E,W, --jobs=0)", result, len(picked), base))
        result = best_of([sys.executable, "-m", "pylint", "--exit-zero", "--jobs=0", *picked], 1)
        print(row("pylint (default)", result, len(picked), base))


if __name__ == "__main__":
    main()
