"""The monitor's judge on synthetic series: the shapes it must name, and the healthy look-alikes
it must leave alone (a spike, a warmup from 0, a cosine that ends at 0, a warm restart)."""

from __future__ import annotations

import math
import random

from lintnn.runtime.judge import Judge, ParamInfo, Sample
from lintnn.runtime.thresholds import Thresholds

PARAMS = [ParamInfo("fc.weight", "fc", 0, True, True), ParamInfo("fc.bias", "fc", 0, True, False)]


def codes(judge: Judge) -> list[str]:
    return [f.code for f in judge.findings]


def decaying(steps: int, seed: int = 0, noise: float = 0.05) -> list[float]:
    rng = random.Random(seed)
    return [0.3 + 2.0 * math.exp(-i / 60) + rng.gauss(0, noise) for i in range(steps)]


def feed(values: list[float], num_classes: int | None = None) -> Judge:
    judge = Judge(PARAMS, num_classes=num_classes)
    for step, v in enumerate(values):
        judge.add_loss(step, v)
    return judge


def test_a_decaying_noisy_loss_is_healthy() -> None:
    for seed in range(5):
        assert codes(feed(decaying(2000, seed), num_classes=10)) == []


def test_one_bad_batch_is_not_a_divergence() -> None:
    values = decaying(400)
    values[250:253] = [9.0, 9.0, 9.0]
    assert codes(feed(values)) == []


def test_sudden_divergence_after_progress() -> None:
    values = decaying(300) + [3.0 + 0.01 * i for i in range(40)]
    judge = feed(values)
    assert codes(judge) == ["NR403"]
    assert 300 < judge.findings[0].extra["step"] <= 300 + 2 * 10


def test_rising_from_the_start() -> None:
    judge = feed([1.0 * 1.03 ** i for i in range(60)])
    assert codes(judge) == ["NR402"] and judge.findings[0].extra["step"] == 49


def test_oscillating_from_the_start() -> None:
    judge = feed([2.0 + (0.6 if i % 2 else -0.6) for i in range(60)])
    assert codes(judge) == ["NR402"] and "oscillating" in judge.findings[0].message


def test_sudden_oscillation_after_a_calm_stretch() -> None:
    values = decaying(300) + [0.5 + (1.0 if i % 2 else 0.0) for i in range(40)]
    judge = feed(values)
    assert "NR404" in codes(judge)


def test_stuck_at_chance_needs_its_steps() -> None:
    rng = random.Random(1)
    values = [math.log(10) + rng.gauss(0, 0.02) for _ in range(150)]
    judge = feed(values[:95], num_classes=10)
    assert codes(judge) == []
    judge = feed(values, num_classes=10)
    assert codes(judge) == ["NR405"] and judge.findings[0].extra["step"] == 99


def lr_samples(lrs: list[float], every: int = 10) -> Judge:
    judge = Judge(PARAMS, Thresholds())
    for i, lr in enumerate(lrs):
        judge.add_sample(Sample(step=i * every, lrs=[lr]))
    return judge


def cosine(steps: int, period: int, every: int = 10) -> list[float]:
    return [0.5e-3 * (1 + math.cos(math.pi * (s % (2 * period)) / period))
            for s in range(0, steps, every)]


def test_cosine_to_zero_at_the_end_is_healthy() -> None:
    assert codes(lr_samples(cosine(10000, 10000))) == []


def test_warmup_from_zero_is_healthy() -> None:
    warm = [1e-3 * min(1.0, s / 200) for s in range(0, 2000, 10)]
    assert codes(lr_samples(warm)) == []


def test_warm_restarts_are_healthy() -> None:
    restarts = [1e-3 * (1 - (s % 500) / 500) for s in range(0, 3000, 10)]
    assert codes(lr_samples(restarts)) == []


def test_cosine_shorter_than_the_run_rises_again() -> None:
    judge = lr_samples(cosine(2000, 300))
    assert codes(judge) == ["NR412"]


def test_schedule_that_reaches_zero_early() -> None:
    step_decay = [1e-3 * 0.05 ** (s // 100) for s in range(0, 2000, 10)]
    judge = lr_samples(step_decay)
    assert codes(judge) == ["NR411"] and judge.findings[0].extra["since"] == 300


def test_group_with_learning_rate_zero() -> None:
    judge = lr_samples([0.0] * 5)
    assert codes(judge) == ["NR410"] and judge.findings[0].extra["step"] == 20


def test_validation_gap_needs_the_training_loss_to_fall() -> None:
    judge = feed(decaying(300))
    for step, val in [(50, 1.0), (100, 0.9), (150, 1.1), (200, 1.3), (250, 1.5)]:
        judge.add_val_loss(step, val)
    assert codes(judge) == ["NR413"] and judge.findings[0].extra["step"] == 250
    flat = feed([1.0] * 300)
    for step, val in [(50, 1.0), (100, 0.9), (150, 1.1), (200, 1.3), (250, 1.5)]:
        flat.add_val_loss(step, val)
    assert codes(flat) == []  # both got worse: not a gap


def test_each_symptom_is_said_once_per_layer() -> None:
    judge = Judge(PARAMS)
    for i in range(20):
        judge.add_sample(Sample(step=i, lrs=[1e-3], grad_norm={"fc": 1e4},
                                weight_norm={"fc": 1.0}, update_norm={"fc": 1e-3}))
    assert codes(judge) == ["NR406"]


def test_timeline_lines_up_samples_and_layers() -> None:
    judge = Judge(PARAMS)
    judge.add_sample(Sample(step=0, lrs=[1e-3], grad_norm={"fc": 1.0}, weight_norm={"fc": 2.0},
                            update_norm={"fc": 0.002}))
    judge.add_sample(Sample(step=10, lrs=[1e-3]))
    t = judge.timeline()
    assert t["sample_steps"] == [0, 10]
    assert t["grad_norm"] == {"fc": [1.0, None]}
    assert t["update_ratio"] == {"fc": [0.001, None]}
