"""Matplotlib figures of a report's measurements (``pip install 'lintnn[plot]'``).

Figures are built with :class:`matplotlib.figure.Figure`, never ``pyplot``, so making
them leaves the user's backend and open figures alone.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from lintnn.runtime.tables import (
    ACT_BAND,
    ALL_ZERO,
    UPDATE_TARGET,
    Measurements,
    event_steps,
    layer_order,
    module_of,
    thinned,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

TITLES = {
    "activations": "Activation std at init, per layer (0.5-2.0 shaded)",
    "gradients": "Gradient at init, per layer",
    "updates": "Update / weight ratio, log scale (1e-3 drawn)",
    "dead_relu": "Dead ReLU units, per layer",
    "loss": "Overfitting one batch: loss vs chance level",
}
_WARN, _OK = "#d9534f", "#4a7ab5"


def available() -> bool:
    """True when matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _figure() -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.2), layout="constrained")
    return fig, fig.add_subplot()


def _finite(values: dict[str, float]) -> dict[str, float]:
    return {k: v for k, v in values.items() if math.isfinite(v)}


def _log_scale(ax: Axes, values: list[float], spread: float = 10.0) -> None:
    """Log y axis when the positive finite values span more than ``spread`` (a log axis
    over less than a decade only has unreadable ticks; over no positive value, warnings)."""
    positive = [v for v in values if 0 < v < math.inf]
    if positive and max(positive) > spread * min(positive):
        ax.set_yscale("log")


def _bars(ax: Axes, values: dict[str, float], label: str, bad: set[str]) -> None:
    """One bar per layer; a NaN/Inf value gets no bar but its name written in red."""
    names = layer_order(list(values))
    heights = [values[n] if math.isfinite(values[n]) else 0.0 for n in names]
    colors = [_WARN if module_of(n) in bad or not math.isfinite(values[n]) else _OK
              for n in names]
    ax.bar(range(len(names)), heights, color=colors, label=label)
    for i, n in enumerate(names):
        if not math.isfinite(values[n]):
            ax.text(i, 0.03, str(values[n]), transform=ax.get_xaxis_transform(),
                    ha="center", color=_WARN, fontweight="bold")
    ax.set_xticks(range(len(names)), [n or "<root>" for n in names],
                  rotation=30 if len(names) > 4 else 0, ha="right" if len(names) > 4 else "center")


def _activations(m: Measurements, bad: set[str]) -> Figure:
    fig, ax = _figure()
    ax.axhspan(*ACT_BAND, color="#5cb85c", alpha=0.2, label="0.5-2.0")
    stds = _finite(m.act_std)
    _bars(ax, m.act_std, "_std", bad)  # "_": kept out of the legend
    ax.set_ylabel("activation std")
    if max(stds.values(), default=0.0) > 5 * ACT_BAND[1]:
        _log_scale(ax, list(stds.values()), spread=1.0)
    handles, labels = ax.get_legend_handles_labels()
    if m.act_mean:  # on its own axis: a mean of -4 must not stretch the std axis
        names = layer_order(list(m.act_std))
        twin = ax.twinx()
        twin.plot(range(len(names)), [m.act_mean.get(n, math.nan) for n in names], "D",
                  color="black", label="mean")
        twin.set_ylabel("activation mean")
        more, extra = twin.get_legend_handles_labels()
        handles, labels = handles + more, labels + extra
    ax.legend(handles, labels, loc="upper right", fontsize="small")
    return fig


def _gradients(m: Measurements, bad: set[str]) -> Figure:
    fig, ax = _figure()
    _bars(ax, m.grad, m.grad_label, bad)
    _log_scale(ax, list(m.grad.values()))
    ax.set_ylabel(m.grad_label)
    if m.all_gradients_zero:
        ax.text(0.5, 0.5, ALL_ZERO, transform=ax.transAxes, ha="center", va="center",
                color=_WARN, wrap=True)
    return fig


def _updates(m: Measurements, bad: set[str]) -> Figure:
    fig, ax = _figure()
    if all(len(r) == 1 for r in m.updates.values()):  # one step: a bar per parameter
        _bars(ax, {k: r[0] for k, r in m.updates.items()}, "_after step 1", bad)
        ax.axhline(UPDATE_TARGET, color="black", linestyle="--", linewidth=1, label="1e-3")
        ax.set_yscale("log")
        ax.set_ylabel("|update| / |weight|")
        ax.legend(loc="best", fontsize="small")
        return fig
    for name in layer_order(list(m.updates)):
        ratios = m.updates[name]
        ax.plot(range(1, len(ratios) + 1), ratios, marker="o", label=name,
                linewidth=2.5 if module_of(name) in bad else 1.2)
    ax.axhline(UPDATE_TARGET, color="black", linestyle="--", linewidth=1, label="1e-3")
    ax.set_yscale("log")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("|update| / |weight|")
    ax.legend(loc="best", fontsize="x-small", ncols=2)
    return fig


def _dead(m: Measurements, bad: set[str]) -> Figure:
    fig, ax = _figure()
    _bars(ax, m.dead, "dead fraction", bad)
    ax.axhline(0.5, color="black", linestyle="--", linewidth=1)
    ax.set_ylim(0, 1)
    ax.set_ylabel("fraction dead")
    return fig


