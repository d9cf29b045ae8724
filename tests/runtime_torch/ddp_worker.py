"""One rank of a 2-process DDP run on CPU (gloo) for ``test_monitor_ddp.py``.

``python ddp_worker.py SCENARIO OUT`` with RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT
set, as torchrun sets them; writes what the rank saw to ``OUT`` as JSON.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import lintnn
import lintnn.torch as lt
from lintnn.runtime.torch import ranks

scenario, out = sys.argv[1], Path(sys.argv[2])
rank = int(os.environ["RANK"])
torch.set_num_threads(1)
ranks.MERGE_TIMEOUT = timedelta(seconds=10)
dist.init_process_group("gloo", timeout=timedelta(seconds=60))
torch.manual_seed(0)
model = nn.parallel.DistributedDataParallel(
    nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 4)))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
gen = torch.Generator().manual_seed(rank)
w = torch.randn(10, 4, generator=torch.Generator().manual_seed(9))
result: dict = {"rank": rank, "error": None}
try:
    with lt.monitor(model, opt, every=10, num_classes=4) as mon:
        for step in range(30):
            x = torch.randn(32, 10, generator=gen)
            y = (x @ w).argmax(1)
            if rank == 1 and step == 3 and scenario == "nan":
                x[0, 0] = float("nan")
            if rank == 1 and step == 3 and scenario == "crash":
                raise RuntimeError("rank 1's data loader broke")
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
except lintnn.NonFiniteError as err:
    result["error"] = f"NonFiniteError: {err.origin.phase}"
except Exception as err:  # a collective that failed because the other rank left
    result["error"] = f"{type(err).__name__}"
result["findings"] = [{"code": f.code, "message": f.message, **{k: f.extra.get(k)
                       for k in ("rank", "step", "phase")}} for f in mon.report.findings]
result["steps"] = mon.steps
out.write_text(json.dumps(result))
dist.destroy_process_group() if result["error"] is None else None
