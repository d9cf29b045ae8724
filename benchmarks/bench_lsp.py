"""Re-lint latency of the language server on an edit of a 3,000-line training file.

Measured through the real server over stdio: the time from sending ``didChange`` to
receiving the ``publishDiagnostics`` for that version, minus the debounce; compared with
``Engine.check_source`` called directly, and (``--phases``) that time split by stage.

    python benchmarks/bench_lsp.py [--lines 3000] [--edits 20] [--phases]
    python benchmarks/bench_lsp.py --in-process [--file PATH] [--repo CHECKOUT]

``--in-process`` times the server's engine without the server: ``Engine(incremental=True)``
re-checking the document after each edit (one digit changed inside a function), next to a
full ``check_source`` of the same texts. ``--repo`` imports lintnn from another checkout
(an older commit, for before/after tables).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if "--repo" in sys.argv:  # lintnn from another checkout: before/after comparisons
    REPO = Path(sys.argv[sys.argv.index("--repo") + 1]).resolve()
sys.path.insert(0, str(REPO))

from lintnn.config import Settings  # noqa: E402
from lintnn.lsp.server import DEBOUNCE_S  # noqa: E402
from lintnn.lsp.stdio_client import StdioClient  # noqa: E402
from lintnn.static.engine.run import Engine  # noqa: E402

HEADER = '''"""A generated training module for the language-server benchmark."""
import torch
import torch.nn as nn
import torch.nn.functional as F
'''

BLOCK = '''

class Net{i}(nn.Module):
    """Model {i}: a small classifier."""

    def __init__(self, width: int = {width}) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Linear(width, width),
            nn.ReLU(),
            nn.Dropout(0.{drop}),
            nn.BatchNorm1d(width),
        )
        self.drop = nn.Dropout(0.1)
        self.bn = nn.BatchNorm1d(width)
        self.head = nn.Linear(width, 10)

    def forward(self, x):
        x = self.features(x)
        x = self.drop(x)
        x = self.bn(x)
        return F.softmax(self.head(x), dim=1)


def train_{i}(model, loader, epochs: int = 3):
    """Train model {i}: softmax output fed to a loss that expects logits."""
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    for epoch in range(epochs):
        for inputs, targets in loader:
            optimizer.zero_grad()
            logits = model(inputs)
            probs = torch.softmax(logits, dim=1)
            loss = criterion(probs, targets)
            loss.backward()
            optimizer.step()
    return model


def evaluate_{i}(model, loader):
    correct = 0
    with torch.no_grad():
        for inputs, targets in loader:
            out = model(inputs)
            correct += (out.argmax(1) == targets).sum().item()
    return correct / max(1, len(loader))
'''


def generate(lines: int = 3000) -> str:
    """Model classes and training functions that exercise the rules, ``lines`` long."""
    parts = [HEADER]
    count = HEADER.count("\n")
    i = 0
    while count < lines:
        block = BLOCK.format(i=i, width=16 + i % 8, drop=1 + i % 8)
        parts.append(block)
        count += block.count("\n")
        i += 1
    return "".join(parts)


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return (f"median {statistics.median(ordered) * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms, "
            f"min {ordered[0] * 1000:.0f} ms (n={len(ordered)})")


def timed(function: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each call (CPU time is what a loaded machine hides)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def bench_engine(text: str, repeat: int) -> tuple[list[float], list[float]]:
    engine = Engine(Settings(), use_cache=False, jobs=1)
    path = Path(tempfile.gettempdir()) / "bench_lsp_train.py"
    engine.check_source(path, text)  # warm: imports, rule instances
    return timed(lambda: engine.check_source(path, text), repeat)


def bench_phases(text: str, repeat: int) -> dict[str, list[float]]:
    """``check_source`` split by stage, mirroring ``analyze_text`` (read-only use of the core)."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from lintnn.static.analyses.summary import summarize_classes
    from lintnn.static.engine.run import enabled_rules
    from lintnn.static.syntax.context import FileContext

    rules = enabled_rules(Settings())
    path = Path("bench_lsp_train.py")
    stages: dict[str, list[float]] = {}
    for _ in range(repeat):
        clock = time.process_time  # CPU seconds: stable on a shared machine
        marks = [clock()]
        module = cst.parse_module(text)
        marks.append(clock())
        ctx = FileContext(path, text, module, "bench_lsp_train", False)
        marks.append(clock())
        for rule in rules:
            ctx.current_rule = rule
            rule.check(ctx)
        marks.append(clock())
        summarize_classes(ctx)
        marks.append(clock())
        MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        marks.append(clock())
        names = ("libcst parse", "FileContext (index, imports)", "rules",
                 "summarize_classes", "PositionProvider (findings)")
        for name, start, end in zip(names, marks[:-1], marks[1:], strict=True):
            stages.setdefault(name, []).append(end - start)
    return stages


