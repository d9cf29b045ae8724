"""How often ``check_health``'s label control (NR308, labels that do not follow the inputs)
fires, and what it costs.

Synthetic classification batches whose labels a random linear teacher assigns (the labels
follow the inputs), the same with a share of the labels replaced at random (noisy), and
the same labels permuted apart from the inputs (the bug, 37 reasons #4). Each kind is
checked over several seeds and batch sizes with the default model of the tests (an MLP
10-32-32-3, Adam 3e-3); the table gives the share of batches flagged and the loss-area
ratio (true labels / shuffled labels). The last lines time ``check_health`` with and
without the control on the same batches.

    python benchmarks/bench_torch_label_check.py [--seeds 8]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch
from torch import nn

import lintnn.torch as lt
from lintnn.runtime.torch import label_control as control


def mlp(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                         nn.Linear(32, 3))


def batch(kind: str, rows: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(rows, 10, generator=gen)
    y = (x @ torch.randn(10, 3, generator=gen)).argmax(1)
    if kind.startswith("noisy"):
        flip = torch.rand(rows, generator=gen) < int(kind[5:]) / 100
        y[flip] = torch.randint(0, 3, (int(flip.sum()),), generator=gen)
    elif kind == "permuted":
        y = y[torch.randperm(rows, generator=gen)]
    return x, y


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread, {args.seeds} seeds per cell, "
          f"threshold ratio >= {control.LABEL_RATIO}, {control.LABEL_CONTROLS} shuffled runs")
    print("| labels | rows | flagged | ratio median | ratio min-max |")
    print("|---|---|---|---|---|")
    for kind in ("teacher", "noisy20", "noisy40", "permuted"):
        for rows in (32, 64, 128):
            ratios, flagged = [], 0
            for seed in range(args.seeds):
                rep = lt.check_health(mlp(seed), nn.CrossEntropyLoss(), batch(kind, rows, seed))
                flagged += "NR308" in rep.codes()
                if "label_control" in rep.data:
                    ratios.append(rep.data["label_control"]["ratio"])
            spread = f"{min(ratios):.2f}-{max(ratios):.2f}" if ratios else "-"
            median = f"{statistics.median(ratios):.2f}" if ratios else "-"
            print(f"| {kind} | {rows} | {flagged}/{args.seeds} | {median} | {spread} |")
    for rows in (32, 128):
        timings = {}
        for label, limit in (("with control", control.LABEL_ROWS), ("without", 10**9)):
            control.LABEL_ROWS, start = limit, time.perf_counter()
            for seed in range(3):
                lt.check_health(mlp(seed), nn.CrossEntropyLoss(), batch("teacher", rows, seed))
            timings[label] = (time.perf_counter() - start) / 3
        control.LABEL_ROWS = 32
        print(f"check_health, {rows} rows: {timings['with control']:.2f} s with the control, "
              f"{timings['without']:.2f} s without "
              f"({timings['with control'] / timings['without']:.2f}x)")


if __name__ == "__main__":
    main()
