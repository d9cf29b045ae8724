"""Whether a file trains anything: the scope of the rules that judge a model's design.

A rule about how a network is built (two affine layers with no activation between them)
speaks to the code where that network is being designed and trained: a course notebook,
a training script, a research repository's ``train.py``. A library that ports published
architectures keeps their quirks on purpose, so that the original checkpoints load (a head
that projects twice, a factorised projection with default biases), and trains nothing
itself. Such rules ask :func:`trains_here` first.

The evidence is a call that only training code makes: a backward pass, an optimizer
step or a ``torch.optim`` optimizer built (PyTorch), ``fit`` / ``train_on_batch`` /
``compile`` (not ``re``'s or ``torch``'s) / ``GradientTape`` (Keras), ``jax.grad`` /
``value_and_grad`` / optax / ``apply_gradients`` (JAX), a Lightning ``Trainer`` or
``training_step``. It is read from the text, where each pattern lies inside one
statement; the language server's cache is told which words the answer rests on
(:meth:`FileContext.depends_on_mentions`), so an edit that adds or removes the training
loop re-judges every statement that asked.
"""

from __future__ import annotations

import functools
import re

from lintnn.static.syntax.context import FileContext

# Each word is in every match of the patterns that follow it (what the cache keys on).
_EVIDENCE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("backward", re.compile(r"\.backward\s*\(")),
    ("step", re.compile(r"\.step\s*\(|\btraining_step\b")),
    ("fit", re.compile(r"\.fit(?:_generator)?\s*\(")),
    ("train_on_batch", re.compile(r"\.train_on_batch\s*\(")),
    ("compile", re.compile(r"(?<!\bre)(?<!\btorch)(?<!\bjax)\.compile\s*\(")),
    ("GradientTape", re.compile(r"\bGradientTape\b")),
    ("grad", re.compile(r"\b(?:value_and_grad|grad)\s*\(")),
    ("optax", re.compile(r"\boptax\b")),
    ("apply_gradients", re.compile(r"\.apply_gradients\s*\(")),
    ("Trainer", re.compile(r"\bTrainer\s*\(")),
    ("optim", re.compile(r"\boptim\.[A-Z]\w*\s*\(")),
)


def trains_here(ctx: FileContext) -> bool:
    """Whether ``ctx``'s file (a notebook: any of its cells) makes a call only training
    code makes. The answer rests on the mentions of the words up to the first that
    matches (all of them when none does): those are noted for the cache."""
    found = _first_evidence(ctx.source)
    for word, _ in _EVIDENCE[:len(_EVIDENCE) if found is None else found + 1]:
        ctx.depends_on_mentions(word)
    return found is not None


@functools.lru_cache(maxsize=8)
def _first_evidence(source: str) -> int | None:
    """The position in ``_EVIDENCE`` of the first kind of evidence ``source`` holds:
    searched once per text, however many statements of a file ask."""
    return next((i for i, (word, pattern) in enumerate(_EVIDENCE)
                 if word in source and pattern.search(source)), None)
