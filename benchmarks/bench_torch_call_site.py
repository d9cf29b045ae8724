"""What ``watch`` pays per forward to remember the line that called the model.

``watch`` records the user's ``model(x)`` line in its forward pre-hook (the source of an
op that runs inside torch's own modules). This times that frame walk against an empty
hook on the same forward, interleaved, on a 2-layer MLP called from a user-level loop.

    python benchmarks/bench_torch_call_site.py [--calls 20000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch
from torch import nn

from lintnn.runtime.torch.source import user_frame


def _time(model: nn.Module, x: torch.Tensor, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        model(x)  # the user's line
    return (time.perf_counter() - start) / calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4))
    x = torch.randn(8, 16)
    sites: list[str | None] = []
    hooks = {"empty hook": lambda m, a: None,
             "hook + user_frame()": lambda m, a: sites.append(user_frame())}
    best = dict.fromkeys(hooks, float("inf"))
    with torch.no_grad():
        for _ in range(args.rounds):
            for name, hook in hooks.items():
                handle = model.register_forward_pre_hook(hook)
                best[name] = min(best[name], _time(model, x, args.calls))
                handle.remove()
                sites.clear()
    extra = best["hook + user_frame()"] - best["empty hook"]
    print(f"torch {torch.__version__}, 1 thread, best of {args.rounds} rounds x {args.calls}")
    for name, seconds in best.items():
        print(f"  {name}: {seconds * 1e6:.2f} us per forward")
    print(f"  user_frame() adds {extra * 1e6:.2f} us per forward")


if __name__ == "__main__":
    main()
