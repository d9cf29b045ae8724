"""Score lintnn on the labelled corpus: TP / FP / FN, recall and precision per rule.

    python benchmarks/corpus/score.py                       # dev split, this checkout
    python benchmarks/corpus/score.py --split heldout
    python benchmarks/corpus/score.py --tree ../main --tree .   # side by side
    python benchmarks/corpus/score.py --rules NN201,NN3 --framework jax --json out.json

Runs ``python -m lintnn check <files> --no-cache --output-format json`` once over the
rebuilt files (``rebuild.py`` writes them to ``files/``), from each ``--tree`` (that
checkout's lintnn, with ``cwd`` the tree; default the repository this script lives in).
A finding matches a label of the same file and code (and the same notebook cell) when
its line is within ``--tolerance`` of the label's ``line`` or inside its
``lines: [first, last]``; each label and each finding is matched at most once, closest
pairs first. Files lintnn reports as NN001 (syntax error) are listed separately; NN001
and NN002 are not rule findings. Their labels still count as misses.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent
REPO_ROOT = CORPUS_DIR.parent.parent
FAMILIES = {
    "NN1": "losses",
    "NN2": "modes",
    "NN3": "data",
    "NN4": "architecture",
    "NN5": "loop",
}
NOT_RULES = frozenset({"NN001", "NN002"})


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class Label:
    file: str  # owner+name/path
    code: str
    line: int | None
    first: int | None = None
    last: int | None = None
    cell: int | None = None
    reason: str = ""
    miss_hint: str = ""
    found_by: str = ""


@dataclass(frozen=True)
class Finding:
    file: str
    code: str
    row: int
    cell: int | None = None
    message: str = ""


@dataclass
class Matching:
    tp: list[tuple[Label, Finding]] = field(default_factory=list)
    fp: list[Finding] = field(default_factory=list)
    fn: list[Label] = field(default_factory=list)


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    def as_dict(self) -> dict:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn,
                "recall": self.recall, "precision": self.precision}


@dataclass
class TreeResult:
    tree: str
    matching: Matching
    syntax_errors: list[Finding]
    internal_errors: list[Finding]
    per_code: dict[str, Counts]
    per_family: dict[str, Counts]
    overall: Counts


# ---------------------------------------------------------------- manifests


def load_entries(corpus_dir: Path) -> list[dict]:
    """Every entry of every ``manifest-*.jsonl``."""
    entries: list[dict] = []
    for manifest in sorted(corpus_dir.glob("manifest-*.jsonl")):
        for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise SystemExit(f"{manifest.name}:{number}: not JSON: {error}") from error
    return entries


def file_key(entry: dict) -> str:
    return f"{entry['repo'].replace('/', '+')}/{entry['path']}"


def code_selected(code: str, prefixes: Sequence[str]) -> bool:
    return not prefixes or any(code.upper().startswith(p.upper()) for p in prefixes)


def select_entries(entries: Iterable[dict], split: str = "dev", framework: str | None = None,
                   kind: str | None = None) -> list[dict]:
    chosen = []
    for entry in entries:
        if split != "all" and entry.get("split") != split:
            continue
        if framework and entry.get("framework") != framework:
            continue
        if kind and entry.get("kind") != kind:
            continue
        chosen.append(entry)
    return chosen


def labels_of(entries: Iterable[dict], prefixes: Sequence[str] = ()) -> list[Label]:
    labels = []
    for entry in entries:
        key = file_key(entry)
        for raw in entry.get("labels", []):
            if not code_selected(raw["code"], prefixes):
                continue
            span = raw.get("lines") or [None, None]
            labels.append(Label(
                file=key, code=raw["code"], line=raw.get("line"), first=span[0], last=span[1],
                cell=raw.get("cell"), reason=raw.get("reason", ""),
                miss_hint=raw.get("miss_hint", ""), found_by=raw.get("found_by", ""),
            ))
    return labels


# ---------------------------------------------------------------- findings


def finding_from_json(raw: dict, files_dir: Path) -> Finding | None:
    """A lintnn JSON finding, keyed like the manifest; None if outside ``files_dir``."""
    try:
        relative = Path(raw["filename"]).resolve().relative_to(files_dir.resolve())
    except ValueError:
        return None
    cell = raw.get("cell")
    row = raw["cell_location"]["row"] if cell is not None else raw["location"]["row"]
    return Finding(file=relative.as_posix(), code=raw["code"], row=row, cell=cell,
                   message=raw.get("message", ""))


def split_findings(raw: Iterable[dict], files_dir: Path,
                   prefixes: Sequence[str] = ()) -> tuple[list[Finding], list[Finding],
                                                          list[Finding]]:
    """(rule findings, NN001 syntax errors, NN002 internal errors)."""
    rules: list[Finding] = []
    syntax: list[Finding] = []
    internal: list[Finding] = []
    for item in raw:
        finding = finding_from_json(item, files_dir)
        if finding is None:
            continue
        if finding.code == "NN001":
            syntax.append(finding)
        elif finding.code == "NN002":
            internal.append(finding)
        elif code_selected(finding.code, prefixes):
            rules.append(finding)
    return rules, syntax, internal


def run_lintnn(tree: Path, paths: Sequence[Path], python: str) -> list[dict]:
    """One lintnn run over ``paths`` with that tree's lintnn (``cwd=tree``)."""
    if not paths:
        return []
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(tree), env.get("PYTHONPATH", "")) if p)
    command = [python, "-m", "lintnn", "check", *map(str, paths), "--no-cache",
               "--output-format", "json"]
    result = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True,
                            check=False)
    try:
        return json.loads(result.stdout or "[]")
    except json.JSONDecodeError as error:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"lintnn in {tree} did not print JSON (exit {result.returncode})") \
            from error


