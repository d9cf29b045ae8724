"""The same checks on CUDA; skipped cleanly without a GPU (see conftest.py)."""

import pytest
import torch
from torch import nn

import lintnn.torch as lt

from .models import BNNet, Encoder, SeqModel

pytestmark = pytest.mark.gpu


def test_probe_shapes_on_cuda_model_finds_head_split() -> None:
    rep = lt.probe_shapes(Encoder(bug_layer=0).cuda(), torch.randn(2, 5, 16, device="cuda"))
    assert rep.codes() == ["NR101"] and rep.findings[0].module == "layers.0.attn"


def test_batch_independence_on_cuda() -> None:
    x = torch.randn(3, 5, 4, device="cuda")
    assert lt.check_batch_independence(SeqModel(False).cuda(), x).codes() == ["NR103"]


def test_cuda_rng_and_buffers_restored() -> None:
    model = BNNet().cuda().train()
    x, y = torch.randn(8, 10, device="cuda"), torch.randint(0, 3, (8,), device="cuda")
    rng = torch.cuda.get_rng_state()
    stats = model.body[1].running_mean.clone()
    lt.check_health(model, nn.CrossEntropyLoss(), (x, y), steps=3)
    assert torch.equal(torch.cuda.get_rng_state(), rng)
    assert torch.equal(model.body[1].running_mean, stats)
