"""A small classifier with training-health bugs, to look at its report.

    lintnn probe examples/runtime_report.py:make_model --steps 60 --html report.html
    lintnn probe examples/runtime_report.py:make_nan_model --html nan.html

``make_model``'s bugs, each visible on the page:

1. ``hidden.0`` starts with a bias of -0.5: 75 % of the ReLU units after it never fire
   (NR304, the dead-ReLU bar of ``hidden.1`` is red; its activation std sits below the
   0.5-2.0 band).
2. ``head``'s weights are scaled up 1000x: the initial loss is far above chance level
   -ln(1/C) (NR301: the loss curve starts far above the chance line), its activation
   std is far above the band and its update/weight ratio far below 1e-3.
3. ``unused`` is built but never called: it does not change after a step (NR303).

``make_nan_model`` takes the log of a value that can be negative deep inside
``encoder.block.1.gate``: the page shows the module tree with that path highlighted.
"""

import torch
from torch import nn


BIAS = -0.5


class Classifier(nn.Module):
    def __init__(self, features: int = 12, width: int = 48, classes: int = 5) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Linear(features, width), nn.ReLU())
        self.hidden = nn.Sequential(nn.Linear(width, width), nn.ReLU())
        self.head = nn.Linear(width, classes)
        self.unused = nn.Linear(width, width)  # bug 3
        with torch.no_grad():
            self.hidden[0].bias.fill_(BIAS)  # bug 1
            self.head.weight.mul_(1000.0)  # bug 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.hidden(self.stem(x)))


def make_model():
    torch.manual_seed(0)
    x = torch.randn(32, 12)
    y = torch.randperm(32) % 5
    return {"model": Classifier(), "inputs": x, "target": y, "loss_fn": nn.CrossEntropyLoss()}


class Gate(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.proj = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log(self.proj(x)) * x  # NaN where proj(x) < 0


class Block(nn.Module):
    def __init__(self, width: int, gated: bool) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.gate = Gate(width) if gated else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.gate(self.norm(x))


class Encoder(nn.Module):
    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.embed = nn.Linear(8, width)
        self.block = nn.ModuleList([Block(width, gated=False), Block(width, gated=True)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed(x)
        for block in self.block:
            x = block(x)
        return x


class NanModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = Encoder()
        self.head = nn.Linear(16, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))


def make_nan_model():
    torch.manual_seed(0)
    x = torch.randn(8, 8)
    return NanModel(), x, torch.arange(8) % 3, nn.CrossEntropyLoss()
