"""Where the language server's re-lint time goes, edit by edit: CPU ms of each incremental
re-check of ``benchmarks/bench_lsp.py``'s digit edits, with the top-level statement edited.

    python benchmarks/lsp_per_edit.py FILE [--edits 20] [--repo CHECKOUT]

``--repo`` imports lintnn from another checkout (its own ``bench_lsp.py`` makes the edits),
for side-by-side tables with an older commit.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    repo = args.repo.resolve()
    sys.path[:0] = [str(repo), str(repo / "benchmarks")]
    import bench_lsp
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from lintnn.config import Settings
    try:
        from lintnn.static.engine.run import Engine
    except ImportError:  # an older layout
        from lintnn.static.engine import Engine  # type: ignore[no-redef]

    text = args.file.read_text(encoding="utf-8")
    wrapper = MetadataWrapper(cst.parse_module(text))
    positions = wrapper.resolve(PositionProvider)
    spans = [(positions[s].start.line, positions[s].end.line, type(s).__name__,
              getattr(getattr(s, "name", None), "value", "")) for s in wrapper.module.body]
    path = Path(tempfile.gettempdir()) / "bench_lsp_document.py"
    engine = Engine(Settings(), use_cache=False, jobs=1, incremental=True)
    edits = bench_lsp.digit_edits(text, args.edits)
    texts = bench_lsp.edited_texts(text, args.edits)

    def run() -> None:  # on a thread with a large stack, as the server runs it
        engine.check_source(path, text)
        for (row, _, _), edited in zip(edits, texts, strict=True):
            start = time.process_time()
            engine.check_source(path, edited)
            spent = (time.process_time() - start) * 1000
            first, last, kind, name = next(
                (s for s in spans if s[0] <= row + 1 <= s[1]), (0, 0, "?", ""))
            print(f"{spent:7.1f} ms  line {row + 1:5d}  {kind} {name} ({last - first + 1} lines)")

    sys.setrecursionlimit(20000)
    threading.stack_size(512 * 1024 * 1024)
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


if __name__ == "__main__":
    main()
