"""The per-layer numbers of a check's result, read once, and their compact terminal table.

The PyTorch and JAX shims name their measurements differently (``loss_curve`` vs
``overfit_losses``, ``dead_relu`` vs ``dead_relus``); :func:`measurements` reads either, so
the table, the plots and the HTML page all show the same numbers.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from lintnn.runtime.results import CheckResult

ACT_BAND = (0.5, 2.0)  # the activation std a well-initialized layer keeps (shaded)
UPDATE_TARGET = 1e-3  # the update/weight ratio of a sane learning rate (drawn)
VIEWS = {"activations": "act_std", "gradients": "grad", "updates": "updates",
         "dead_relu": "dead", "loss": "loss"}  # view name -> Measurements attribute
ALL_ZERO = ("every gradient is 0 at init: no training signal reaches any layer (a dead "
            "ReLU, a detached output or a constant loss)")
VIEW_CODES = {"activations": ("NR306",), "gradients": ("NR305",), "updates": ("NR307",),
              "dead_relu": ("NR304",), "loss": ("NR301", "NR302")}  # what a view draws red


@dataclass
class Measurements:
    """What the health check measured, per layer, in the shape the views need."""

    act_mean: dict[str, float] = field(default_factory=dict)
    act_std: dict[str, float] = field(default_factory=dict)
    grad: dict[str, float] = field(default_factory=dict)
    grad_label: str = "|grad| / |weight|"
    updates: dict[str, list[float]] = field(default_factory=dict)
    dead: dict[str, float] = field(default_factory=dict)
    loss: list[float] = field(default_factory=list)
    chance: float | None = None

    @property
    def all_gradients_zero(self) -> bool:
        """Every layer's gradient is exactly 0: the gradient view has bars of no height."""
        return bool(self.grad) and all(v == 0 for v in self.grad.values())

    def views(self) -> list[str]:
        """The views (``activations``, ``gradients``, ...) that have numbers, in page order."""
        return [name for name, attr in VIEWS.items() if getattr(self, attr)]

    def to_json(self) -> dict[str, Any]:
        """The numbers as JSON-safe values (non-finite floats become ``None``)."""
        return json_safe({"activation_mean": self.act_mean, "activation_std": self.act_std,
                      "gradient": self.grad, "gradient_label": self.grad_label,
                      "update_weight_ratio": self.updates, "dead_relu": self.dead,
                      "loss_curve": self.loss, "chance_loss": self.chance})


def json_safe(v: Any) -> Any:
    """``v`` with every non-finite float (nested in dicts and lists) replaced by ``None``."""
    if isinstance(v, dict):
        return {k: json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_safe(x) for x in v]
    return v if not isinstance(v, float) or math.isfinite(v) else None


def _floats(value: Any) -> dict[str, float]:
    return {str(k): float(v) for k, v in (value or {}).items()}


def measurements(report: CheckResult) -> Measurements:
    """Read the measurements of ``report.data`` (PyTorch or JAX keys)."""
    data = report.data
    m = Measurements(act_mean=_floats(data.get("activation_mean")),
                     act_std=_floats(data.get("activation_std")),
                     dead=_floats(data.get("dead_relu") or data.get("dead_relus")),
                     loss=[float(v) for v in data.get("loss_curve")
                           or data.get("overfit_losses") or []])
    if "grad_weight_ratio" in data:
        m.grad = _floats(data["grad_weight_ratio"])
    elif "grad_norms" in data:
        m.grad, m.grad_label = _floats(data["grad_norms"]), "|grad|"
    for name, ratio in (data.get("update_weight_ratio") or {}).items():
        m.updates[str(name)] = ([float(r) for r in ratio] if isinstance(ratio, (list, tuple))
                                else [float(ratio)])
    chance = data.get("chance_loss")
    if chance is None:
        chance = next((f.extra["chance"] for f in report.findings if "chance" in f.extra), None)
    m.chance = None if chance is None else float(chance)
    return m


def flagged(report: CheckResult, codes: tuple[str, ...] | None = None) -> set[str]:
    """Module paths that some finding of ``report`` (or one folded under a root cause)
    points at; with ``codes``, only findings with one of those codes."""
    every = [g for f in report.findings for g in (f, *f.extra.get("consequences", ()))]
    return {f.module for f in every if f.module is not None and (codes is None or f.code in codes)}


def flagged_views(report: CheckResult) -> dict[str, set[str]]:
    """Per view, the modules its own finding code flags: a layer is drawn red in the
    activation plot for NR306, not because it has a dead-ReLU finding."""
    return {view: flagged(report, codes) for view, codes in VIEW_CODES.items()}


def owner(name: str) -> str:
    """``layers.0.weight`` -> ``layers.0``; module paths of the other views pass unchanged."""
    head, _, last = name.rpartition(".")
    return head if last in ("weight", "kernel", "bias") else name


def module_of(name: str) -> str:
    """The module path a view's key belongs to: ``head.weight`` -> ``head``, JAX's
    ``<root>@model.py:9`` -> ``""``; what findings' ``module`` is compared with."""
    name = owner(name.partition("@")[0] if "@" in name else name)
    return "" if name == "<root>" else name


