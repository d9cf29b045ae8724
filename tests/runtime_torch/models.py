"""Small models for the runtime tests: healthy ones and one per bug."""

from __future__ import annotations

import torch
from torch import nn


def mlp(features: int = 10, hidden: int = 32, classes: int = 3) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                         nn.ReLU(), nn.Linear(hidden, classes))


def classification_batch(n: int = 16, features: int = 10, classes: int = 3):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, features, generator=gen)
    y = torch.randint(0, classes, (n,), generator=gen)
    y[:classes] = torch.arange(classes)  # every class present, in no sorted order
    return x, y[torch.randperm(n, generator=gen)]


class SelfAttention(nn.Module):
    """Multi-head self-attention; ``bug=True`` splits heads with a plain view."""

    def __init__(self, width: int = 16, heads: int = 2, bug: bool = False) -> None:
        super().__init__()
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.heads, self.bug = heads, bug

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, e = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        if self.bug:
            q, k, v = (z.reshape(b, self.heads, t, e // self.heads) for z in (q, k, v))
        else:
            q, k, v = (z.view(b, t, self.heads, e // self.heads).transpose(1, 2)
                       for z in (q, k, v))
        att = (q @ k.transpose(-1, -2) / (e // self.heads) ** 0.5).softmax(-1)
        return self.out((att @ v).transpose(1, 2).reshape(b, t, e))


class Block(nn.Module):
    def __init__(self, bug: bool = False) -> None:
        super().__init__()
        self.attn = SelfAttention(bug=bug)
        self.norm = nn.LayerNorm(16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x + self.attn(x))


class Encoder(nn.Module):
    def __init__(self, bug_layer: int | None = None) -> None:
        super().__init__()
        self.layers = nn.ModuleList(Block(bug=i == bug_layer) for i in range(2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class SeqModel(nn.Module):
    """An LSTM tagger; without ``batch_first`` a (B, T, F) batch mixes samples."""

    def __init__(self, batch_first: bool = True) -> None:
        super().__init__()
        self.rnn = nn.LSTM(4, 8, batch_first=batch_first)
        self.head = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(x)[0])


class BNNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(10, 16), nn.BatchNorm1d(16), nn.ReLU(),
                                  nn.Dropout(0.5), nn.Linear(16, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class Raises(nn.Module):
    """Updates BatchNorm statistics, then fails on a hard-coded size."""

    def __init__(self) -> None:
        super().__init__()
        self.bn = nn.BatchNorm1d(10)
        self.fc = nn.Linear(10, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.bn(x)
        return self.fc(h.view(16, 10))


def tiny_bert():
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    return BertModel(BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                intermediate_size=37, vocab_size=99))


def tiny_gpt2():
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    return GPT2LMHeadModel(GPT2Config(n_embd=32, n_layer=2, n_head=2, vocab_size=99,
                                      n_positions=64, bos_token_id=0, eos_token_id=0))


def token_batch(b: int = 2, t: int = 6):
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(1, 99, (b, t), generator=gen)
    return {"input_ids": ids, "attention_mask": torch.ones(b, t, dtype=torch.long)}


def line_of(path: str, text: str) -> int:
    """1-based line of the first occurrence of ``text`` in ``path`` (for source asserts)."""
    with open(path) as f:
        return next(i for i, line in enumerate(f, 1) if text in line)
