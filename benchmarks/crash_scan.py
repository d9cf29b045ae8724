"""Crash-free static half: lint every .py file of a whole site-packages.

    python benchmarks/crash_scan.py                 # this interpreter's site-packages
    python benchmarks/crash_scan.py PATH --jobs 2
    python benchmarks/crash_scan.py --shapes      # also: largest and deepest files
    python benchmarks/crash_scan.py --depths      # frames per level of every recursive walk
    python benchmarks/crash_scan.py --hostile     # special files and deep chains, via the CLI
    python benchmarks/crash_scan.py --faults      # --fix killed or failed at each write stage

Reports files checked, NN001 findings split into "Python refuses it too" (ast.parse fails:
a real syntax error, correct) and "only lintnn refuses it" (a lintnn bug), every NN002
(an internal error in a rule: always a bug), the files skipped with a message (above
max-file-size, or nested too deeply), and the wall time. Exit code 1 if any bug.

``--depths`` measures how deep the analysis recurses: every rule page's examples, with
each name on a flagged line replaced by a deeply nested expression of each shape in
:data:`DEEP_SHAPES`, analysed by every rule while a profiler counts the Python frames
on the stack. It prints the frames per level of the syntax tree for each shape and the
functions that recurse, which set ``safe_parse.FRAMES_PER_LEVEL``.

``--hostile`` runs ``lintnn check`` (the console command, with a timeout and a memory cap)
on each input of :data:`HOSTILE` next to a file with one known finding, and reports for
each: exit code, time, whether the JSON output is valid and still holds the known finding,
and NN002s. ``--faults`` runs ``lintnn check --fix`` with the writer's fault-injection point
(``LINTNN_TEST_WRITE_FAULT``) set to kill or fail each stage of the write, then a plain run,
and counts the files left original, fixed or partial, and the temporary files left.
"""

from __future__ import annotations

import argparse
import ast
import collections
import json
import os
import re
import resource
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

from lintnn.config import Settings
from lintnn.static.engine.run import Engine


def python_refuses(path: Path) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", type=Path,
                        default=Path(sysconfig.get_paths()["purelib"]))
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--depths", type=int, nargs="?", const=60, default=None,
                        metavar="TERMS", help="only measure the recursion of the analysis "
                        "on every rule example made TERMS levels deep (default 60)")
    parser.add_argument("--shapes", action="store_true",
                        help="also list the largest and the most deeply nested files, which "
                             "set max-file-size and the nesting bound (a few minutes more)")
    parser.add_argument("--hostile", action="store_true",
                        help="only run the CLI on the hostile inputs")
    parser.add_argument("--faults", action="store_true",
                        help="only kill and fail --fix at each stage of the write")
    args = parser.parse_args()
    if args.depths is not None:
        return report_depths(args.depths)
    if args.hostile:
        return report_hostile()
    if args.faults:
        return report_faults()
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


# Deep expressions: the shapes of nesting a recursive walk can meet, each built around a
# name (``leaf``) with ``n`` levels. The comment gives libcst levels per ``ast`` level.
DEEP_SHAPES: dict[str, Callable[[str, int], str]] = {
    "add": lambda leaf, n: " + ".join([leaf] * n),  # 1
    "add-right": lambda leaf, n: f"({leaf} + " * (n - 1) + leaf + ")" * (n - 1),  # 1
    "call": lambda leaf, n: "f(" * n + leaf + ")" * n,  # 2
    "keyword": lambda leaf, n: "f(a=" * n + leaf + ")" * n,  # 1
    "passthrough": lambda leaf, n: leaf + ".float()" * n,  # 1, keeps the value
    "attribute": lambda leaf, n: leaf + ".a" * n,  # 1
    "subscript": lambda leaf, n: "t[" * n + leaf + "]" * n,  # 3
    "list": lambda leaf, n: "[" * n + leaf + "]" * n,  # 2
    "dict": lambda leaf, n: "{1: " * n + leaf + "}" * n,  # 2
    "lambda-default": lambda leaf, n: "lambda a=" * n + leaf + ": a" * n,  # 1.5
    "if-else": lambda leaf, n: f"{leaf} if {leaf} else " * n + leaf,  # 1
    "not": lambda leaf, n: "not " * n + leaf,  # 1
    "and": lambda leaf, n: " and ".join([leaf] * n),  # flat in ast, n in libcst
    "strings": lambda leaf, n: " ".join(['"a"'] * n) + f" + {leaf}",  # flat in ast
    "generator": lambda leaf, n: "(v for v in " * n + leaf + ")" * n,  # 1
}
_EXPECT = re.compile(r"#\s*expect:")


