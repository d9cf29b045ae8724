"""Memory of the language server: many documents opened and closed, and one large one.

Drives a real ``python -m lintnn server`` over stdio (``lintnn/lsp/stdio_client.py``) and
reads the resident memory (VmRSS) of the server process and of its lint worker from
``/proc`` (Linux only).

    python benchmarks/bench_lsp_memory.py [--documents 1500] [--large-mb 1.5]
    python benchmarks/bench_lsp_memory.py --repo CHECKOUT   # lintnn from another checkout

1. ``--documents`` distinct training files (about 120 lines each) are opened, linted and
   closed one after the other; the worker's memory is sampled along the way.
2. One document of ``--large-mb`` MB, under ``max-file-size`` (raised for the run), is
   opened, linted and closed: the worker's memory after it.
3. A 10 MB document (above the default ``max-file-size``): the time from ``didOpen`` to
   its first ``publishDiagnostics``, and the worker's memory after it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if "--repo" in sys.argv:
    REPO = Path(sys.argv[sys.argv.index("--repo") + 1]).resolve()
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the client: this checkout

from lintnn.lsp.stdio_client import StdioClient  # noqa: E402

TIMEOUT = 900.0
DOCUMENT = '''"""Training script {n}."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


class Net{n}(nn.Module):
    def __init__(self, width: int = {width}) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Dropout(0.5),
                                      nn.BatchNorm1d(width))
        self.head = nn.Linear(width, 10)

    def forward(self, x):
        return F.softmax(self.head(self.features(x)), dim=1)


def train_{n}(model, dataset, epochs: int = {epochs}):
    loader = DataLoader(dataset, batch_size=32)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0{n})
    for epoch in range(epochs):
        for inputs, targets in loader:
            logits = model(inputs)
            loss = criterion(F.softmax(logits, dim=1), targets)
            loss.backward()
            optimizer.step()
    return model
''' + "".join(f'''

def evaluate_{{n}}_{k}(model, loader):
    correct = 0
    with torch.no_grad():
        for inputs, targets in loader:
            out = model(inputs)
            correct += (out.argmax(1) == targets).sum().item() + {k}
    return correct / max(1, len(loader))
''' for k in range(8))


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory (``VmHWM``: its peak) of a process, in MB."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def worker_mb(server: int, field: str = "VmRSS") -> float:
    """The lint worker: the largest child of the server (the other is multiprocessing's
    resource tracker)."""
    return max((rss_mb(child, field) for child in children(server)), default=0.0)


def open_lint_close(client: StdioClient, uri: str, text: str) -> float:
    """Seconds from didOpen to the first publishDiagnostics; then close it."""
    mark = len(client.received)
    started = time.perf_counter()
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": text}})
    client.diagnostics(uri, TIMEOUT, after=mark)
    elapsed = time.perf_counter() - started
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    return elapsed


def settle(client: StdioClient, root: Path) -> None:
    """Wait until the server has handled everything sent so far (a round trip)."""
    open_lint_close(client, (root / "settle.py").as_uri(), "x = 1\n")
    time.sleep(1.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, help="run the server of this checkout")
    parser.add_argument("--documents", type=int, default=1500)
    parser.add_argument("--large-mb", type=float, default=1.5)
    args = parser.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "pyproject.toml").write_text(
            f'[tool.lintnn]\nmax-file-size = "{int(args.large_mb * 1.2 * 1e6)}"\n')
        client = StdioClient([sys.executable, "-m", "lintnn", "server"], cwd=root, env=env)
        try:
            client.initialize(root)
            server = client.process.pid
            settle(client, root)
            print(f"lintnn from {REPO}")
            print(f"start: server {rss_mb(server):.0f} MB, worker {worker_mb(server):.0f} MB")
            marks = {0, 100, 500, 1000, args.documents}
            started = time.perf_counter()
            for n in range(1, args.documents + 1):
                text = DOCUMENT.format(n=n, width=16 + n % 7, epochs=1 + n % 5)
                open_lint_close(client, (root / f"doc_{n}.py").as_uri(), text)
                if n in marks:
                    settle(client, root)
                    print(f"after {n:5d} documents opened and closed: server "
                          f"{rss_mb(server):.0f} MB, worker {worker_mb(server):.0f} MB "
                          f"({time.perf_counter() - started:.0f} s)", flush=True)
            base = DOCUMENT.format(n=0, width=16, epochs=1)
            large = "".join(base.replace("_0", f"_{k}_") for k in range(
                int(args.large_mb * 1e6 / len(base)) + 1))
            mark = len(client.received)
            uri = (root / "large.py").as_uri()
            client.notify("textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": "python", "version": 1, "text": large}})
            client.diagnostics(uri, TIMEOUT, after=mark)
            peak = worker_mb(server, "VmHWM")  # before a replacement can take it away
            client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
            settle(client, root)
            print(f"one {len(large) / 1e6:.1f} MB document linted (worker peak {peak:.0f} MB), "
                  f"then closed: worker {worker_mb(server):.0f} MB")
            ten = "".join(f"value_{k} = {k}\n" for k in range(450_000))
            (root / "pyproject.toml").write_text("[tool.lintnn]\n")
            client.notify("workspace/didChangeWatchedFiles", {"changes": [
                {"uri": (root / "pyproject.toml").as_uri(), "type": 2}]})
            seconds = open_lint_close(client, (root / "ten_mb.py").as_uri(), ten)
            settle(client, root)
            print(f"a {len(ten) / 1e6:.1f} MB document (default max-file-size): first publish "
                  f"after {seconds:.2f} s; worker {worker_mb(server):.0f} MB")
        except (TimeoutError, ConnectionError):
            print("".join(client.stderr)[-3000:], file=sys.stderr)
            raise
        finally:
            client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
