"""NN201: a hook-named function the file calls itself, a module-level model read as a global."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import assert_findings, lint_project

GLOBAL_MODEL = """
import torch
import torch.nn as nn
import torchvision.models as models

model = models.resnet18(pretrained=False)
model.fc = nn.Linear(512, 10)
optimizer = torch.optim.Adam(model.parameters())
criterion = nn.CrossEntropyLoss()


def train_step(inputs, targets):
    optimizer.zero_grad()
    loss = criterion(model(inputs), targets)
    loss.backward()
    optimizer.step()
"""


def test_nn201_a_hook_named_helper_the_file_calls_reads_the_global_model() -> None:
    """``test_step`` is a plain function called by the file's own loop, not a Lightning
    hook: the global ResNet (batch norm) runs in training mode under ``no_grad``."""
    assert_findings(GLOBAL_MODEL + """

def test_step(inputs, targets):
    with torch.no_grad():  # expect: NN201
        outputs = model(inputs)
        return criterion(outputs, targets).item()


for epoch in range(3):
    for x, y in train_loader:
        train_step(x, y)
    for x, y in test_loader:
        test_step(x, y)
""", "NN201")


def test_nn201_a_hook_named_helper_called_after_eval_is_silent() -> None:
    assert_findings(GLOBAL_MODEL + """

def test_step(inputs, targets):
    with torch.no_grad():
        return criterion(model(inputs), targets).item()


for epoch in range(3):
    model.train()
    for x, y in train_loader:
        train_step(x, y)
    model.eval()
    for x, y in test_loader:
        test_step(x, y)
""", "NN201")


def test_nn201_hooks_a_framework_calls_stay_silent() -> None:
    """Not called by the file (handed to an Ignite ``Engine``), or a method of a class:
    the framework calls it and may switch the mode itself."""
    assert_findings(GLOBAL_MODEL + """
from ignite.engine import Engine


def validation_step(engine, batch):
    with torch.no_grad():
        x, y = batch
        return model(x), y


evaluator = Engine(validation_step)


class Task:
    def test_step(self, batch):
        with torch.no_grad():
            return model(batch)

    def run(self, loader):
        for batch in loader:
            train_step(*batch)
""", "NN201")


GAN = """
import torch
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, z):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z, 64), nn.BatchNorm1d(64), nn.Linear(64, 8))

    def forward(self, z):
        return self.net(z)
"""
STAR_SCRIPT = """
import torch
from {module} import *

G = Generator(16)
G_optimizer = torch.optim.Adam(G.parameters())


def G_train(z):
    G.zero_grad()
    loss = G(z).mean()
    loss.backward()
    G_optimizer.step()


for epoch in range(10):
    for z in loader:
        G_train(z)
    with torch.no_grad():
        samples = G(torch.randn(9, 16))
"""


def _star_findings(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, int]]:
    return [(Path(d.filename or "").name, d.location.row)
            for d in lint_project(tmp_path, files, select="NN201")]


def test_nn201_a_model_class_from_a_star_import_of_a_project_module(tmp_path: Path) -> None:
    """``from gan_architecture import *`` gives ``Generator``, a class of the project with
    batch norm: the samples drawn under ``no_grad`` after each epoch use batch statistics."""
    assert _star_findings(tmp_path, {
        "gan_architecture.py": GAN,
        "train.py": STAR_SCRIPT.format(module="gan_architecture"),
    }) == [("train.py", 19)]


def test_nn201_star_imports_the_project_does_not_define_stay_silent(tmp_path: Path) -> None:
    """A star import of a module outside the project (an installed ``ganlib``), of a
    framework, a later star import that overrides, or a class the file defines itself."""
    plain = GAN.replace("nn.BatchNorm1d(64), ", "")
    assert _star_findings(tmp_path, {
        "gan_architecture.py": GAN,
        "plain_gan.py": plain,
        "a.py": STAR_SCRIPT.format(module="ganlib"),
        "b.py": STAR_SCRIPT.format(module="torch.nn"),
        "c.py": STAR_SCRIPT.format(module="gan_architecture import *\nfrom plain_gan"),
        "d.py": STAR_SCRIPT.format(module="gan_architecture") + plain.split("\n\n\n")[1],
    }) == []


def test_nn201_fakes_drawn_inside_a_step_function_are_not_evaluation() -> None:
    """A step function's ``no_grad`` block (the generator's fakes for the discriminator's
    step) computes training inputs, even with no loop around it in the function."""
    assert_findings(GAN + """
G = Generator(16)
D = nn.Sequential(nn.Linear(8, 1), nn.Sigmoid())
D_optimizer = torch.optim.Adam(D.parameters())


def D_train(x, z):
    D.zero_grad()
    with torch.no_grad():
        fake = G(z)
    loss = -(torch.log(D(x)) + torch.log(1 - D(fake))).mean()
    loss.backward()
    D_optimizer.step()


for x, z in loader:
    D_train(x, z)
""", "NN201")