def rule_examples() -> Iterator[tuple[str, str]]:
    """(code, example) for every 'Example' block of every rule page."""
    from lintnn.catalog import page_text
    from lintnn.static.rules import all_rules

    for code in sorted(all_rules()):
        text = page_text(code) or ""
        section = text.split("## Example", 1)[-1].split("\n## ", 1)[0]
        for block in re.findall(r"```python\n(.*?)```", section, re.DOTALL):
            yield code, block


def deep_variants(example: str, shape: str, n: int) -> Iterator[tuple[str, str]]:
    """(name, text): ``example`` with the first load of each name on a flagged line
    replaced by that name nested ``n`` levels deep in ``shape``."""
    tree = ast.parse(example)
    lines = example.splitlines(keepends=True)
    flagged = {i + 1 for i, line in enumerate(lines) if _EXPECT.search(line)}
    seen: set[str] = set()
    names = sorted((node.lineno, node.col_offset, node.end_col_offset, node.id)
                   for node in ast.walk(tree)
                   if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
                   and node.lineno in flagged)
    for row, start, end, name in names:
        if name in seen:
            continue
        seen.add(name)
        line = lines[row - 1]
        deep = f"({DEEP_SHAPES[shape](name, n)})"
        yield name, "".join([*lines[: row - 1], line[:start] + deep + line[end:], *lines[row:]])


class StackDepth:
    """The deepest Python stack of the threads started while it is active, and the
    functions on it."""

    def __init__(self) -> None:
        self.depth = self.deepest = 0
        self.stack: collections.Counter[str] = collections.Counter()

    def __enter__(self) -> StackDepth:
        threading.setprofile(self._event)
        return self

    def __exit__(self, *exc: object) -> None:
        threading.setprofile(None)  # type: ignore[arg-type]

    def _event(self, frame, event: str, arg: object) -> None:
        if event == "call":
            self.depth += 1
            if self.depth > self.deepest:
                self.deepest = self.depth
                if self.deepest % 16 == 0:
                    self.stack = collections.Counter()
                    while frame is not None:
                        code = frame.f_code
                        self.stack[f"{Path(code.co_filename).name}:{code.co_name}"] += 1
                        frame = frame.f_back
        elif event == "return":
            self.depth -= 1


def tree_depth(text: str) -> int:
    """Levels of the libcst tree, as the engine measures them."""
    import libcst as cst

    from lintnn.static.engine.safe_parse import on_deep_stack
    from lintnn.static.syntax.imports import ImportMap
    from lintnn.static.syntax.index import NodeIndex

    module = on_deep_stack(cst.parse_module, text)
    return NodeIndex.build(module, ImportMap()).depth


