"""The tree built from CPython's ``ast`` against libcst's own parse, on real sources.

    python benchmarks/light_tree_check.py                    # this site-packages
    python benchmarks/light_tree_check.py PATH [PATH ...]    # any trees or files
    python benchmarks/light_tree_check.py --package transformers --jobs 2

For every file CPython and libcst both parse: whether
:func:`lintnn.static.engine.from_ast.module_from_ast` builds a tree with the structure of
libcst's (:func:`~lintnn.static.engine.from_ast.structure`: classes, text fields, children,
trivia left out), or which construct it does not build (``Unconvertible``: the engine then
parses with libcst). Prints the counts, the first difference of each differing file (the
exit code is 1 if any), and the CPU seconds per megabyte of ``ast.parse``, of the
conversion and of libcst's parse.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import os
import sys
import sysconfig
import time
import warnings
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lintnn.static.engine.fast_parse import parse_module  # noqa: E402
from lintnn.static.engine.from_ast import Unconvertible, module_from_ast  # noqa: E402
from lintnn.static.engine.safe_parse import RECURSION_LIMIT  # noqa: E402
from lintnn.static.syntax.structure import first_difference, structure  # noqa: E402


def check_file(path: str) -> tuple[str, str, float, float, float, int]:
    """(path, outcome, ast s, conversion s, libcst s, characters) of one file."""
    sys.setrecursionlimit(RECURSION_LIMIT)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError):
        return path, "unreadable", 0.0, 0.0, 0.0, 0
    clock = time.process_time
    start = clock()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return path, "python refuses", 0.0, 0.0, 0.0, len(text)
    parsed = clock()
    try:
        light = module_from_ast(tree, text)
        outcome = ""
    except Unconvertible as why:
        light, outcome = None, f"unconvertible: {why}"
    except RecursionError:
        light, outcome = None, "too deep"
    converted = clock()
    try:
        real = parse_module(text)
    except Exception:  # libcst refuses it (the engine skips it too)
        return path, "libcst refuses", 0.0, 0.0, 0.0, len(text)
    done = clock()
    if light is not None:
        try:
            difference = first_difference(structure(light), structure(real))
        except RecursionError:
            difference = None
            outcome = "too deep"
        outcome = outcome or ("same" if difference is None else f"differs {difference}")
    return path, outcome, parsed - start, converted - parsed, done - converted, len(text)


def python_files(roots: list[Path]) -> list[str]:
    files: list[str] = []
    for root in roots:
        if root.is_file():
            files.append(str(root))
            continue
        files.extend(str(p) for p in sorted(root.rglob("*.py")) if "__pycache__" not in p.parts)
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--package", action="append", default=[],
                        help="an installed package's sources")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--show", type=int, default=20, help="differences to print")
    args = parser.parse_args()
    roots = list(args.paths)
    for name in args.package:
        module = importlib.import_module(name)
        roots.append(Path(module.__file__).parent)  # type: ignore[arg-type]
    if not roots:
        roots = [Path(sysconfig.get_paths()["purelib"])]
    files = python_files(roots)
    outcomes: Counter[str] = Counter()
    differing: list[str] = []
    unconverted: Counter[str] = Counter()
    seconds = Counter[str]()
    characters = 0
    with ProcessPoolExecutor(args.jobs) as pool:
        for path, outcome, parse_s, convert_s, libcst_s, size in pool.map(
                check_file, files, chunksize=16):
            kind = outcome.split(":")[0].split(" /")[0]
            outcomes["differs" if outcome.startswith("differs") else kind] += 1
            if outcome.startswith("differs"):
                differing.append(f"{path}: {outcome[8:]}")
            elif outcome.startswith("unconvertible"):
                unconverted[outcome.partition(": ")[2]] += 1
            if outcome in ("same",) or outcome.startswith("differs"):
                seconds["ast"] += parse_s
                seconds["conversion"] += convert_s
                seconds["libcst"] += libcst_s
                characters += size
    print(f"{len(files)} files: " + ", ".join(f"{k} {v}" for k, v in outcomes.most_common()))
    megabytes = characters / 1e6
    if megabytes:
        print(f"on {megabytes:.1f} M characters converted: ast.parse "
              f"{seconds['ast'] / megabytes:.3f}, conversion "
              f"{seconds['conversion'] / megabytes:.3f}, libcst "
              f"{seconds['libcst'] / megabytes:.3f} CPU s per M characters")
    for why, count in unconverted.most_common():
        print(f"not converted ({count}): {why}")
    for line in differing[:args.show]:
        print(line)
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
