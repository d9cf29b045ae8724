"""Keras runs for ``test_keras.py``, in a fresh process per backend (Keras picks its backend
once, at import): ``python keras_runs.py torch|jax`` prints each scenario's findings as JSON."""

from __future__ import annotations

import contextlib
import json
import os
import sys

os.environ["KERAS_BACKEND"] = sys.argv[1]

import keras
import numpy as np

from lintnn.keras import MonitorCallback
from lintnn.runtime.errors import NonFiniteError

if sys.argv[1] == "torch":
    import torch

    torch.set_num_threads(1)

CLASSES = 4
rng = np.random.default_rng(0)
MAP = rng.normal(size=(10, CLASSES))


def data(n: int, random_labels: bool = False) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(size=(n, 10)).astype("float32")
    y = rng.integers(0, CLASSES, n) if random_labels else (x @ MAP).argmax(1)
    return x, y


def model(lr: float | keras.optimizers.schedules.LearningRateSchedule = 1e-2) -> keras.Model:
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((10,)), keras.layers.Dense(32, activation="relu"),
                          keras.layers.Dense(32, activation="relu"),
                          keras.layers.Dense(CLASSES)])
    m.compile(optimizer=keras.optimizers.Adam(lr),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m


def fit(m: keras.Model, x: np.ndarray, y: np.ndarray, **kw: object) -> list:
    callback = MonitorCallback(num_classes=CLASSES, on_finding=lambda d: None)
    with contextlib.suppress(NonFiniteError):  # the callback raises it; the report stays
        m.fit(x, y, batch_size=32, verbose=0, callbacks=[callback], **{"shuffle": True, **kw})
    rep = callback.report
    return [[f.code, f.extra.get("step"), f.module] for f in rep.findings] + [
        ["steps", rep.data["monitor"]["steps"], len(rep.data["timeline"]["loss"])]]


results = {}
x, y = data(6400)
vx, vy = data(512)
results["healthy"] = fit(model(), x, y, epochs=1, validation_data=(vx, vy))
rx, ry = data(3200, random_labels=True)
results["chance"] = fit(model(), rx, ry, epochs=1)
bad = x[:640].copy()
bad[6 * 32 + 5, 0] = np.nan  # a dirty sample in the 7th batch (no shuffling below)
results["nan"] = fit(model(), bad, y[:640], epochs=1, shuffle=False)
decay = keras.optimizers.schedules.ExponentialDecay(1e-2, decay_steps=10, decay_rate=0.05,
                                                   staircase=True)
results["lr_zero"] = fit(model(decay), x[:3200], y[:3200], epochs=1)
inputs = keras.Input((10,))
keras.utils.set_random_seed(0)
hidden = keras.layers.Dense(32, activation="relu", name="hidden")(inputs)
muted = keras.layers.Lambda(lambda t: t * 0.0)(keras.layers.Dense(32, name="muted")(inputs))
outputs = keras.layers.Dense(CLASSES, name="head")(keras.layers.Add()([hidden, muted]))
m = keras.Model(inputs, outputs)
m.compile(optimizer=keras.optimizers.Adam(1e-2),
          loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
results["muted"] = fit(m, x[:1600], y[:1600], epochs=1)
print("RESULTS " + json.dumps(results))