def digit_edits(text: str, edits: int) -> list[tuple[int, int, str]]:
    """``edits`` successive edits (row, column, new digit), each changing one digit on an
    indented line (inside a function or class), at places spread over the file."""
    lines = text.splitlines(keepends=True)
    rows = [i for i, line in enumerate(lines) if line[:1] in " \t" and any(
        c in line for c in "123456789")]
    out = []
    for k in range(edits):
        row = rows[(k * len(rows)) // edits]
        line = lines[row]
        at = next(i for i, c in enumerate(line) if c in "123456789")
        digit = str(int(line[at]) % 9 + 1)
        lines[row] = line[:at] + digit + line[at + 1:]
        out.append((row, at, digit))
    return out


def edited_texts(text: str, edits: int) -> list[str]:
    """The texts after each of :func:`digit_edits`."""
    lines = text.splitlines(keepends=True)
    texts = []
    for row, at, digit in digit_edits(text, edits):
        lines[row] = lines[row][:at] + digit + lines[row][at + 1:]
        texts.append("".join(lines))
    return texts


def bench_in_process(text: str, edits: int) -> dict[str, tuple[list[float], list[float]]]:
    """(wall, cpu) seconds per edit: incremental re-check, and a full check of each text."""
    path = Path(tempfile.gettempdir()) / "bench_lsp_document.py"
    texts = edited_texts(text, edits)
    out: dict[str, tuple[list[float], list[float]]] = {}
    incremental = Engine(Settings(), use_cache=False, jobs=1, incremental=True)
    incremental.check_source(path, text)  # didOpen: the first, full lint
    samples: tuple[list[float], list[float]] = ([], [])
    for edited in texts:
        wall, cpu = timed(lambda t=edited: incremental.check_source(path, t), 1)
        samples[0].extend(wall)
        samples[1].extend(cpu)
    out["incremental re-lint"] = samples
    full = Engine(Settings(), use_cache=False, jobs=1)
    full.check_source(path, text)
    samples = ([], [])
    for edited in texts[: max(3, edits // 2)]:
        wall, cpu = timed(lambda t=edited: full.check_source(path, t), 1)
        samples[0].extend(wall)
        samples[1].extend(cpu)
    out["full check_source"] = samples
    return out


def bench_server(text: str, edits: int) -> tuple[float, list[float]]:
    """(first lint after didOpen, re-lint latencies minus the debounce) over real stdio."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        client = StdioClient([sys.executable, "-m", "lintnn", "server"], cwd=root, env=env)
        try:
            client.initialize(root)
            uri = (root / "train.py").as_uri()
            time.sleep(3.0)  # let the worker finish starting (done at `initialized`)
            start = time.perf_counter()
            client.notify("textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": "python", "version": 1, "text": text}})
            client.diagnostics(uri, timeout=300)
            first = time.perf_counter() - start
            latencies = []
            for version, (row, column, digit) in enumerate(digit_edits(text, edits), 2):
                mark = len(client.received)
                start = time.perf_counter()
                client.notify("textDocument/didChange", {
                    "textDocument": {"uri": uri, "version": version},
                    "contentChanges": [{"range": {
                        "start": {"line": row, "character": column},
                        "end": {"line": row, "character": column + 1}},
                        "text": digit}]})
                client.wait_for(
                    lambda m, v=version: m.get("method") == "textDocument/publishDiagnostics"
                    and m["params"].get("version") == v, timeout=300, after=mark)
                latencies.append(time.perf_counter() - start - DEBOUNCE_S)
        finally:
            client.close()
    return first, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=3000)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=10, help="direct check_source runs")
    parser.add_argument("--phases", action="store_true", help="also time each stage")
    parser.add_argument("--in-process", action="store_true",
                        help="time the engine's re-lint after each edit, without the server")
    parser.add_argument("--file", type=Path, help="a real file instead of the generated one")
    parser.add_argument("--repo", type=Path, help="import lintnn from this checkout")
    parser.add_argument("--server-only", action="store_true",
                        help="only the stdio server measurement")
    args = parser.parse_args()
    text = args.file.read_text(encoding="utf-8") if args.file else generate(args.lines)
    if args.in_process:
        print(f"lintnn from {REPO}; document: {text.count(chr(10))} lines; {args.edits} edits")
        for name, (wall, cpu) in bench_in_process(text, args.edits).items():
            print(f"  {name:<20} cpu {summary(cpu)}; wall {summary(wall)}")
        return
    if args.server_only:
        first, latencies = bench_server(text, args.edits)
        print(f"lintnn from {REPO}; document: {text.count(chr(10))} lines")
        print(f"server, didOpen -> publishDiagnostics: {first * 1000:.0f} ms")
        print(f"server, didChange -> publishDiagnostics - debounce: {summary(latencies)}")
        return
    print(f"document: {text.count(chr(10))} lines, {len(text)} characters; "
          f"debounce {DEBOUNCE_S * 1000:.0f} ms (subtracted)")
    wall, cpu = bench_engine(text, args.repeat)
    print(f"Engine.check_source, in process: wall {summary(wall)}; cpu {summary(cpu)}")
    if args.phases:
        for name, samples in bench_phases(text, max(3, args.repeat // 2)).items():
            print(f"  cpu {name:<30} {summary(samples)}")
    first, latencies = bench_server(text, args.edits)
    print(f"server, didOpen -> publishDiagnostics: {first * 1000:.0f} ms")
    print(f"server, didChange -> publishDiagnostics - debounce: {summary(latencies)}")


if __name__ == "__main__":
    main()