def report_depths(n: int) -> int:
    """Frames per tree level of the analysis of every deep variant of every example."""
    from lintnn.static.engine.analyze import analyze_text
    from lintnn.static.engine.run import enabled_rules
    from lintnn.static.engine.safe_parse import FRAMES_PER_LEVEL, STACK_BASE

    rules = enabled_rules(Settings())
    worst: dict[str, tuple[float, str, str, list[str]]] = {}
    failures = []
    runs = 0
    start = time.perf_counter()
    for shape in DEEP_SHAPES:
        for code, example in rule_examples():
            for name, text in deep_variants(example, shape, n):
                depth = tree_depth(text)
                with StackDepth() as probe:
                    result = analyze_text(Path("example.py"), text, rules)
                runs += 1
                bad = [d for d in result.diagnostics if d.code in ("NN001", "NN002")]
                if bad:
                    failures.append((shape, code, name, bad[0].message))
                per_level = (probe.deepest - STACK_BASE) / depth
                if per_level > worst.get(shape, (-1.0,))[0]:
                    walk = [f for f, _ in probe.stack.most_common(3)]
                    worst[shape] = (per_level, code, name, walk)
    print(f"{runs} analyses of rule examples made {n} levels deep, "
          f"{time.perf_counter() - start:.0f} s")
    print("| shape | frames per tree level (most) | in | deepest walk |")
    print("|---|---|---|---|")
    for shape, (per_level, code, name, walk) in sorted(worst.items(), key=lambda kv: -kv[1][0]):
        print(f"| {shape} | {per_level:.2f} | {code} `{name}` | {', '.join(walk)} |")
    most = max(w[0] for w in worst.values())
    print(f"most frames per level: {most:.2f} (bound used: {FRAMES_PER_LEVEL})")
    for failure in failures[:20]:
        print("  NN001/NN002:", *failure)
    return 1 if failures or most > FRAMES_PER_LEVEL else 0


KNOWN = """import torch.nn as nn
import torch.nn.functional as F

loss_fn = nn.CrossEntropyLoss()


def step(model, x, y):
    return loss_fn(F.softmax(model(x), dim=1), y)
""" + "# padding\n" * 200
FIXED = KNOWN.replace("F.softmax(model(x), dim=1)", "model(x)")
LOOP = """import torch
import torch.nn.functional as F


def train(model, loader, opt):
    total = 0
    for x, y in loader:
        opt.zero_grad()
        loss = F.cross_entropy(F.softmax({deep}, dim=1), y)
        loss.backward()
        opt.step()
        total += loss
"""


def _write(name: str, text: str | bytes) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        path = folder / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        return [name]
    return make


def _fifo(folder: Path) -> list[str]:
    os.mkfifo(folder / "pipe.py")
    return ["pipe.py"]


def _dev_zero(folder: Path) -> list[str]:
    (folder / "zero.py").symlink_to("/dev/zero")
    return ["zero.py"]


def _missing(folder: Path) -> list[str]:
    return ["missing.py"]


# name -> makes the input in a folder and returns the paths to pass to lintnn
HOSTILE: dict[str, Callable[[Path], list[str]]] = {
    "chain of 350 terms in a training loop": _write(
        "deep.py", LOOP.format(deep=" + ".join(["x"] * 350))),
    "chain of 490 terms in a training loop": _write(
        "deep.py", LOOP.format(deep=" + ".join(["x"] * 490))),
    "chain of 994 terms (at the bound)": _write(
        "deep.py", LOOP.format(deep=" + ".join(["x"] * 994))),
    "chain of 2,000 terms (beyond the bound)": _write(
        "deep.py", LOOP.format(deep=" + ".join(["x"] * 2000))),
    "`and` chain of 5,000 terms": _write(
        "deep.py", LOOP.format(deep=" and ".join(["x"] * 5000))),
    "5,000 adjacent strings": _write(
        "deep.py", LOOP.format(deep=" ".join(['"a"'] * 5000) + " + x")),
    "496 chained method calls (.float(), at the bound)": _write(
        "deep.py", LOOP.format(deep="x" + ".float()" * 496)),
    "a FIFO named pipe.py": _fifo,
    "a .py symlink to /dev/zero": _dev_zero,
    "a missing path": _missing,
    "ends in backslash + CRLF": _write("crlf.py", (KNOWN + "x = 1\\\r\n").encode()),
    "tab after spaces in a block": _write(
        "tabs.py", KNOWN.replace("    return", "    if x:\n    \treturn")),
}


