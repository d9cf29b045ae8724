"""Data-parallel runs: which rank this is, and one report per run without a collective.

Each rank judges its own steps. When its monitor closes, a rank other than 0 leaves its
findings in the process group's key-value store; rank 0 waits for them a bounded time
(``MERGE_TIMEOUT``) and adds what arrived. No collective is called, so a rank that
raised, or died, never makes another rank wait in one.
"""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from typing import Any

from lintnn.diagnostics import Diagnostic
from lintnn.runtime.codes import finding

MERGE_TIMEOUT = timedelta(seconds=20)
_KEY = "lintnn/monitor/{run}/{rank}"
_runs = 0  # monitors started in this process: the same count on every rank


def rank_and_world() -> tuple[int, int]:
    """``(rank, world size)``; ``(0, 1)`` outside an initialized process group."""
    try:
        import torch.distributed as dist
    except ImportError:  # pragma: no cover - torch built without distributed
        return 0, 1
    if not (dist.is_available() and dist.is_initialized()):
        return 0, 1
    return dist.get_rank(), dist.get_world_size()


def next_run() -> int:
    """A number naming this monitor's run the same way on every rank."""
    global _runs
    _runs += 1
    return _runs


def _store() -> Any:
    from torch.distributed import distributed_c10d

    return distributed_c10d._get_default_store()


def _encode(findings: list[Diagnostic]) -> bytes:
    return json.dumps([{"code": f.code, "message": f.message, "module": f.module,
                        "source": f.source, "severity": f.severity.value,
                        "extra": f.extra} for f in findings], default=str).encode()


def _decode(data: bytes) -> list[Diagnostic]:
    from lintnn.diagnostics import Severity

    return [finding(d["code"], d["message"], module=d["module"], source=d["source"],
                    severity=Severity(d["severity"]), **d["extra"])
            for d in json.loads(data.decode())]


def share(run: int, rank: int, world: int, findings: list[Diagnostic],
          timeout: timedelta = MERGE_TIMEOUT) -> tuple[list[Diagnostic], list[int]]:
    """Rank > 0: leave ``findings`` in the store; rank 0: the other ranks' findings and the
    ranks that sent none within ``timeout``. Never raises: a store that is gone means no
    merge."""
    try:
        store = _store()
        if rank != 0:
            store.set(_KEY.format(run=run, rank=rank), _encode(findings))
            return [], []
        keys = [_KEY.format(run=run, rank=r) for r in range(1, world)]
        with contextlib.suppress(Exception):  # some rank never reported: take what is there
            store.wait(keys, timeout)
        merged: list[Diagnostic] = []
        silent = []
        for r, key in enumerate(keys, start=1):
            if store.check([key]):
                merged += _decode(store.get(key))
                store.delete_key(key)
            else:
                silent.append(r)
        return merged, silent
    except Exception:
        return [], []
