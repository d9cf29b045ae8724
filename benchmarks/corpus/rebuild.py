"""Rebuild the corpus files from local snapshots of their repositories.

    python benchmarks/corpus/rebuild.py                   # snapshots under /work/.mirror
    python benchmarks/corpus/rebuild.py --mirror DIR --allow-missing

Reads every ``manifest-*.jsonl`` next to this script. For each entry it finds the
repository's snapshot (a git directory, ``<mirror>/<owner>+<name>/repo`` as ``fetch``
writes it), writes the bytes of ``<commit>:<path>`` to ``files/<owner>+<name>/<path>``
and checks their sha256. Files already present with the right sha256 are skipped.

At the end it lists the repositories whose snapshot (or commit) is missing, as
``github:owner/name`` to be fetched, and exits 1, unless ``--allow-missing``. A sha256
mismatch or a path absent from its commit always exits 1.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

CORPUS_DIR = Path(__file__).resolve().parent
DEFAULT_MIRROR = Path("/work/.mirror")


@dataclass
class Outcome:
    written: int = 0
    skipped: int = 0
    context: int = 0  # imported project modules written beside the corpus files
    missing_repos: dict[str, str] = field(default_factory=dict)  # repo -> why
    errors: list[str] = field(default_factory=list)


def load_entries(corpus_dir: Path) -> list[dict]:
    """Every entry of every manifest, with ``_manifest`` and ``_line`` added."""
    entries: list[dict] = []
    for manifest in sorted(corpus_dir.glob("manifest-*.jsonl")):
        text = manifest.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as error:
                raise SystemExit(f"{manifest.name}:{number}: not JSON: {error}") from error
            entry["_manifest"] = manifest.name
            entry["_line"] = number
            entries.append(entry)
    return entries


def file_key(entry: dict) -> str:
    """``owner+name/path``: where the entry lives under ``files/``."""
    return f"{entry['repo'].replace('/', '+')}/{entry['path']}"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_git_dir(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir()


def find_git_dir(mirror: Path, repo: str) -> Path | None:
    """The snapshot's git directory: ``<mirror>/<owner>+<name>/repo`` or a sibling layout."""
    base = mirror / repo.replace("/", "+")
    if not base.is_dir():
        return None
    for candidate in (base / "repo" / ".git", base / "repo", base, base / ".git",
                      base / "repo.git"):
        if is_git_dir(candidate):
            return candidate
    for candidate in sorted(base.iterdir()):
        if candidate.is_dir() and is_git_dir(candidate):
            return candidate
    return None


def has_commit(git_dir: Path, commit: str) -> bool:
    result = subprocess.run(
        ["git", f"--git-dir={git_dir}", "cat-file", "-e", f"{commit}^{{commit}}"],
        capture_output=True, check=False,
    )
    return result.returncode == 0


def read_blob(git_dir: Path, commit: str, path: str) -> bytes | None:
    """The exact bytes of ``commit:path`` (no text conversion), or None."""
    result = subprocess.run(
        ["git", f"--git-dir={git_dir}", "cat-file", "blob", f"{commit}:{path}"],
        capture_output=True, check=False,
    )
    return result.stdout if result.returncode == 0 else None


def present_and_right(target: Path, sha256: str) -> bool:
    return target.is_file() and sha256_of(target.read_bytes()) == sha256


def rebuild_entry(entry: dict, mirror: Path, files_dir: Path, outcome: Outcome) -> None:
    where = f"{entry['_manifest']}:{entry['_line']}"
    target = files_dir / file_key(entry)
    if present_and_right(target, entry["sha256"]):
        outcome.skipped += 1
        return
    repo = entry["repo"]
    if repo in outcome.missing_repos:
        return
    git_dir = find_git_dir(mirror, repo)
    if git_dir is None:
        outcome.missing_repos[repo] = "no snapshot"
        return
    if not has_commit(git_dir, entry["commit"]):
        outcome.missing_repos[repo] = f"snapshot lacks commit {entry['commit'][:12]}"
        return
    data = read_blob(git_dir, entry["commit"], entry["path"])
    if data is None:
        outcome.errors.append(f"{where}: {repo}@{entry['commit'][:12]} has no {entry['path']}")
        return
    digest = sha256_of(data)
    if digest != entry["sha256"]:
        outcome.errors.append(
            f"{where}: sha256 of {file_key(entry)} is {digest}, manifest says {entry['sha256']}"
        )
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.chmod(0o644)
    target.write_bytes(data)
    outcome.written += 1


def rebuild(entries: list[dict], mirror: Path, files_dir: Path,
            context: bool = True) -> Outcome:
    outcome = Outcome()
    for entry in entries:
        rebuild_entry(entry, mirror, files_dir, outcome)
        if context and entry["repo"] not in outcome.missing_repos:
            write_context(entry, mirror, files_dir, outcome)
    return outcome


# Context: the project modules a corpus file imports (its model classes, its helpers),
# written beside it but never scored, as a user's checkout has them.