def _memory_cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def report_hostile(timeout: float = 120.0) -> int:
    """Each hostile input beside a file with one known finding, through the CLI."""
    print("| input | exit | seconds | JSON valid | known finding kept | NN002 | findings |")
    print("|---|---|---|---|---|---|---|")
    bad = 0
    for name, make in HOSTILE.items():
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            (root / "known.py").write_text(KNOWN)
            args = [*make(root), "known.py"]
            start = time.perf_counter()
            try:
                run = subprocess.run(
                    [sys.executable, "-m", "lintnn", "check", "--no-cache",
                     "--output-format", "json", *args], cwd=root, capture_output=True,
                    text=True, timeout=timeout, preexec_fn=_memory_cap)
                code, out = str(run.returncode), run.stdout
            except subprocess.TimeoutExpired:
                code, out = "HANG", ""
            seconds = time.perf_counter() - start
            try:
                found = json.loads(out)
                valid = "yes"
            except ValueError:
                found, valid = [], "NO"
            known = any(Path(d["filename"]).name == "known.py" and d["code"] == "NN101"
                        for d in found)
            internal = sum(d["code"] == "NN002" for d in found)
            others = sorted(f"{Path(d['filename']).name} {d['code']}" for d in found
                            if Path(d["filename"]).name != "known.py")
            bad += code not in ("0", "1") or valid == "NO" or not known or internal > 0
            print(f"| {name} | {code} | {seconds:.1f} | {valid} | {'yes' if known else 'NO'} "
                  f"| {internal} | {', '.join(others) or '-'} |")
    print(f"inputs: {len(HOSTILE)}, failures (crash, hang, invalid output, lost finding, "
          f"NN002): {bad}")
    return 1 if bad else 0


def report_faults() -> int:
    """--fix killed or failed at each stage of the write, then a plain run to clean up."""
    from lintnn.static.engine.writer import FAULT_ENV, STAGES

    def states(folder: Path) -> collections.Counter[str]:
        return collections.Counter(
            "fixed" if p.read_text() == FIXED else "original" if p.read_text() == KNOWN
            else "PARTIAL" for p in folder.glob("*.py"))

    def leftovers(folder: Path) -> int:
        return sum("lintnn-" in p.name for p in folder.iterdir())

    print("| stage | action | exit | files after (original/fixed/partial) | temporary files "
          "| after the next run | temporary files |")
    print("|---|---|---|---|---|---|---|")
    bad = 0
    for stage in STAGES:
        for action in ("kill", "fail"):
            with tempfile.TemporaryDirectory() as folder:
                root = Path(folder) / "project"
                root.mkdir()
                for number in range(5):
                    (root / f"f{number}.py").write_text(KNOWN)
                os.link(root / "f2.py", Path(folder) / "f2-link.txt")  # written in place
                env = {**os.environ, FAULT_ENV: f"{stage}:{action}"}
                run = subprocess.run([sys.executable, "-m", "lintnn", "check", "--fix",
                                      "--no-cache", "."], cwd=root, env=env,
                                     capture_output=True, timeout=120)
                first, left = states(root), leftovers(root)
                subprocess.run([sys.executable, "-m", "lintnn", "check", "--no-cache", "."],
                               cwd=root, capture_output=True, timeout=120)
                second, left_after = states(root), leftovers(root)
                bad += second["PARTIAL"] > 0 or left_after > 0 or (
                    Path(folder) / "f2-link.txt").read_text() != (root / "f2.py").read_text()

                def show(c: collections.Counter[str]) -> str:
                    return f"{c['original']}/{c['fixed']}/{c['PARTIAL']}"

                print(f"| {stage} | {action} | {run.returncode} | {show(first)} | {left} "
                      f"| {show(second)} | {left_after} |")
    print(f"runs: {2 * len(STAGES)}, files partial or temporary files left after the next "
          f"run, or a hard link broken: {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