# ---------------------------------------------------------------- matching


def distance(label: Label, finding: Finding, tolerance: int) -> int | None:
    """How far the finding is from the label, or None if they cannot match."""
    if label.file != finding.file or label.code != finding.code or label.cell != finding.cell:
        return None
    options = []
    if label.first is not None and label.last is not None and \
            label.first <= finding.row <= label.last:
        options.append(0)
    if label.line is not None and abs(finding.row - label.line) <= tolerance:
        options.append(abs(finding.row - label.line))
    return min(options) if options else None


def match(labels: Sequence[Label], findings: Sequence[Finding], tolerance: int) -> Matching:
    """One-to-one matching, closest pairs first."""
    pairs = []
    for li, label in enumerate(labels):
        for fi, finding in enumerate(findings):
            gap = distance(label, finding, tolerance)
            if gap is not None:
                pairs.append((gap, li, fi))
    pairs.sort()
    used_labels: set[int] = set()
    used_findings: set[int] = set()
    result = Matching()
    for _gap, li, fi in pairs:
        if li in used_labels or fi in used_findings:
            continue
        used_labels.add(li)
        used_findings.add(fi)
        result.tp.append((labels[li], findings[fi]))
    result.fn = [label for i, label in enumerate(labels) if i not in used_labels]
    result.fp = [finding for i, finding in enumerate(findings) if i not in used_findings]
    return result


def count(matching: Matching) -> dict[str, Counts]:
    per_code: dict[str, Counts] = {}
    for label, _finding in matching.tp:
        per_code.setdefault(label.code, Counts()).tp += 1
    for finding in matching.fp:
        per_code.setdefault(finding.code, Counts()).fp += 1
    for label in matching.fn:
        per_code.setdefault(label.code, Counts()).fn += 1
    return dict(sorted(per_code.items()))


def family_of(code: str) -> str:
    return code[:3]


def roll_up(per_code: dict[str, Counts]) -> tuple[dict[str, Counts], Counts]:
    families: dict[str, Counts] = {}
    overall = Counts()
    for code, counts in per_code.items():
        family = families.setdefault(family_of(code), Counts())
        for target in (family, overall):
            target.tp += counts.tp
            target.fp += counts.fp
            target.fn += counts.fn
    return dict(sorted(families.items())), overall


