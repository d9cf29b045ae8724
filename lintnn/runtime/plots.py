"""Matplotlib figures of a report's measurements (``pip install 'lintnn[plot]'``).

Figures are built with :class:`matplotlib.figure.Figure`, never ``pyplot``, so making
them leaves the user's backend and open figures alone.
"""

from __future__ import annotations

import io
import math
import re
from typing import TYPE_CHECKING

from lintnn.runtime.tables import ACT_BAND, UPDATE_TARGET, Measurements, layer_order, owner

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


def _bars(ax: Axes, values: dict[str, float], label: str, bad: set[str]) -> None:
    names = layer_order(list(values))
    heights = [values[n] for n in names]
    colors = [_WARN if owner(n) in bad else _OK for n in names]
    ax.bar(range(len(names)), heights, color=colors, label=label)
    ax.set_xticks(range(len(names)), [n or "<root>" for n in names],
                  rotation=30 if len(names) > 4 else 0, ha="right" if len(names) > 4 else "center")


def _activations(m: Measurements, bad: set[str]) -> Figure:
    fig, ax = _figure()
    ax.axhspan(*ACT_BAND, color="#5cb85c", alpha=0.2, label="0.5-2.0")
    _bars(ax, m.act_std, "std", bad)
    if m.act_mean:
        names = layer_order(list(m.act_mean))
        ax.plot(range(len(names)), [m.act_mean[n] for n in names], "D", color="black",
                label="mean")
    ax.set_ylabel("activation std")
    if any(v > 0 for v in m.act_std.values()) and max(m.act_std.values()) > 5 * ACT_BAND[1]:
        ax.set_yscale("log")
    ax.legend(loc="upper right", fontsize="small")
    return fig


def _gradients(m: Measurements, bad: set[str]) -> Figure:
    fig, ax = _figure()
    _bars(ax, {k: v for k, v in m.grad.items() if math.isfinite(v)}, m.grad_label, bad)
    if any(v > 0 for v in m.grad.values()):
        ax.set_yscale("log")
    ax.set_ylabel(m.grad_label)
    return fig


def _updates(m: Measurements, bad: set[str]) -> Figure:
    fig, ax = _figure()
    if all(len(r) == 1 for r in m.updates.values()):  # one step: a bar per parameter
        _bars(ax, {k: r[0] for k, r in m.updates.items()}, "after step 1", bad)
        ax.axhline(UPDATE_TARGET, color="black", linestyle="--", linewidth=1, label="1e-3")
        ax.set_yscale("log")
        ax.set_ylabel("|update| / |weight|")
        ax.legend(loc="best", fontsize="small")
        return fig
    for name in layer_order(list(m.updates)):
        ratios = m.updates[name]
        ax.plot(range(1, len(ratios) + 1), ratios, marker="o", label=name,
                linewidth=2.5 if owner(name) in bad else 1.2)
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
    ax.plot(range(len(m.loss)), m.loss, color=_OK, label="loss")
    if m.chance is not None:
        ax.axhline(m.chance, color=_WARN, linestyle="--",
                   label=f"chance -ln(1/C) = {m.chance:.3g}")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.legend(loc="best", fontsize="small")
    return fig


def figures(m: Measurements, flagged: set[str] | None = None,
            titles: bool = True) -> dict[str, Figure]:
    """One figure per measured view; layers in ``flagged`` (module paths) are drawn red."""
    bad = flagged or set()
    found = {}
    draw = {"activations": _activations, "gradients": _gradients, "updates": _updates,
            "dead_relu": _dead, "loss": _loss}
    for name in m.views():
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
