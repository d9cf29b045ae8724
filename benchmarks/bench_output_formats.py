"""What each output format costs: a cached ``lintnn check`` of a corpus with thousands of
findings, written in every format, against ``concise`` (one line per finding).

The corpus is ``examples/`` copied ``--copies`` times (46 findings per copy). The cache is
warmed first, so the runs measure discovery, the cache, settings and the formatter (the
``full`` format reads every file with a finding to draw its source lines; SARIF reads them
to fingerprint the findings). Each format runs ``--repeat`` times; the median is kept.

    python benchmarks/bench_output_formats.py --copies 100 --repeat 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("concise", "full", "grouped", "json", "json-lines", "junit", "github", "gitlab",
           "pylint", "rdjson", "sarif")


def run(corpus: Path, fmt: str, out: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lintnn", "check", str(corpus), "--exit-zero", "-q",
                    "--output-format", fmt, "-o", str(out)], check=True, env=env, cwd=corpus)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "corpus"
        for number in range(args.copies):
            shutil.copytree(ROOT / "examples", corpus / f"copy{number}")
        out = Path(folder) / "report"
        run(corpus, "concise", out)  # warm the cache
        findings = len(out.read_text(encoding="utf-8").splitlines())
        rows = []
        for fmt in FORMATS:
            times = [run(corpus, fmt, out) for _ in range(args.repeat)]
            rows.append((fmt, statistics.median(times), out.stat().st_size))
    base = rows[0][1]
    print(f"{args.copies} copies of examples/, {findings} findings, cached; "
          f"median of {args.repeat} runs\n")
    print("| format | wall (s) | vs concise | report size (MB) |")
    print("|---|---|---|---|")
    for fmt, seconds, size in rows:
        print(f"| {fmt} | {seconds:.2f} | {seconds / base:.2f} | {size / 1e6:.2f} |")


if __name__ == "__main__":
    main()
