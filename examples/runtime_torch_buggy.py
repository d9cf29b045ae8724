"""A small model with two silent bugs, for ``lintnn probe examples/runtime_torch_buggy.py:make_model``.

1. The attention splits heads with ``view(b, heads, t, d)``: shapes are right, but the
   sequence positions mix with the head channels (NR101).
2. The regression head outputs ``(B, 1)`` and the target is ``(B,)``: MSELoss broadcasts
   them into ``(B, B)`` (NR102).
"""

import torch
from torch import nn


class Attention(nn.Module):
    def __init__(self, width: int = 16, heads: int = 2) -> None:
        super().__init__()
        self.qkv = nn.Linear(width, 3 * width)
        self.heads = heads

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, e = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q, k, v = (z.reshape(b, self.heads, t, e // self.heads) for z in (q, k, v))  # bug 1
        att = (q @ k.transpose(-1, -2)).softmax(-1)
        return (att @ v).transpose(1, 2).reshape(b, t, e)


class Regressor(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Linear(4, 16)
        self.attn = Attention()
        self.head = nn.Linear(16, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.attn(self.embed(x)).mean(1))  # (B, 1)


def make_model():
    torch.manual_seed(0)
    x = torch.randn(8, 5, 4)
    y = torch.randn(8)  # bug 2: (B,) against the model's (B, 1)
    return {"model": Regressor(), "inputs": x, "target": y, "loss_fn": nn.MSELoss()}


def make_clean_model():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    x = torch.randn(16, 4)
    y = torch.arange(16) % 3
    return model, x, y[torch.randperm(16)], nn.CrossEntropyLoss()
