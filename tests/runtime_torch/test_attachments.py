"""Attachments: everything the runtime attaches comes off, the latest first, once."""

import torch
from torch import nn

from lintnn.runtime.torch.attachments import Attachments


def test_hooks_and_undos_come_off_latest_first_and_only_once():
    model = nn.Linear(3, 2)
    calls: list[str] = []
    attached = Attachments()
    attached.hook(model.register_forward_hook(lambda m, a, o: calls.append("hook")))
    attached.on_remove(lambda: calls.append("first undo"))
    attached.on_remove(lambda: calls.append("second undo"))
    model(torch.zeros(1, 3))
    assert calls == ["hook"] and len(attached) == 3
    attached.remove_all()
    assert calls == ["hook", "second undo", "first undo"]
    model(torch.zeros(1, 3))
    attached.remove_all()
    assert calls == ["hook", "second undo", "first undo"]
    assert not model._forward_hooks and len(attached) == 0
