"""Measure lintnn's NN001 on the notebook corpus against IPython's own verdict.

    python benchmarks/notebooks/rebuild.py        # the notebooks, from the manifest
    python benchmarks/notebooks/measure.py [--repo CHECKOUT] [--show 20] [--json OUT]

For every notebook of ``manifest.jsonl``, each code cell goes through IPython itself
(``tests/ipython_reference.py``: the shell's ``transform_cell``, i.e. ``TransformerManager``
and, for a one-line cell, the automagic prefilter, then compiled as ``run_cell`` compiles
it), with the names earlier accepted cells bound in the shell's namespace (they decide
automagic). lintnn checks the same bytes with every rule (``analyze_bytes``, what a worker
of ``lintnn check`` runs). The targets: no NN001 in a notebook whose cells IPython all
accepts; in the others, one NN001 at the cell and line of each cell IPython refuses, and
none elsewhere. ``--repo`` imports lintnn from another checkout (the state before a
change, for a before/after table); IPython is the installed one.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
if "--repo" in sys.argv:
    REPO = Path(sys.argv[sys.argv.index("--repo") + 1]).resolve()
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(HERE))

import IPython  # noqa: E402
from rebuild import FILES, load_manifest  # noqa: E402

from lintnn.config import Settings  # noqa: E402
from lintnn.static.engine.files import analyze_bytes  # noqa: E402
from lintnn.static.engine.run import enabled_rules  # noqa: E402

# IPython's verdict, from this checkout's tests (whatever checkout lintnn comes from).
_spec = importlib.util.spec_from_file_location(
    "ipython_reference", HERE.parent.parent / "tests" / "ipython_reference.py")
assert _spec is not None and _spec.loader is not None
reference = sys.modules["ipython_reference"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reference)
bound_by, verdict = reference.bound_by, reference.verdict


def ipython_rejects(data: bytes) -> list[tuple[int, int, str]] | None:
    """(cell, row, message) of each code cell IPython refuses; None: not a notebook."""
    try:
        notebook = json.loads(data)
        cells = notebook["cells"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return None
    rejected, names = [], set()
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        result = verdict(source, names)
        if result.error_row is None:
            names |= bound_by(result.python)
        else:
            rejected.append((number, result.error_row, result.message))
    return rejected


def lintnn_nn001(path: Path, data: bytes, rules: list) -> list[tuple[int | None, int, str]]:
    """(cell, row in the cell, message) of lintnn's NN001 findings."""
    found = []
    for d in analyze_bytes(path, data, rules).diagnostics:
        if d.code == "NN001":
            where = d.extra.get("cell_location", {}).get("row", d.location.row)
            found.append((d.cell, where, d.message))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, help="import lintnn from this checkout")
    parser.add_argument("--show", type=int, default=20, help="mismatches to print")
    parser.add_argument("--json", type=Path, help="write every notebook's outcome here")
    args = parser.parse_args(argv)
    rules = enabled_rules(Settings())
    outcomes: Counter[str] = Counter()
    details, mismatches = [], []
    cells = lint_seconds = 0.0
    for entry in load_manifest():
        path = FILES / entry["repo"].replace("/", "+") / entry["path"]
        data = path.read_bytes()
        rejected = ipython_rejects(data)
        start = time.perf_counter()
        found = lintnn_nn001(path, data, rules)
        lint_seconds += time.perf_counter() - start
        if rejected is None:
            outcome = "not JSON/nbformat 4, NN001" if found else "not JSON/nbformat 4, MISSED"
        else:
            cells += sum(1 for _ in rejected)
            want = sorted((cell, row) for cell, row, _ in rejected)
            got = sorted((cell, row) for cell, row, _ in found if cell is not None)
            if not rejected:
                outcome = "accepted, no NN001" if not found else "accepted, NN001 (WRONG)"
            elif got == want and len(found) == len(want):
                outcome = "refused, NN001 at each refused cell and line"
            else:
                outcome = "refused, NN001 elsewhere or missing (WRONG)"
        outcomes[outcome] += 1
        record = {"repo": entry["repo"], "path": entry["path"], "outcome": outcome,
                  "ipython": rejected, "lintnn": found}
        details.append(record)
        if "WRONG" in outcome or "MISSED" in outcome:
            mismatches.append(record)
    print(f"lintnn from {REPO}; IPython {IPython.__version__}; "
          f"{len(details)} notebooks, lintnn {lint_seconds:.1f} s")
    for outcome, count in sorted(outcomes.items()):
        print(f"{count:6d}  {outcome}")
    for record in mismatches[:args.show]:
        print(json.dumps(record)[:600])
    if args.json:
        args.json.write_text(json.dumps(details, indent=1), encoding="utf-8")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
