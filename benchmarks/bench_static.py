"""Speed and memory of ``lintnn check`` on a large real tree, next to ruff (and pylint),
and next to another checkout of lintnn (the commit a change started from).

Every tool runs as its own process tree; the runs of one round are interleaved (this
checkout, the baseline, ruff, ...) and each figure is the median over the rounds, so
that the figures stay comparable on a noisy shared machine.

    python benchmarks/bench_static.py                      # transformers' installed sources
    python benchmarks/bench_static.py --package lightning --baseline ../base --repeat 5
    python benchmarks/bench_static.py PATH --pylint-sample 150

The tree is copied to a temporary directory first (one copy per checkout, as the cache
lives in the tree): an installed package sits in a virtual environment that a
``.gitignore`` above it may exclude from discovery.
Measured: wall time, CPU time (user+sys of the whole process tree), peak RSS of the
largest process, files per second; the load average before and after, to judge noise.
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


def measure(command: list[str], cwd: Path | None = None,
            repo: Path = REPO) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(repo)}
    out = subprocess.run([sys.executable, "-c", _MEASURE, *command], capture_output=True,
                         text=True, cwd=cwd, check=True, env=env)
    result = json.loads(out.stdout)
    if result["rc"] not in (0, 1):
        sys.exit(f"{' '.join(command[:4])} ... failed with exit code {result['rc']}")
    return result


def summary(runs: list[dict[str, float]]) -> dict[str, float]:
    return {
        "wall": statistics.median(r["wall"] for r in runs),
        "cpu": statistics.median(r["cpu"] for r in runs),
        "rss_mib": max(r["rss_mib"] for r in runs),
        "rc": runs[-1]["rc"],
    }


def best_of(command: list[str], repeat: int, cwd: Path | None = None,
            repo: Path = REPO) -> dict[str, float]:
    return summary([measure(command, cwd, repo) for _ in range(repeat)])


def interleaved(tools: dict[str, tuple[list[str], Path | None, Path]],
                repeat: int) -> dict[str, dict[str, float]]:
    """``name -> (command, cwd, repo)``, run round after round; the medians."""
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in tools}
    for _ in range(repeat):
        for name, (command, cwd, repo) in tools.items():
            runs[name].append(measure(command, cwd, repo))
    return {name: summary(found) for name, found in runs.items()}


def package_tree(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        sys.exit(f"{name} is not installed: pass a PATH to lint")
    return Path(spec.origin).parent


def python_files(tree: Path) -> list[Path]:
    return sorted(p for p in tree.rglob("*.py") if "__pycache__" not in p.parts)


def sample(files: list[Path], count: int) -> list[Path]:
    step = max(1, len(files) // count)
    return files[::step][:count]


def row(name: str, result: dict[str, float], files: int,
        bases: dict[str, dict[str, float]]) -> str:
    ratios = " | ".join(f"{result['wall'] / base['wall']:.2f}x" for base in bases.values())
    return (f"| {name} | {result['wall']:.2f} | {result['cpu']:.2f} | {result['rss_mib']:.0f} | "
            f"{files / result['wall']:.0f} | {ratios} |")


def ruff_binary() -> str | None:
    beside = Path(sys.executable).with_name("ruff")
    return shutil.which("ruff") or (str(beside) if beside.exists() else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", nargs="?", type=Path)
    parser.add_argument("--package", default="transformers",
                        help="installed package to lint when no PATH is given")
    parser.add_argument("--baseline", type=Path,
                        help="another lintnn checkout (e.g. a worktree of the commit a change "
                             "started from), run side by side")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pylint-sample", type=int, default=0)
    args = parser.parse_args()
    source = (args.tree or package_tree(args.package)).resolve()
    lintnn = [sys.executable, "-m", "lintnn", "check", "--exit-zero", "-q"]
    checkouts = {"lintnn": REPO}
    if args.baseline is not None:
        checkouts["lintnn baseline"] = args.baseline.resolve()

    for repo in checkouts.values():  # bytecode first: with PYTHONDONTWRITEBYTECODE set (as
        # on the project's machines), a tree edited since its last compile would compile
        # its modules on every run, and that would be timed
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(repo / "lintnn")],
                       check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as scratch:
        # One copy per checkout, so that no run reads files another one wrote.
        trees = {name: Path(scratch) / f"tree-{i}" / source.name
                 for i, name in enumerate(checkouts)}
        for tree in trees.values():
            shutil.copytree(source, tree, ignore=shutil.ignore_patterns("__pycache__"))
        tree = trees["lintnn"]
        files = python_files(tree)
        lines = sum(p.read_bytes().count(b"\n") for p in files)
        print(f"# lintnn static benchmark: {source.name} ({len(files)} files, {lines} lines)\n")
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
              f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}, "
              f"load average {os.getloadavg()[0]:.1f} before\n")
        here = Path(scratch)  # the working directory: ``python -m`` imports from it first
        tools: dict[str, tuple[list[str], Path | None, Path]] = {}
        for name, repo in checkouts.items():
            tools[f"{name} (cold, no cache)"] = (
                [*lintnn, "--no-cache", str(trees[name])], here, repo)
        ruff = ruff_binary()
        if ruff:
            tools["ruff check (default rules)"] = (
                [ruff, "check", "--no-cache", "--exit-zero", "-q", str(tree)], here, REPO)
            tools["ruff check --select ALL"] = (
                [ruff, "check", "--no-cache", "--exit-zero", "-q", "--select", "ALL",
                 str(tree)], here, REPO)
        for name, repo in checkouts.items():
            # One cache per checkout: it lives where the project's root is (here: the
            # working directory), and each version deletes the caches of the others.
            cache = trees[name].parent / "cache"
            cached = [*lintnn, "--config", f'cache-dir="{cache}"', str(trees[name])]
            measure(cached, here, repo)  # fill the cache
            tools[f"{name} (unchanged tree, cache)"] = (cached, here, repo)
        results = interleaved(tools, args.repeat)
        bases = {name: results[f"{name} (cold, no cache)"] for name in checkouts}
        if ruff:
            bases["ruff ALL"] = results["ruff check --select ALL"]
        header = ("| tool | wall s | cpu s | peak RSS MiB | files/s | "
                  + " | ".join(f"wall vs {b}" for b in bases) + " |\n|"
                  + "---|" * (5 + len(bases)))
        print(f"## whole tree, median of {args.repeat} interleaved rounds\n\n{header}")
        for name, result in results.items():
            print(row(name, result, len(files), bases))
        print(f"\nload average after: {os.getloadavg()[0]:.1f}")

        if args.pylint_sample <= 0:
            return
        picked = [str(p) for p in sample(files, args.pylint_sample)]
        print(f"\n## sample of {len(picked)} files (pylint is too slow for the whole tree)\n")
        base = best_of([*lintnn, "--no-cache", *picked], args.repeat, here)
        sampled = {"lintnn": base}
        if importlib.util.find_spec("pylint"):
            sampled["pylint (E,W, --jobs=0)"] = best_of(
                [sys.executable, "-m", "pylint", "--exit-zero", "--jobs=0", "--disable=all",
                 "--enable=E,W", *picked], 1, here)
            sampled["pylint (default)"] = best_of(
                [sys.executable, "-m", "pylint", "--exit-zero", "--jobs=0", *picked], 1, here)
        print("| tool | wall s | cpu s | peak RSS MiB | files/s | wall vs lintnn |\n"
              "|---|---|---|---|---|---|")
        for name, result in sampled.items():
            print(row(name, result, len(picked), {"lintnn": base}))


if __name__ == "__main__":
    main()
