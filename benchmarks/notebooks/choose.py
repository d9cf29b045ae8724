"""Choose the notebooks of the corpus from the repository snapshots and write the manifest.

    python benchmarks/notebooks/choose.py [--mirror /work/.mirror] [--per-repo 10]

Every snapshot under the mirror (``<owner>+<name>/repo``, as the ``fetch`` tool writes
them) is read at its HEAD commit. Its ``.ipynb`` files (not under ``.ipynb_checkpoints``,
under 4 MiB, not Git LFS pointers) that mention a training library or a training call
are taken in the order of ``sha256(repo + path)`` (a fixed, spread-out choice), at most
``--per-repo`` per repository. The manifest (``manifest.jsonl``: repo, commit, path,
sha256, one notebook a line) is what is committed; ``rebuild.py`` brings the files back.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from rebuild import corpus_rebuild  # noqa: E402

find_git_dir, sha256_of = corpus_rebuild.find_git_dir, corpus_rebuild.sha256_of

TRAINING_WORDS = (b"torch", b"tensorflow", b"keras", b"jax", b"flax", b"sklearn",
                  b".fit(", b".backward(")
MAX_BYTES = 4 * 1024 * 1024  # fetch leaves out files of 4 MiB and more


def git(git_dir: Path, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], capture_output=True,
                          check=True).stdout


def candidates(git_dir: Path) -> list[tuple[str, int]]:
    """(path, size) of the notebooks in HEAD."""
    out = []
    for line in git(git_dir, "ls-tree", "-r", "-l", "-z", "HEAD").split(b"\0"):
        if not line:
            continue
        meta, _, path = line.partition(b"\t")
        kind, size = meta.split()[1], meta.split()[3]
        name = path.decode("utf-8", "surrogateescape")
        if (kind == b"blob" and name.endswith(".ipynb") and ".ipynb_checkpoints/" not in name
                and size.isdigit() and 0 < int(size) < MAX_BYTES):
            out.append((name, int(size)))
    return out


def is_training_notebook(data: bytes) -> bool:
    return not data.startswith(b"version https://git-lfs") and any(
        word in data for word in TRAINING_WORDS)


def choose(repo: str, git_dir: Path, per_repo: int) -> list[dict]:
    commit = git(git_dir, "rev-parse", "HEAD").decode().strip()
    ranked = sorted(candidates(git_dir),
                    key=lambda item: hashlib.sha256(f"{repo}/{item[0]}".encode()).hexdigest())
    chosen = []
    for path, _size in ranked:
        if len(chosen) >= per_repo:
            break
        data = git(git_dir, "cat-file", "blob", f"{commit}:{path}")
        if is_training_notebook(data):
            chosen.append({"repo": repo, "commit": commit, "path": path,
                           "sha256": sha256_of(data)})
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--per-repo", type=int, default=10)
    parser.add_argument("--out", type=Path, default=HERE / "manifest.jsonl")
    args = parser.parse_args(argv)
    entries: list[dict] = []
    for base in sorted(args.mirror.iterdir()):
        if "+" not in base.name:
            continue
        repo = base.name.replace("+", "/", 1)
        git_dir = find_git_dir(args.mirror, repo)
        if git_dir is None:
            continue
        try:
            entries += choose(repo, git_dir, args.per_repo)
        except subprocess.CalledProcessError as error:
            print(f"skipped {repo}: {error}", file=sys.stderr)
    args.out.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    repos = len({e["repo"] for e in entries})
    print(f"{len(entries)} notebooks from {repos} repositories -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
