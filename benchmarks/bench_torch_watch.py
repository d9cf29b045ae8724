"""Steady-state overhead of ``lintnn.torch.watch`` on a training step.

Times the same training step of a small-config transformers GPT-2 and of an MLP three
ways in one run, interleaved round by round so machine load hits all modes alike:
plain, inside ``lt.watch(model)``, inside ``torch.autograd.detect_anomaly()``.

    python benchmarks/bench_torch_watch.py [--rounds 7] [--steps 20]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch
from torch import nn

import lintnn.torch as lt


def gpt2() -> tuple[nn.Module, dict, torch.Tensor]:
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(n_embd=128, n_layer=4, n_head=4, vocab_size=1000, n_positions=128,
                        use_cache=False, bos_token_id=0, eos_token_id=0)
    model = GPT2LMHeadModel(config)
    ids = torch.randint(0, 1000, (8, 64))
    return model, {"input_ids": ids}, ids


def mlp() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                          nn.Linear(512, 10))
    return model, torch.randn(256, 784), torch.randint(0, 10, (256,))


def make_step(name: str):
    torch.manual_seed(0)
    if name == "gpt2":
        model, batch, labels = gpt2()

        def loss_of() -> torch.Tensor:
            return model(**batch, labels=labels).loss
    else:
        model, x, y = mlp()

        def loss_of() -> torch.Tensor:
            return nn.functional.cross_entropy(model(x), y)

    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        loss_of().backward()
        opt.step()

    return model, step


MODES = {
    "plain": lambda model: contextlib.nullcontext(),
    "watch": lambda model: lt.watch(model),
    "detect_anomaly": lambda model: torch.autograd.detect_anomaly(),
}


def bench(name: str, rounds: int, steps: int) -> dict[str, float]:
    model, step = make_step(name)
    for _ in range(3):
        step()  # warm up
    times: dict[str, list[float]] = {m: [] for m in MODES}
    for r in range(rounds):
        order = list(MODES.items())
        for mode, ctx in order if r % 2 == 0 else order[::-1]:  # cancel drift
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with ctx(model):
                    start = time.perf_counter()
                    for _ in range(steps):
                        step()
                    times[mode].append((time.perf_counter() - start) / steps)
    return {mode: min(t) for mode, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads (1 avoids OpenMP spinning on a busy box)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"rounds {args.rounds} x {args.steps} steps, best round per step (robust to load)")
    print("| model | plain (ms) | watch (ms) | watch / plain | detect_anomaly (ms) | "
          "anomaly / plain |")
    print("|---|---|---|---|---|---|")
    for name in ("gpt2", "mlp"):
        t = bench(name, args.rounds, args.steps)
        print(f"| {name} | {t['plain'] * 1e3:.2f} | {t['watch'] * 1e3:.2f} | "
              f"{t['watch'] / t['plain']:.3f}x | {t['detect_anomaly'] * 1e3:.2f} | "
              f"{t['detect_anomaly'] / t['plain']:.2f}x |")


if __name__ == "__main__":
    main()
