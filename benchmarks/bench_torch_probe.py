"""Time and memory of ``lintnn.torch.probe_shapes`` on a GPT-2-small-size model.

The model (12 layers, 768 wide, 50257 vocab, built with ``GPT2Config``; no weights are
downloaded) is built under ``torch.device("meta")``, so it has no tensor memory at all;
the probe runs on fake tensors. Peak RSS is read from /proc (VmHWM, reset before the
probe), so any real tensor memory the probe allocated would show up.

    python benchmarks/bench_torch_probe.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch

import lintnn.torch as lt


def _kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def main() -> None:
    from transformers import GPT2Config, GPT2LMHeadModel

    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--real", action="store_true",
                        help="real CPU weights (probed under FakeTensorMode) instead of meta")
    args = parser.parse_args()
    config = GPT2Config(n_embd=768, n_layer=12, n_head=12, vocab_size=50257, n_positions=1024)
    with torch.device("cpu" if args.real else "meta"):
        model = GPT2LMHeadModel(config)
    params = sum(p.numel() for p in model.parameters())
    inputs = {"input_ids": torch.randint(0, 50257, (args.batch, args.seq))}
    lt.probe_shapes(model, inputs)  # warm up imports and caches
    times, peaks = [], []
    for _ in range(args.repeat):
        _reset_peak()
        rss = _kib("VmRSS")
        start = time.perf_counter()
        report = lt.probe_shapes(model, inputs)
        times.append(time.perf_counter() - start)
        peaks.append((_kib("VmHWM") - rss) / 1024)
    shapes = report.data["shapes"]
    where = "cpu" if args.real else "meta"
    print(f"GPT-2 small config on {where}: {params / 1e6:.1f}M parameters, "
          f"dims {shapes['dims']}, "
          f"mode {shapes['mode']}, {shapes['ops']} aten ops, findings {report.codes()}")
    print(f"probe_shapes: best {min(times):.3f} s, median {sorted(times)[len(times) // 2]:.3f} s "
          f"over {args.repeat} runs; peak RSS above the start of the probe: "
          f"{max(peaks):.1f} MiB (parameters would be {params * 4 / 2**20:.0f} MiB)")


if __name__ == "__main__":
    main()
