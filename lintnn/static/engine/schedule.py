"""How to spread a run's files over worker processes, by the work they hold.

A file's cost grows with its size, and after the gate most small files cost only
CPython's parse while a few large ones take most of the time. So files are sent in
batches of about equal size, the largest first (a large file sent last would leave the
other workers idle at the end), and a pool is started only when the work is worth
more than starting it. The figures come from ``benchmarks/bench_static.py``.
"""

from __future__ import annotations

# Below this many bytes to analyse, one process finishes before a pool has started
# (forking workers and sending results back costs about 50 ms on a 2-core machine;
# analysis runs at about 1 MB per CPU second).
MIN_PARALLEL_BYTES = 200_000
BATCHES_PER_WORKER = 8  # enough to even out the ends, few enough to keep IPC cheap


def plan(sizes: list[int], jobs: int) -> list[list[int]] | None:
    """Batches of indices into ``sizes`` for ``jobs`` workers, largest first; None when
    the files are better analysed in this process."""
    total = sum(sizes)
    if jobs < 2 or len(sizes) < 2 or total < MIN_PARALLEL_BYTES:
        return None
    target = max(1, total // (jobs * BATCHES_PER_WORKER))
    batches: list[list[int]] = []
    current: list[int] = []
    filled = 0
    for index in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        current.append(index)
        filled += sizes[index]
        if filled >= target:
            batches.append(current)
            current, filled = [], 0
    if current:
        batches.append(current)
    return batches


def workers_for(batches: list[list[int]], jobs: int) -> int:
    return max(1, min(jobs, len(batches)))
