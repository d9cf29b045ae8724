"""Rebuild the notebook corpus from local snapshots of its repositories.

    python benchmarks/notebooks/rebuild.py [--mirror /work/.mirror] [--allow-missing]

Reads ``manifest.jsonl`` next to this script and writes each notebook's bytes
(``<commit>:<path>`` of its repository's snapshot) to ``files/<owner>+<name>/<path>``
(git-ignored), checking their sha256. The snapshots are those the ``fetch`` tool brings
(``github:owner/name``); missing ones are listed, to be fetched, and the exit status is 1
unless ``--allow-missing``. The work is that of ``benchmarks/corpus/rebuild.py``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("corpus_rebuild",
                                               HERE.parent / "corpus" / "rebuild.py")
assert _spec is not None and _spec.loader is not None
corpus_rebuild = sys.modules["corpus_rebuild"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus_rebuild)

MANIFEST = HERE / "manifest.jsonl"
FILES = HERE / "files"


def load_manifest(path: Path = MANIFEST) -> list[dict]:
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            entry = json.loads(line)
            entry["_manifest"], entry["_line"] = path.name, number
            entries.append(entry)
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--allow-missing", action="store_true")
    args = parser.parse_args(argv)
    entries = load_manifest()
    outcome = corpus_rebuild.rebuild(entries, args.mirror, FILES)
    return corpus_rebuild.report(outcome, len(entries), args.allow_missing)


if __name__ == "__main__":
    sys.exit(main())
