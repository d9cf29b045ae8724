"""Negatives for NN101-NN107 reduced from real code (transformers, lightning) where a
naive rule would report: each snippet is written here, in the shape that was met."""

from __future__ import annotations

from tests.helpers import lint

TORCH = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
"""

LOSS_CODES = ("NN101", "NN102", "NN103", "NN104", "NN105", "NN106", "NN107")


def loss_findings(source: str) -> list[str]:
    return [f"{d.location.row}: {d.code} {d.message}" for d in lint(TORCH + source)
            if d.code in LOSS_CODES]


def test_probabilities_rescaled_in_a_loop_then_logged() -> None:
    # logits processor: the softmax is reweighted before the log (and -inf is handled)
    assert loss_findings("""
def process(scores, g_values, depth):
    probs = torch.softmax(scores, dim=1)
    for i in range(depth):
        probs = probs * (1 + g_values[:, :, i])
    log_probs = torch.log(probs)
    return torch.where(torch.isfinite(log_probs), log_probs, -1e9)
""") == []


def test_log_of_distribution_probs_and_clamped_probabilities() -> None:
    assert loss_findings("""
def entropy_threshold(top_logits, probabilities, frames, eps=1e-6):
    dist = torch.distributions.Categorical(logits=top_logits)
    log_probs = torch.log(dist.probs)
    clamped = probabilities[frames].clamp(min=eps).log()
    probabilities = probabilities.clamp(min=eps, max=1.0)
    return log_probs, clamped, torch.log(probabilities)
""") == []


def test_bce_on_clamped_posterior() -> None:
    assert loss_findings("""
class Detector(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 1)

    def forward(self, x, labels):
        out = self.fc(x)
        out = torch.sigmoid(out)
        return nn.BCELoss()(torch.clamp(out, 1e-5, 1 - 1e-5), labels)
""") == []


def test_nll_on_model_returning_log_softmax_with_hidden_state() -> None:
    # an LSTM language model returns (log_softmax(decoded), hidden); the training step
    # unpacks the tuple and feeds the first part to nll_loss
    assert loss_findings("""
class SimpleLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.decoder = nn.Linear(8, 100)

    def forward(self, x, hidden):
        decoded = self.decoder(x).view(-1, 100)
        return F.log_softmax(decoded, dim=1), hidden


class Module(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = SimpleLSTM()

    def training_step(self, batch, hidden):
        inputs, target = batch
        output, hidden = self.model(inputs, hidden)
        return F.nll_loss(output, target.view(-1))
""") == []


def test_nll_on_delegating_forward_whose_model_reshapes_log_probs() -> None:
    # the inner model ends in ``F.log_softmax(x).view(...)``; the outer forward delegates
    assert loss_findings("""
class Transformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.decoder = nn.Linear(8, 100)

    def forward(self, x):
        output = self.decoder(x)
        output = F.log_softmax(output, dim=-1)
        return output.view(-1, 100)


class Module(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = Transformer()

    def forward(self, x):
        return self.model(x)

    def training_step(self, batch):
        inputs, target = batch
        return torch.nn.functional.nll_loss(self(inputs), target.view(-1))
""") == []


def test_attention_softmax_over_explicit_dims() -> None:
    assert loss_findings("""
def attention(query, key, value, mask=None):
    scores = torch.matmul(query, key.transpose(-2, -1))
    weights = nn.functional.softmax(scores, dim=-1, dtype=torch.float32)
    pooled = F.softmax(scores.mean(0), dim=0)
    return torch.matmul(weights, value), pooled
""") == []
