"""Crash-free static half: lint every .py file of a whole site-packages.

    python benchmarks/crash_scan.py                 # this interpreter's site-packages
    python benchmarks/crash_scan.py PATH --jobs 2
    python benchmarks/crash_scan.py --shapes      # also: largest and deepest files

Reports files checked, NN001 findings split into "Python refuses it too" (ast.parse fails:
a real syntax error, correct) and "only lintnn refuses it" (a lintnn bug), every NN002
(an internal error in a rule: always a bug), the files skipped with a message (above
max-file-size, or nested too deeply), and the wall time. Exit code 1 if any bug.
"""

from __future__ import annotations

import argparse
import ast
import collections
import sys
import sysconfig
import time
import warnings
from pathlib import Path

from lintnn.config import Settings
from lintnn.static.engine.run import Engine


def python_refuses(path: Path) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(path.read_bytes())
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", type=Path,
                        default=Path(sysconfig.get_paths()["purelib"]))
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--shapes", action="store_true",
                        help="also list the largest and the most deeply nested files, which "
                             "set max-file-size and the nesting bound (a few minutes more)")
    args = parser.parse_args()
    settings = Settings(root=args.root, respect_gitignore=False)
    engine = Engine(settings, use_cache=False, jobs=args.jobs)
    # site-packages itself is in the always-skipped list: walk its children.
    roots = sorted(p for p in args.root.iterdir() if p.is_dir() or p.suffix == ".py")
    start = time.perf_counter()
    result = engine.check_paths(roots)
    wall = time.perf_counter() - start
    by_code = collections.Counter(d.code for d in result.diagnostics)
    syntax = [d for d in result.diagnostics if d.code == "NN001"]
    wrong = [d for d in syntax if not python_refuses(Path(d.filename))]
    internal = [d for d in result.diagnostics if d.code == "NN002"]
    print(f"root: {args.root}")
    print(f"files checked: {len(result.files)}  wall: {wall:.1f} s  "
          f"({len(result.files) / wall:.0f} files/s)")
    print(f"NN001: {len(syntax)} ({len(syntax) - len(wrong)} real syntax errors, "
          f"{len(wrong)} refused by lintnn only)")
    for diagnostic in [d for d in syntax if d not in wrong][:20]:
        print(f"  refused by Python too: {diagnostic.filename}:{diagnostic.location.row}: "
              f"{diagnostic.message}")
    print(f"NN002 internal errors: {len(internal)}")
    print("findings per code: " + ", ".join(f"{c} {n}" for c, n in sorted(by_code.items())))
    print(f"skipped (not analysed, with a message): {len(result.skipped)}")
    for path, reason in result.skipped:
        print(f"  {path}: {reason}")
    for diagnostic in [*wrong, *internal][:50]:
        print(f"  {diagnostic}")
    if args.shapes:
        report_shapes(result.files)
    return 1 if wrong or internal else 0


def report_shapes(files: list[Path], top: int = 5) -> None:
    """The largest files, and the most deeply nested ones as CPython parses them."""
    from lintnn.static.engine.safe_parse import deepest, judge

    sizes = sorted(((p.stat().st_size, p) for p in files), reverse=True)[:top]
    print("largest files: " + ", ".join(f"{p} {size / 1e6:.2f} MB" for size, p in sizes))
    depths = []
    for path in files:
        tree = judge(path.read_bytes().decode("utf-8", "replace")).tree
        if tree is not None:
            depths.append((deepest(tree)[0], str(path)))
    depths.sort(reverse=True)
    print("most deeply nested: " + ", ".join(f"{p} {d} levels" for d, p in depths[:top]))


if __name__ == "__main__":
    sys.exit(main())