def _loss(m: Measurements, bad: set[str]) -> Figure:
    fig, ax = _figure()
    finite = [v if math.isfinite(v) else math.nan for v in m.loss]
    ax.plot(range(len(m.loss)), finite, color=_OK, label="loss")
    if len(finite) > 1 and not math.isfinite(m.loss[-1]):
        ax.annotate(f"{m.loss[-1]} at step {len(m.loss) - 1}", (1, 1), xycoords="axes fraction",
                    ha="right", va="top", color=_WARN, xytext=(-6, -22),
                    textcoords="offset points")
    if m.chance is not None:
        ax.axhline(m.chance, color=_WARN, linestyle="--",
                   label=f"chance -ln(1/C) = {m.chance:.3g}")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.legend(loc="best", fontsize="small")
    return fig


def figures(m: Measurements, flagged: set[str] | Mapping[str, set[str]] | None = None,
            titles: bool = True) -> dict[str, Figure]:
    """One figure per measured view; layers in ``flagged`` (module paths, or per view as
    :func:`lintnn.runtime.tables.flagged_views` gives them) are drawn red."""
    found = {}
    draw = {"activations": _activations, "gradients": _gradients, "updates": _updates,
            "dead_relu": _dead, "loss": _loss}
    for name in m.views():
        bad = (flagged.get(name, set()) if isinstance(flagged, Mapping)
               else flagged or set())
        fig = draw[name](m, bad)
        if titles:
            fig.axes[0].set_title(TITLES[name], fontsize="medium", loc="left")
        found[name] = fig
    return found


def svg(fig: Figure, prefix: str) -> str:
    """``fig`` as an inline ``<svg>`` element: no XML header, DOCTYPE, metadata or
    namespace URLs, and ids prefixed so several figures can share one page."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": prefix}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)
    text = re.sub(r'\sid="', f' id="{prefix}-', text)
    text = text.replace("url(#", f"url(#{prefix}-").replace('href="#', f'href="#{prefix}-')
    return text


# -- the training monitor's timeline ---------------------------------------------------

TIMELINE_TITLES = {
    "timeline_loss": "Training loss per step, chance level, validation loss",
    "timeline_gradients": "Gradient norm per layer over the sampled steps (log scale)",
    "timeline_updates": "Update / weight ratio per layer over the sampled steps (1e-3 drawn)",
}


def _events(ax: Axes, events: list[tuple[int, str]]) -> None:
    """A dashed line at each step where a finding fired, labelled with its codes."""
    by_step: dict[int, list[str]] = {}
    for step, code in events:
        by_step.setdefault(step, []).append(code)
    for step, codes in sorted(by_step.items()):
        ax.axvline(step, color=_WARN, linestyle=":", linewidth=1)
        ax.annotate(" ".join(dict.fromkeys(codes)), (step, 1), xycoords=("data", "axes fraction"),
                    rotation=90, va="top", ha="right", fontsize="x-small", color=_WARN)


def _timeline_loss(t: dict, events: list[tuple[int, str]]) -> Figure:
    fig, ax = _figure()
    keep = {s for s, _ in events}
    steps, values = thinned(t["loss_steps"], t["loss"], keep)
    ax.plot(steps, [v if math.isfinite(v) else math.nan for v in values], color=_OK,
            linewidth=1, label="training loss")
    if t.get("chance") is not None:
        ax.axhline(t["chance"], color="black", linestyle="--", linewidth=1,
                   label=f"chance -ln(1/C) = {t['chance']:.3g}")
    if t.get("val"):
        ax.plot([s for s, _ in t["val"]], [v for _, v in t["val"]], "o-", color="#5cb85c",
                markersize=3, label="validation loss")
    _events(ax, events)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.legend(loc="best", fontsize="small")
    return fig


def _timeline_layers(t: dict, key: str, events: list[tuple[int, str]], ylabel: str,
                     bad: set[str]) -> Figure:
    fig, ax = _figure()
    steps = t["sample_steps"]
    for name in layer_order(list(t[key])):
        points = [(s, v) for s, v in zip(steps, t[key][name], strict=True)
                  if v is not None and 0 < v < math.inf]
        if points:
            ax.plot([s for s, _ in points], [v for _, v in points], marker=".",
                    label=name or "<root>", linewidth=2.5 if module_of(name) in bad else 1.0)
    if key == "update_ratio":
        ax.axhline(UPDATE_TARGET, color="black", linestyle="--", linewidth=1, label="1e-3")
    ax.set_yscale("log")
    _events(ax, events)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    if t[key]:
        ax.legend(loc="best", fontsize="x-small", ncols=2)
    return fig


def timeline_figures(t: dict, flagged: set[str] | None = None) -> dict[str, Figure]:
    """The monitor's timeline: the loss with the chance line and the validation loss,
    per-layer gradient norms and update ratios over the sampled steps; a dotted line marks
    the step where each finding fired."""
    events = event_steps(t)
    found = {"timeline_loss": _timeline_loss(t, events)}
    if t.get("grad_norm"):
        found["timeline_gradients"] = _timeline_layers(t, "grad_norm", events, "|grad|",
                                                       flagged or set())
    if t.get("update_ratio"):
        found["timeline_updates"] = _timeline_layers(t, "update_ratio", events,
                                                     "|update| / |weight|", flagged or set())
    return found
