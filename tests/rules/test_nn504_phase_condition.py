"""NN504: a scheduler step and the optimizer steps guarded by the same phase condition."""

from __future__ import annotations

from tests.helpers import assert_findings

SETUP = """
import torch
import torch.nn as nn

model = nn.Linear(10, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 7)
loaders = {"train": train_loader, "val": val_loader}
"""


def test_nn504_the_train_phase_steps_the_scheduler_before_its_optimizer_steps() -> None:
    """The pre-1.1 transfer-learning tutorial: both steps sit under ``phase == 'train'``,
    the scheduler's first, and ``phase`` holds for the whole iteration."""
    assert_findings(SETUP + """
for epoch in range(25):
    for phase in ["train", "val"]:
        if phase == 'train':
            scheduler.step()  # expect: NN504
            model.train()
        else:
            model.eval()
        for x, y in loaders[phase]:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            if phase == "train":
                loss.backward()
                optimizer.step()
""", "NN504")


def test_nn504_other_conditions_are_not_ordered() -> None:
    """A different condition, the other branch of the same one, a phase name the loop
    rebinds, and a test that calls something: the scheduler step may not run first."""
    assert_findings(SETUP + """
for epoch in range(25):
    for phase in ["train", "val"]:
        if epoch > 0:
            scheduler.step()
        for x, y in loaders[phase]:
            loss = nn.functional.cross_entropy(model(x), y)
            if phase == "train":
                loss.backward()
                optimizer.step()

for epoch in range(25):
    for phase in ["train", "val"]:
        if phase == "train":
            model.train()
        else:
            scheduler.step()
        for x, y in loaders[phase]:
            loss = nn.functional.cross_entropy(model(x), y)
            if phase == "train":
                loss.backward()
                optimizer.step()

for epoch in range(25):
    phase = "warmup"
    for x, y in train_loader:
        if phase == "train":
            scheduler.step()
        loss = nn.functional.cross_entropy(model(x), y)
        phase = next_phase(epoch)
        if phase == "train":
            loss.backward()
            optimizer.step()

for epoch in range(25):
    for x, y in train_loader:
        if is_training():
            scheduler.step()
        loss = nn.functional.cross_entropy(model(x), y)
        if is_training():
            loss.backward()
            optimizer.step()
""", "NN504")
