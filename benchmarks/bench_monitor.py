"""Overhead of ``lintnn.torch.monitor`` at its default sampling on a GPT-2 training step.

GPT-2 with 4 layers of width 256 (GPT-2's own 50257-token vocabulary), built from a
transformers config (no download), trained with AdamW on random tokens. Three identical
copies train side by side in one process: ``plain``, ``monitor`` (``every=10``, the
default) and ``control`` (plain again: the noise floor of the comparison). Each round runs
every copy for ``--steps`` steps in a shuffled order; the result is the median over rounds
of the per-round ratio to ``plain``, for wall time and for the process's CPU time (on a
shared machine, other processes stretch wall time; with one torch thread, CPU time counts
only this process's work).

    python benchmarks/bench_monitor.py [--rounds 9] [--steps 10] [--batch 8] [--seq 128]
    python benchmarks/bench_monitor.py --profile 20   # CPU time inside the monitor's hooks

``--profile N`` runs N monitored steps under cProfile and sums the cumulative time of the
monitor's entry points (its optimizer step hooks, the forward pre-hook that keeps the
batch for the replay, the loss tap less the backward it wraps): the work the monitor adds,
a number machine load hardly moves.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import platform
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch

import lintnn.torch as lt


def make(batch: int, seq: int, seed: int = 0):
    from transformers import GPT2Config, GPT2LMHeadModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    torch.manual_seed(seed)
    config = GPT2Config(n_layer=4, n_embd=256, n_head=4, n_positions=seq, use_cache=False)
    model = GPT2LMHeadModel(config)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
    gen = torch.Generator().manual_seed(1)

    def step() -> None:
        ids = torch.randint(0, config.vocab_size, (batch, seq), generator=gen)
        loss = model(input_ids=ids, labels=ids).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return model, opt, step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--steps", type=int, default=10, help="steps per copy per round")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="instead: N monitored steps under cProfile (time in hooks)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1: CPU time then measures the work)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    logging.getLogger("lintnn.monitor").setLevel(logging.ERROR)
    if args.profile:
        profile(args)
        return
    copies = {name: make(args.batch, args.seq) for name in ("plain", "monitor", "control")}
    monitors: list[lt.monitor] = []

    def context(name: str):
        if name != "monitor":
            return contextlib.nullcontext()
        model, opt, _ = copies[name]
        mon = lt.monitor(model, opt)  # every=10: the default sampling
        monitors.append(mon)
        return mon

    for _, _, step in copies.values():
        step()  # warm up
    clocks = {"wall": time.perf_counter, "cpu": time.process_time}
    times = {clock: {name: [] for name in copies} for clock in clocks}
    order = list(copies)
    shuffle = random.Random(0)
    for _ in range(args.rounds):
        shuffle.shuffle(order)
        for name in order:
            step = copies[name][2]
            with context(name):
                start = {clock: read() for clock, read in clocks.items()}
                for _ in range(args.steps):
                    step()
                for clock, read in clocks.items():
                    times[clock][name].append((read() - start[clock]) / args.steps)

    def ratio(clock: str, name: str) -> float:
        pairs = zip(times[clock][name], times[clock]["plain"], strict=True)
        return statistics.median(t / p for t, p in pairs)

    params = sum(p.numel() for p in copies["plain"][0].parameters())
    findings = sum(len(m.report.findings) for m in monitors)
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"threads {torch.get_num_threads()}, GPT-2 4x256 ({params / 1e6:.1f}M parameters), "
          f"batch {args.batch}x{args.seq}, {args.rounds} rounds x {args.steps} steps, "
          f"monitor every=10")
    print("| copy | median step, wall (ms) | ratio to plain, wall | median step, CPU (ms) "
          "| ratio to plain, CPU |")
    print("|---|---|---|---|---|")
    for name in copies:
        cells = []
        for clock in clocks:
            r = "1" if name == "plain" else f"{ratio(clock, name):.3f}x"
            cells += [f"{statistics.median(times[clock][name]) * 1000:.1f}", r]
        print(f"| {name} | {' | '.join(cells)} |")
    print(f"findings on this healthy run: {findings}")


def profile(args: argparse.Namespace) -> None:
    import cProfile
    import pstats

    model, opt, step = make(args.batch, args.seq)
    step()
    profiler = cProfile.Profile()
    with lt.monitor(model, opt):
        start = time.process_time()
        profiler.enable()
        for _ in range(args.profile):
            step()
        profiler.disable()
        total = time.process_time() - start
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def cumulative(file: str, *names: str) -> float:
        return sum(c for (f, _, n), (_, _, _, c, _) in stats.items()
                   if f.endswith(file) and n in names)

    step_hooks = cumulative("monitor.py", "hook")  # the optimizer step pre- and post-hooks
    tap = max(0.0, cumulative("losstap.py", "_backward")
              - cumulative("autograd/__init__.py", "backward"))
    forward_hooks = cumulative("nans.py", "_pre", "_post")
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, GPT-2 4x256, batch "
          f"{args.batch}x{args.seq}, {args.profile} monitored steps (every=10) under cProfile, "
          f"{total / args.profile * 1000:.1f} ms per step")
    for what, spent in (("optimizer step hooks (gradient norm every step; copy, update and "
                         "weight norms every 10th)", step_hooks),
                        ("loss tap", tap),
                        ("forward pre-hook keeping the batch for the replay",
                         forward_hooks)):
        print(f"  {what}: {spent / args.profile * 1000:.1f} ms per step "
              f"({spent / total:.2%})")


if __name__ == "__main__":
    main()