def layer_order(names: list[str]) -> list[str]:
    """Model order for dotted paths from different views: ``0, 1, 2`` for a Sequential's
    indices, first appearance for named children."""
    seen: dict[tuple[str, ...], int] = {}
    for name in names:
        parts = tuple(name.split("."))
        for i in range(1, len(parts) + 1):
            seen.setdefault(parts[:i], len(seen))

    def key(name: str) -> tuple[tuple[int, int], ...]:
        parts = tuple(name.split("."))
        return tuple((0, int(p)) if p.isdigit() else (1, seen[parts[:i + 1]])
                     for i, p in enumerate(parts))

    return sorted(dict.fromkeys(names), key=key)


def rows(report: CheckResult) -> list[dict[str, Any]]:
    """One row per layer: its numbers from each view and the codes of its findings."""
    m = measurements(report)
    cells: dict[str, dict[str, Any]] = {}
    views = {"act std": m.act_std, "act mean": m.act_mean, "grad": m.grad,
             "update/w": {k: v[-1] for k, v in m.updates.items() if v}, "dead ReLU": m.dead}
    for column, values in views.items():
        for name, value in values.items():
            cells.setdefault(owner(name), {})[column] = value
    for name, row in cells.items():
        codes = [f.code for f in report.findings if f.module == module_of(name)]
        if codes:
            row["findings"] = codes
    return [{"layer": name, **cells[name]} for name in layer_order(list(cells))]


def _fmt(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column == "findings":
        return " ".join(dict.fromkeys(value))
    if column == "dead ReLU":
        return f"{value:.0%}"
    return f"{value:.3g}"


_COLUMNS = ("act mean", "act std", "grad", "update/w", "dead ReLU", "findings")


def grid(report: CheckResult) -> tuple[list[str], list[list[str]], list[bool]]:
    """Header, formatted cells and which rows have findings."""
    data = rows(report)
    columns = ["layer"] + [c for c in _COLUMNS if any(c in r for r in data)]
    grid = [[(r["layer"] or "<root>") if c == "layer" else _fmt(c, r.get(c)) for c in columns]
            for r in data]
    label = measurements(report).grad_label
    header = [label if c == "grad" else c for c in columns]
    return header, grid, [bool(r.get("findings")) for r in data]


def table_text(report: CheckResult) -> str:
    """The per-layer table as aligned plain text ('' when nothing was measured)."""
    header, cells, _ = grid(report)
    if not cells:
        return ""
    widths = [max(len(x) for x in col) for col in zip(header, *cells, strict=True)]
    lines = ["  ".join(x.ljust(w) if i == 0 else x.rjust(w)
                       for i, (x, w) in enumerate(zip(line, widths, strict=True)))
             for line in [header, *cells]]
    return "\n".join(line.rstrip() for line in lines)


def print_table(report: CheckResult, stream: TextIO | None = None) -> None:
    """Print the per-layer table: with rich on a terminal when it is installed."""
    stream = stream or sys.stdout
    header, cells, flagged = grid(report)
    if not cells:
        return
    if stream.isatty():
        try:
            from rich.console import Console
            from rich.table import Table
        except ImportError:
            pass
        else:
            table = Table(title="per-layer measurements", title_justify="left")
            for c in header:
                table.add_column(c, justify="left" if c in ("layer", "findings") else "right")
            for row, bad in zip(cells, flagged, strict=True):
                table.add_row(*row, style="yellow" if bad else None)
            Console(file=stream).print(table)
            return
    stream.write(table_text(report) + "\n")


# -- the training monitor's timeline ---------------------------------------------------

TIMELINE_POINTS = 2000  # a loss curve longer than this is drawn from every k-th step


def timeline_of(report: CheckResult) -> dict[str, Any] | None:
    """The monitor's timeline (``report.data["timeline"]``), or None for other checks."""
    timeline = report.data.get("timeline")
    return timeline if isinstance(timeline, dict) and timeline.get("loss_steps") is not None \
        else None


def thinned(steps: list[int], values: list[float], keep: set[int] | None = None,
            limit: int = TIMELINE_POINTS) -> tuple[list[int], list[float]]:
    """At most about ``limit`` points of a long series, always keeping the steps in ``keep``
    (where findings fired) and the last point."""
    if len(steps) <= limit:
        return list(steps), list(values)
    stride = -(-len(steps) // limit)
    keep = keep or set()
    picked = [i for i, s in enumerate(steps)
              if i % stride == 0 or s in keep or i == len(steps) - 1]
    return [steps[i] for i in picked], [values[i] for i in picked]


def event_steps(timeline: dict[str, Any]) -> list[tuple[int, str]]:
    """``(step, code)`` of each finding; findings about the setup are placed at step 0."""
    return [(e["step"] if e.get("step") is not None else 0, e["code"])
            for e in timeline.get("events", [])]


def timeline_grid(timeline: dict[str, Any], key: str) -> tuple[list[str], list[list[str]]]:
    """One row per layer, one column per sampled step: ``grad_norm`` or ``update_ratio``."""
    steps = timeline.get("sample_steps", [])
    values: dict[str, list[float | None]] = timeline.get(key, {})
    header = ["layer", *[f"step {s}" for s in steps]]
    body = [[name or "<root>", *["" if v is None else f"{v:.3g}" for v in row]]
            for name, row in ((n, values[n]) for n in layer_order(list(values)))]
    return header, body