def score(labels: Sequence[Label], raw: Iterable[dict], files_dir: Path, tolerance: int,
          prefixes: Sequence[str] = (), tree: str = "",
          scored: set[str] | None = None) -> TreeResult:
    """``scored``: the files whose findings count (None: every file)."""
    findings, syntax, internal = split_findings(raw, files_dir, prefixes)
    if scored is not None:
        findings, syntax, internal = ([f for f in group if f.file in scored]
                                      for group in (findings, syntax, internal))
    matching = match(labels, findings, tolerance)
    per_code = count(matching)
    families, overall = roll_up(per_code)
    return TreeResult(tree, matching, syntax, internal, per_code, families, overall)


# ---------------------------------------------------------------- corpus files


def present_files(entries: Iterable[dict], files_dir: Path) -> tuple[list[dict], list[str]]:
    """Entries whose rebuilt file exists with the right sha256, and the keys of the others."""
    present, missing = [], []
    for entry in entries:
        path = files_dir / file_key(entry)
        if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]:
            present.append(entry)
        else:
            missing.append(file_key(entry))
    return present, missing


def totals(entries: Sequence[dict]) -> dict:
    return {
        "files": len(entries),
        "repositories": len({entry["repo"] for entry in entries}),
        "labels": sum(len(entry.get("labels", [])) for entry in entries),
        "framework": dict(Counter(entry.get("framework", "?") for entry in entries)),
        "kind": dict(Counter(entry.get("kind", "?") for entry in entries)),
        "split": dict(Counter(entry.get("split", "?") for entry in entries)),
    }


# ---------------------------------------------------------------- output


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def counts_cells(counts: Counts | None) -> str:
    counts = counts or Counts()
    return (f"{counts.tp:>4} {counts.fp:>4} {counts.fn:>4} "
            f"{fmt_ratio(counts.recall):>6} {fmt_ratio(counts.precision):>9}")


def table(results: Sequence[TreeResult]) -> list[str]:
    header = "  ".join("  TP   FP   FN recall precision" for _ in results)
    lines = []
    if len(results) > 1:
        lines.append(f"{'':<18}" + "  ".join(f"{r.tree[-30:]:<30}" for r in results))
    lines.append(f"{'code':<18}{header}")
    codes = sorted({code for r in results for code in r.per_code})
    for code in codes:
        lines.append(f"{code:<18}" + "  ".join(counts_cells(r.per_code.get(code))
                                              for r in results))
    lines.append("")
    families = sorted({family for r in results for family in r.per_family})
    for family in families:
        name = f"{family} {FAMILIES.get(family, '')}"
        lines.append(f"{name:<18}" + "  ".join(counts_cells(r.per_family.get(family))
                                              for r in results))
    lines.append(f"{'overall':<18}" + "  ".join(counts_cells(r.overall) for r in results))
    return lines


def where(file: str, row: int | None, cell: int | None) -> str:
    return f"{file}:cell {cell}:{row}" if cell is not None else f"{file}:{row}"


def details(result: TreeResult, unparsed: set[str]) -> list[str]:
    lines = [f"false positives ({len(result.matching.fp)}):"]
    for finding in sorted(result.matching.fp, key=lambda f: (f.file, f.cell or 0, f.row)):
        lines.append(f"  {where(finding.file, finding.row, finding.cell)}  {finding.code}  "
                     f"{finding.message}")
    lines.append(f"false negatives ({len(result.matching.fn)}):")
    for label in sorted(result.matching.fn, key=lambda x: (x.file, x.cell or 0, x.line or 0)):
        line = label.line if label.line is not None else label.first
        text = label.miss_hint or label.reason
        flag = " [file not parsed: NN001]" if label.file in unparsed else ""
        lines.append(f"  {where(label.file, line, label.cell)}  {label.code}  {text}{flag}")
    if result.syntax_errors:
        lines.append(f"files lintnn reports as NN001 ({len(unparsed)}):")
        for finding in result.syntax_errors:
            lines.append(f"  {where(finding.file, finding.row, finding.cell)}  "
                         f"{finding.message}")
    if result.internal_errors:
        lines.append(f"NN002 internal errors ({len(result.internal_errors)}):")
        for finding in result.internal_errors:
            lines.append(f"  {where(finding.file, finding.row, finding.cell)}  "
                         f"{finding.message}")
    return lines


