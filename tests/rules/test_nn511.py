"""NN511 scheduler-never-stepped."""

from __future__ import annotations

import textwrap

import pytest

from tests.helpers import assert_findings

HEADER = """
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import CosineAnnealingLR, ReduceLROnPlateau, StepLR
from transformers import get_linear_schedule_with_warmup
"""

# One training iteration on ``opt``, appended where a snippet says {train}.
TRAIN = """for x, y in loader:
    opt.zero_grad()
    nn.functional.mse_loss(model(x), y).backward()
    opt.step()"""

POSITIVES = {
    "module_level_only_read": """
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        sched = StepLR(opt, 10)  # expect: NN511
        for epoch in range(10):
            {train}
            print(sched.get_last_lr(), sched.state_dict())
    """,
    "function_transformers_schedule": """
        def train(model, loader):
            opt = torch.optim.AdamW(model.parameters())
            sched = get_linear_schedule_with_warmup(opt, 100, 1000)  # expect: NN511
            {train}
    """,
    "plateau_without_step": """
        def train(model, loader):
            opt = torch.optim.Adam(model.parameters())
            plateau = ReduceLROnPlateau(opt, patience=3)  # expect: NN511
            for epoch in range(10):
                {train}
                validate(model)
    """,
    "optimizer_by_keyword": """
        def train(model, loader):
            opt = torch.optim.Adam(model.parameters())
            sched = CosineAnnealingLR(optimizer=opt, T_max=10)  # expect: NN511
            {train}
    """,
}

NEGATIVES = {
    "stepped_per_epoch": """
        def train(model, loader):
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            sched = StepLR(opt, 10)
            for epoch in range(10):
                {train}
                sched.step()
    """,
    "stepped_in_a_closure": """
        def train(model, loader):
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            sched = StepLR(opt, 10)
            def end_epoch():
                sched.step()
            for epoch in range(10):
                {train}
                end_epoch()
    """,
    "step_as_callback": """
        def train(model, loader, hooks):
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            sched = StepLR(opt, 10)
            hooks.on_epoch_end(sched.step)
            {train}
    """,
    "step_update_method": """
        def train(model, loader):
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            sched = StepLR(opt, 10)
            {train}
            sched.step_update(num_updates=10)
    """,
    "returned": """
        def configure(model, loader):
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            sched = StepLR(opt, 10)
            {train}
            return opt, sched
    """,
    "in_a_dict": """
        def configure_optimizers(self):
            opt = torch.optim.SGD(self.parameters(), lr=0.1)
            sched = StepLR(opt, 10)
            {train}
            return {{"optimizer": opt, "lr_scheduler": {{"scheduler": sched}}}}
    """,
    "passed_to_a_trainer": """
        def run(model, loader):
            opt = torch.optim.AdamW(model.parameters())
            sched = get_linear_schedule_with_warmup(opt, 100, 1000)
            {train}
            Trainer(model=model, optimizers=(opt, sched)).train()
    """,
    "stored_on_self": """
        class Runner:
            def setup(self, model, loader):
                opt = torch.optim.SGD(model.parameters(), lr=0.1)
                sched = StepLR(opt, 10)
                self.sched = sched
                {train}
    """,
    "attribute_target": """
        class Runner:
            def setup(self, model, loader):
                opt = torch.optim.SGD(model.parameters(), lr=0.1)
                self.sched = StepLR(opt, 10)
                {train}
    """,
    "appended": """
        def run(model, loader, schedulers):
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            sched = StepLR(opt, 10)
            schedulers.append(sched)
            {train}
    """,
    "module_level_stepped_in_a_function": """
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        sched = StepLR(opt, 10)
        def end_epoch():
            sched.step()
        {train}
    """,
    "no_optimizer_step_here": """
        def show_schedule(opt):
            sched = StepLR(opt, 10)
            print(sched.get_last_lr())
    """,
    "another_optimizer_is_stepped": """
        def train(model, loader, opt_g):
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            sched_g = StepLR(opt_g, 10)
            {train}
    """,
}


def _source(snippet: str) -> str:
    body = textwrap.dedent(snippet)
    indent = {line.split("{train}")[0] for line in body.splitlines() if "{train}" in line}
    train = TRAIN.replace("\n    ", "\n" + next(iter(indent), "") + "    ")
    return HEADER + body.format(train=train)


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_positive(name: str) -> None:
    assert_findings(_source(POSITIVES[name]), "NN511")


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_negative(name: str) -> None:
    assert_findings(_source(NEGATIVES[name]), "NN511")
