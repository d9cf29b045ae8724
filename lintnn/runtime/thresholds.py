"""The training monitor's thresholds (NR401-NR413), with defaults from the checklists.

Every judgment of :mod:`lintnn.runtime.judge` reads its numbers from one
:class:`Thresholds`; pass ``thresholds=Thresholds(chance_steps=500)`` (or a dict of the
fields to change) to ``monitor`` to move one.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class Thresholds:
    """What counts as a symptom. Steps are optimizer steps; samples are sampled steps."""

    # The loss curve: the three non-convergence shapes and chance level (NR402-NR405).
    smooth: int = 10  # steps in the moving median every curve judgment reads
    start_window: int = 50  # the first steps, judged once as "from the start" (NR402)
    start_rise: float = 0.5  # NR402 diverging: the loss rose by this fraction of its start
    start_progress: float = 0.15  # NR402 oscillating: fell by less than this fraction ...
    swing: float = 0.15  # ... while the median step-to-step change exceeds this fraction of
    #                      the start (the minibatch noise of a slow healthy start is ~0.05)
    min_progress: float = 0.2  # NR403: progress (fraction of the start) before a fall counts
    lost_progress: float = 0.5  # NR403: the smoothed loss gave back this fraction of it
    sudden_swing: float = 0.3  # NR404: the median step-to-step change exceeds this fraction
    swing_jump: float = 4.0  # of the start and this multiple of the earlier swings' median
    chance_steps: int = 100  # NR405: steps the loss must sit at chance before it is said
    chance_band: float = 0.05  # NR405: "at chance" is within this fraction of ln C
    # Gradients per layer (37 reasons #35).
    grad_ratio_high: float = 1e2  # NR406: |grad| / |weight| of a layer above this
    grad_growth: float = 100.0  # NR406: a layer's |grad| grew this many times since the start
    grad_ratio_low: float = 1e-3  # NR407: |grad|/|weight| below this times the median layer's
    # Updates per layer (37 reasons #33): |update| / |weight| around 1e-3.
    update_low: float = 1e-5  # NR408, judged while the learning rate is near its peak and
    #                           the loss above half its start (a converged run updates little)
    update_high: float = 1e-1  # NR408
    # ReLUs that stop firing (CNN guide: make sure ReLUs still fire).
    dead_fraction: float = 0.5  # NR409: more than this fraction of units never fire ...
    dead_rise: float = 0.25  # ... and this much more than at the first sample
    # Parameters that never train (37 reasons #23; CNN guide: variables that do not train).
    no_grad_samples: int = 5  # NR410: no gradient at each of the first this-many samples
    # The learning rate (37 reasons #36).
    lr_zero: float = 1e-3  # NR411: below this fraction of the group's peak ...
    lr_zero_share: float = 0.1  # ... for at least this share of the steps so far
    lr_fall: float | None = 0.5  # NR412: rising again after falling below this fraction of
    #                              its peak (None: off, for cyclic schedules)
    # Train/validation gap (when a validation loss is given).
    val_rise: float = 0.1  # NR413: val loss this fraction above its minimum while train falls
    confirm: int = 3  # samples (or validation readings) a symptom must persist

    @classmethod
    def of(cls, value: Thresholds | dict[str, Any] | None) -> Thresholds:
        """``value`` itself, the defaults, or the defaults with a dict's fields changed."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, dict):
            known = {f.name for f in fields(cls)}
            unknown = sorted(set(value) - known)
            if unknown:
                raise TypeError(f"unknown threshold(s) {unknown}; known: {sorted(known)}")
            return replace(cls(), **value)
        raise TypeError(f"thresholds must be a Thresholds or a dict, not {type(value).__name__}")