def describe_totals(name: str, data: dict) -> str:
    def parts(counter: dict) -> str:
        return ", ".join(f"{key} {value}" for key, value in sorted(counter.items()))
    return (f"{name}: {data['files']} files, {data['repositories']} repositories, "
            f"{data['labels']} labels; framework: {parts(data['framework'])}; "
            f"kind: {parts(data['kind'])}; split: {parts(data['split'])}")


def result_json(result: TreeResult) -> dict:
    return {
        "tree": result.tree,
        "per_code": {code: c.as_dict() for code, c in result.per_code.items()},
        "per_family": {family: c.as_dict() for family, c in result.per_family.items()},
        "overall": result.overall.as_dict(),
        "tp": [{"label": asdict(label), "finding": asdict(finding)}
               for label, finding in result.matching.tp],
        "fp": [asdict(finding) for finding in result.matching.fp],
        "fn": [asdict(label) for label in result.matching.fn],
        "syntax_errors": [asdict(finding) for finding in result.syntax_errors],
        "internal_errors": [asdict(finding) for finding in result.internal_errors],
    }


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", type=Path, default=[],
                        help="checkout whose lintnn runs (twice for a side-by-side table)")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter that runs lintnn (default this one)")
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR)
    parser.add_argument("--split", default="dev",
                        help="a manifest split (dev, heldout, round2, ...) or all")
    parser.add_argument("--framework")
    parser.add_argument("--kind")
    parser.add_argument("--rules", default="", help="code prefixes, e.g. NN201,NN3")
    parser.add_argument("--tolerance", type=int, default=2)
    parser.add_argument("--json", type=Path, help="write the whole result here")
    parser.add_argument("--min-files", type=int, default=0,
                        help="exit 2 when fewer selected files are present")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    prefixes = [p.strip() for p in args.rules.split(",") if p.strip()]
    files_dir = args.corpus / "files"
    everything = load_entries(args.corpus)
    known = sorted({str(entry.get("split")) for entry in everything})
    if args.split != "all" and args.split not in known:
        print(f"unknown split {args.split!r}; the manifests have: {', '.join(known)}, all",
              file=sys.stderr)
        return 2
    chosen = select_entries(everything, args.split, args.framework, args.kind)
    present, missing = present_files(chosen, files_dir)
    print(describe_totals("corpus", totals(everything)))
    print(describe_totals("selected", totals(present)))
    if missing:
        print(f"{len(missing)} selected files are not rebuilt (run rebuild.py); skipped")
    if len(present) < args.min_files:
        print(f"only {len(present)} files, --min-files {args.min_files}", file=sys.stderr)
        return 2
    labels = labels_of(present, prefixes)
    paths = [files_dir / file_key(entry) for entry in present]
    # The rest of those repositories' rebuilt files (the modules the corpus files import)
    # are checked too, as in a user's run over the project, and never scored.
    context = sorted({path for entry in present
                      for path in (files_dir / entry["repo"].replace("/", "+")).rglob("*")
                      if path.suffix in (".py", ".ipynb") and path not in set(paths)})
    scored = {file_key(entry) for entry in present}
    trees = args.tree or [REPO_ROOT]
    results = []
    for tree in trees:
        raw = run_lintnn(tree.resolve(), [*paths, *context], args.python)
        results.append(score(labels, raw, files_dir, args.tolerance, prefixes, str(tree),
                             scored))
    print()
    print("\n".join(table(results)))
    for result in results:
        unparsed = {finding.file for finding in result.syntax_errors}
        print()
        if len(results) > 1:
            print(f"== {result.tree}")
        print("\n".join(details(result, unparsed)))
    if args.json:
        payload = {"corpus": totals(everything), "selected": totals(present),
                   "not_rebuilt": missing, "split": args.split, "rules": prefixes,
                   "tolerance": args.tolerance,
                   "results": [result_json(result) for result in results]}
        args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
