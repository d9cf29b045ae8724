"""check_batch_independence (NR103)."""

import torch
from torch import nn

import lintnn.torch as lt

from .models import BNNet, SeqModel, tiny_bert, token_batch


def test_lstm_without_batch_first_mixes_samples() -> None:
    rep = lt.check_batch_independence(SeqModel(batch_first=False), torch.randn(3, 5, 4))
    assert rep.codes() == ["NR103"]
    assert "'x'" in rep.findings[0].message


def test_lstm_with_batch_first_is_clean() -> None:
    assert lt.check_batch_independence(SeqModel(), torch.randn(3, 5, 4)).findings == []


def test_batchnorm_in_train_mode_is_put_in_eval_and_restored() -> None:
    model = BNNet().train()
    assert lt.check_batch_independence(model, torch.randn(6, 10)).findings == []
    assert model.body[1].training


def test_integer_inputs_are_perturbed() -> None:
    class Pool(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(99, 8)

        def forward(self, ids):
            h = self.emb(ids)
            return h - h.mean(0)  # centres over the batch: leaks

    ids = token_batch()["input_ids"]
    assert lt.check_batch_independence(Pool(), ids).codes() == ["NR103"]
    assert lt.check_batch_independence(tiny_bert(), token_batch(3)).findings == []
