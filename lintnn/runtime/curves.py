"""The loss curve of a run, judged as it grows (the non-convergence notes' three shapes).

A loss curve that does not converge has one of three shapes: unstable from the start
(oscillating or diverging), a sudden divergence after progress, or a sudden oscillation
after a calm phase; and a classifier's loss can sit at chance level ``ln C``. Each
judgment reads a moving median (``smooth`` steps), so one bad batch is not a symptom.
Work per new point is constant: the state is kept, never recomputed from the start.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass, field
from itertools import pairwise

from lintnn.runtime.thresholds import Thresholds

REFERENCE = 200  # swings of the most recent earlier windows a new swing is compared with


@dataclass(frozen=True)
class Shape:
    """One judgment that fired: what (``kind``), at which step, and the numbers behind it."""

    kind: str
    step: int
    numbers: dict[str, float]


@dataclass
class LossCurve:
    """The per-step training loss and the state of its judgments."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    steps: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    smoothed: list[float] = field(default_factory=list)  # one per point from point smooth-1
    swings: list[float] = field(default_factory=list)  # moving median of |step-to-step change|
    best: float = math.inf
    best_step: int = 0
    calm: deque = field(default_factory=lambda: deque(maxlen=REFERENCE))  # earlier swings
    at_chance_since: int | None = None
    streaks: dict[str, int] = field(default_factory=dict)

    @property
    def start(self) -> float | None:
        """The first smoothed value: the scale the other judgments are measured against."""
        return self.smoothed[0] if self.smoothed else None

    def add(self, step: int, value: float, chance: float | None = None) -> list[Shape]:
        """Append one step's loss; return the shapes that became true with it."""
        t = self.thresholds
        self.steps.append(step)
        self.values.append(value)
        if not math.isfinite(value) or len(self.values) < t.smooth:
            return []
        window = self.values[-t.smooth:]
        if not all(math.isfinite(v) for v in window):
            return []
        now = statistics.median(window)
        self.smoothed.append(now)
        changes = [abs(b - a) for a, b in pairwise(window)]
        self.swings.append(statistics.median(changes))
        found = []
        if len(self.values) == t.start_window:
            found += self._from_start()
        if len(self.values) > t.start_window:
            found += self._sudden(step, now)
        if chance is not None:
            found += self._chance(step, now, chance)
        if len(self.smoothed) > t.smooth:  # the window before this one is entirely earlier
            earlier = self.smoothed[-t.smooth - 1]
            if earlier < self.best:
                self.best, self.best_step = earlier, self.steps[-t.smooth - 1]
            self.calm.append(self.swings[-t.smooth - 1])
        return found

    def _held(self, kind: str, condition: bool) -> bool:
        """True once ``condition`` has held for ``smooth`` points in a row (a window's worth:
        a short burst of bad batches is not a shape)."""
        self.streaks[kind] = self.streaks.get(kind, 0) + 1 if condition else 0
        return self.streaks[kind] == self.thresholds.smooth

    def _scale(self) -> float:
        return max(abs(self.start or 0.0), 1e-12)

    def _from_start(self) -> list[Shape]:
        t = self.thresholds
        k = max(3, t.start_window // 5)
        window = self.values[: t.start_window]
        first, last = statistics.median(window[:k]), statistics.median(window[-k:])
        scale = max(abs(first), 1e-12)
        swing = statistics.median(abs(b - a) for a, b in pairwise(window))
        numbers = {"first": first, "last": last, "swing": swing}
        if last - first > t.start_rise * scale:
            return [Shape("diverging", self.steps[t.start_window - 1], numbers)]
        if last > first - t.start_progress * scale and swing > t.swing * scale:
            return [Shape("oscillating", self.steps[t.start_window - 1], numbers)]
        return []

    def _sudden(self, step: int, now: float) -> list[Shape]:
        t = self.thresholds
        start = self.start
        assert start is not None
        found = []
        progress = start - self.best
        diverged = (progress > t.min_progress * self._scale()
                    and now - self.best > t.lost_progress * progress)
        if self._held("divergence", diverged):
            found.append(Shape("divergence", step, {"best": self.best, "best_step": self.best_step,
                                                    "now": now, "start": start}))
        swing = self.swings[-1]
        calm = statistics.median(self.calm) if len(self.calm) >= t.smooth else math.inf
        wild = swing > t.sudden_swing * self._scale() and swing > t.swing_jump * calm
        if self._held("oscillation", wild):
            found.append(Shape("oscillation", step, {"swing": swing, "calm": calm,
                                                     "start": start}))
        return found

    def _chance(self, step: int, now: float, chance: float) -> list[Shape]:
        t = self.thresholds
        if abs(now - chance) > t.chance_band * chance:
            self.at_chance_since = None
            return []
        if self.at_chance_since is None:
            self.at_chance_since = self.steps[max(0, len(self.steps) - t.smooth)]
        if step - self.at_chance_since + 1 >= t.chance_steps:
            return [Shape("chance", step, {"loss": now, "chance": chance,
                                           "since": self.at_chance_since})]
        return []
