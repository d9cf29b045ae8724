"""A plain DDP training script (gloo, CPU) for ``lintnn run`` under a 2-process launch:
it knows nothing of lintnn. ``python ddp_script.py NAN_RANK BAD_RANK STEPS``: a NaN in
one batch of rank NAN_RANK; from step 60, rank BAD_RANK's labels are shifted (its data
went wrong), -1: none."""

import os
import sys
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import nn

torch.set_num_threads(1)
nan_rank, bad_rank, steps = (int(a) for a in sys.argv[1:4])
dist.init_process_group("gloo", timeout=timedelta(seconds=60))
rank = dist.get_rank()
torch.manual_seed(0)
model = nn.parallel.DistributedDataParallel(
    nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 4)))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
gen = torch.Generator().manual_seed(rank)
w = torch.randn(10, 4, generator=torch.Generator().manual_seed(9))
for step in range(steps):
    x = torch.randn(32, 10, generator=gen)
    y = (x @ w).argmax(1)
    if rank == nan_rank and step == 5:
        x[0, 0] = float("nan")
    if rank == bad_rank and step >= 60:
        y = (y + 1) % 4
    loss = nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
dist.destroy_process_group()
print("rank", os.environ["RANK"], "done")
