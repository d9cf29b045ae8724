"""False-positive sweep on large libraries: lintnn's findings on installed packages'
sources, per rule, side by side for two checkouts.

Libraries hold almost no training loops, so every finding here is read by hand: a rule
change that adds findings on them needs a reason. Run:

    python benchmarks/sweep_libraries.py --tree /path/to/before --tree . \
        --package transformers --package flax --package optax

Prints the per-code counts of each tree, then the findings that one tree has and the other
does not (file:line code message).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path


def package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def findings(tree: Path, paths: list[Path], python: str, config: Path) -> list[dict]:
    cmd = [python, "-m", "lintnn", "check", *map(str, paths), "--no-cache",
           "--output-format", "json", "--exit-zero", "--config", str(config)]
    out = subprocess.run(cmd, cwd=tree, capture_output=True, text=True, check=False,
                         env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})
    if out.returncode not in (0, 1):
        sys.exit(f"lintnn failed in {tree}: {out.stderr[-2000:]}")
    return [d for d in json.loads(out.stdout or "[]") if d["code"] not in ("NN001", "NN002")]


def key(d: dict) -> tuple:
    return (d["filename"], d["location"]["row"], d["code"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, action="append", required=True)
    parser.add_argument("--package", action="append",
                        default=None, help="installed package to sweep (repeatable)")
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    names = args.package or ["transformers", "flax", "optax"]
    paths = [p for p in (package_dir(n) for n in names) if p is not None]
    print("packages:", ", ".join(f"{n} ({p})" for n, p in zip(names, paths, strict=False)))
    with tempfile.TemporaryDirectory() as folder:
        # site-packages may sit in a git-ignored virtualenv: look at every file anyway
        config = Path(folder) / "lintnn.toml"
        config.write_text("[tool.lintnn]\nrespect-gitignore = false\n")
        results = [findings(tree.resolve(), paths, args.python, config) for tree in args.tree]
    codes = sorted({d["code"] for r in results for d in r})
    print("code   " + "  ".join(f"{str(t)[-18:]:>18}" for t in args.tree))
    for code in codes:
        counts = [Counter(d["code"] for d in r)[code] for r in results]
        print(f"{code:<7}" + "  ".join(f"{c:>18}" for c in counts))
    print("total  " + "  ".join(f"{len(r):>18}" for r in results))
    if len(results) == 2:
        before, after = ({key(d): d for d in r} for r in results)
        for label, a, b in (("only in", after, before), ("gone in", before, after)):
            for k in sorted(set(a) - set(b)):
                d = a[k]
                print(f"{label} {args.tree[1]}: "
                      f"{d['filename']}:{d['location']['row']} {d['code']} {d['message'][:90]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