CONTEXT_DEPTH = 2
NEIGHBOURS = 60  # at most so many files of the corpus file's folder and the one above
MAX_CONTEXT_BYTES = 2_000_000


def write_context(entry: dict, mirror: Path, files_dir: Path, outcome: Outcome) -> None:
    git_dir = find_git_dir(mirror, entry["repo"])
    if git_dir is None:
        return
    tree = set(list_tree(git_dir, entry["commit"]))
    base = files_dir / entry["repo"].replace("/", "+")
    todo, seen = [(entry["path"], 0)], {entry["path"]}
    # The files of the corpus file's own folder and of the folder above it: its callers
    # (a ``train.py`` beside ``processor.py``) and siblings, as a checkout has them.
    folders = {str(PurePosixPath(entry["path"]).parent),
               str(PurePosixPath(entry["path"]).parent.parent)}
    siblings = [p for p in sorted(tree) if p.endswith((".py", ".ipynb"))
                and str(PurePosixPath(p).parent) in folders][:NEIGHBOURS]
    todo += [(p, CONTEXT_DEPTH) for p in siblings if p not in seen]
    seen.update(siblings)
    while todo:
        path, depth = todo.pop()
        if not (base / path).exists():
            blob = read_blob(git_dir, entry["commit"], path)
            if blob is not None and len(blob) < MAX_CONTEXT_BYTES:
                (base / path).parent.mkdir(parents=True, exist_ok=True)
                (base / path).write_bytes(blob)
                outcome.context += 1
        data = (base / path).read_bytes() if (base / path).is_file() else None
        if data is None or depth >= CONTEXT_DEPTH:
            continue
        for module in imported_paths(data, path, tree):
            if module in seen:
                continue
            seen.add(module)
            target = base / module
            if not target.exists():
                blob = read_blob(git_dir, entry["commit"], module)
                if blob is not None:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(blob)
                    outcome.context += 1
            todo.append((module, depth + 1))


def list_tree(git_dir: Path, commit: str) -> list[str]:
    result = subprocess.run(["git", f"--git-dir={git_dir}", "ls-tree", "-r", "--name-only",
                             commit], capture_output=True, text=True, check=False)
    return result.stdout.splitlines() if result.returncode == 0 else []


def imported_paths(data: bytes, path: str, tree: set[str]) -> list[str]:
    """Files of ``tree`` that the Python source (or notebook) ``data`` at ``path`` imports,
    looked up from the file's folder and each folder above it."""
    found: list[str] = []
    folders = list(PurePosixPath(path).parents)
    for dotted, level in import_names(data, path):
        parts = dotted.split(".") if dotted else []
        starts = folders[level - 1:level] if level else folders
        for folder in starts:
            stem = PurePosixPath(folder, *parts) if parts else PurePosixPath(folder)
            for candidate in (f"{stem}.py", f"{stem}/__init__.py"):
                candidate = candidate.removeprefix("./")
                if candidate in tree and candidate != path:
                    found.append(candidate)
                    break
            else:
                continue
            break
    return found


def import_names(data: bytes, path: str) -> list[tuple[str, int]]:
    """(dotted module, relative level) of every import, also ``from pkg import module``."""
    sources = [data.decode("utf-8", "replace")]
    if path.endswith(".ipynb"):
        try:
            cells = json.loads(sources[0]).get("cells", [])
        except (ValueError, AttributeError):
            return []
        sources = ["".join(c.get("source", "")) if isinstance(c.get("source"), list)
                   else str(c.get("source", "")) for c in cells if c.get("cell_type") == "code"]
    names: list[tuple[str, int]] = []
    for source in sources:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names += [(alias.name, 0) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                names.append((module, node.level))
                names += [(f"{module}.{a.name}".strip("."), node.level) for a in node.names]
    return names


def report(outcome: Outcome, total: int, allow_missing: bool) -> int:
    print(f"{total} entries: {outcome.written} written, {outcome.skipped} already present; "
          f"{outcome.context} imported project modules written beside them")
    for error in outcome.errors:
        print(f"error: {error}", file=sys.stderr)
    if outcome.missing_repos:
        print(f"{len(outcome.missing_repos)} repositories to fetch:")
        for repo, why in sorted(outcome.missing_repos.items()):
            print(f"github:{repo}  ({why})")
    if outcome.errors:
        return 1
    if outcome.missing_repos and not allow_missing:
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=DEFAULT_MIRROR,
                        help="folder of the snapshots (default /work/.mirror)")
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR,
                        help="folder of the manifests (default this script's folder)")
    parser.add_argument("--allow-missing", action="store_true",
                        help="exit 0 even when snapshots are missing")
    args = parser.parse_args(argv)
    entries = load_entries(args.corpus)
    outcome = rebuild(entries, args.mirror, args.corpus / "files")
    return report(outcome, len(entries), args.allow_missing)


if __name__ == "__main__":
    sys.exit(main())
