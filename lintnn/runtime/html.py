"""One self-contained HTML page for a check's result: findings, per-layer plots, tables.

Nothing on the page is fetched: figures are inline SVG, the style is inline, and the
numbers behind every figure are embedded as JSON (``<script id="lintnn-data">``) so a
reader, or a test, can check the plot against the report. Without matplotlib the page
shows the tables and says how to get the plots.
"""

from __future__ import annotations

import json
import math
from html import escape
from pathlib import Path
from typing import Any

from lintnn.runtime import plots
from lintnn.runtime.errors import NonFiniteError
from lintnn.runtime.results import CheckResult
from lintnn.runtime.tables import (
    ALL_ZERO,
    Measurements,
    event_steps,
    flagged,
    flagged_views,
    grid,
    json_safe,
    layer_order,
    measurements,
    owner,
    thinned,
    timeline_grid,
    timeline_of,
)

INSTALL_HINT = "pip install 'lintnn[plot]'"

_CSS = """
.lintnn-report{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#222;
  max-width:1100px;margin:0 auto;padding:0 16px;line-height:1.4}
.lintnn-report h1{font-size:1.5em;margin:.6em 0 .2em}
.lintnn-report h2{font-size:1.15em;margin:1.2em 0 .4em;border-bottom:1px solid #ddd}
.lintnn-report .verdict{font-weight:600;padding:4px 10px;border-radius:4px;display:inline-block}
.lintnn-report .verdict.ok{background:#dff0d8;color:#2d672d}
.lintnn-report .verdict.failed{background:#f2dede;color:#a12622}
.lintnn-report ul.findings{list-style:none;padding:0}
.lintnn-report ul.findings li{margin:4px 0;padding:6px 10px;border-left:4px solid #999;
  background:#f7f7f7;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.88em;
  white-space:pre-wrap}
.lintnn-report ul.findings li.error{border-color:#d9534f}
.lintnn-report ul.findings li.warning{border-color:#f0ad4e}
.lintnn-report ul.findings li.info{border-color:#5bc0de}
.lintnn-report .sev{font-weight:700;text-transform:uppercase;font-size:.8em;margin-right:6px}
.lintnn-report table{border-collapse:collapse;font-size:.85em;margin:6px 0}
.lintnn-report th,.lintnn-report td{border:1px solid #ddd;padding:2px 8px;text-align:right}
.lintnn-report th:first-child,.lintnn-report td:first-child{text-align:left}
.lintnn-report tr.flagged td{background:#fcf8e3}
.lintnn-report .figure svg{width:100%;height:auto}
.lintnn-report .views{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));
  gap:0 24px}
.lintnn-report .hint{background:#fcf8e3;padding:6px 10px;border-radius:4px}
.lintnn-report ul.tree{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.88em;
  list-style:none;padding-left:1.2em;margin:0}
.lintnn-report ul.tree ul.tree{font-size:1em}
.lintnn-report li.on-path>span.node,.lintnn-report li.on-path>details>summary>span.node{
  font-weight:700;color:#a12622}
.lintnn-report li.origin>span.node,.lintnn-report li.origin>details>summary>span.node{
  background:#d9534f;color:#fff;padding:0 4px;border-radius:3px}
.lintnn-report .where{margin-left:8px;color:#a12622}
.lintnn-report summary{cursor:pointer;color:#555}
"""


def _num(v: float | None) -> str:
    if v is None:
        return ""
    return f"{v:.4g}" if math.isfinite(v) else str(v)


def _table(header: list[str], body: list[list[str]], flagged: list[bool] | None = None) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    out = [f"<table><thead><tr>{head}</tr></thead><tbody>"]
    for i, cells in enumerate(body):
        cls = ' class="flagged"' if flagged and flagged[i] else ""
        out.append(f"<tr{cls}>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _view_table(name: str, m: Measurements) -> str:
    """The numbers one figure shows, as an HTML table."""
    if name == "loss":
        return _table(["step", "loss"], [[str(i), _num(v)] for i, v in enumerate(m.loss)])
    if name == "updates":
        steps = max(len(v) for v in m.updates.values())
        return _table(["parameter", *[f"step {i + 1}" for i in range(steps)]],
                      [[n, *[_num(v) for v in m.updates[n]]]
                       for n in layer_order(list(m.updates))])
    values, label = {"activations": (m.act_std, "std"), "gradients": (m.grad, m.grad_label),
                     "dead_relu": (m.dead, "dead fraction")}[name]
    if name == "activations" and m.act_mean:
        return _table(["layer", "mean", "std"],
                      [[n or "<root>", _num(m.act_mean.get(n)), _num(m.act_std.get(n))]
                       for n in layer_order(list(m.act_std) + list(m.act_mean))])
    return _table(["layer", label],
                  [[n or "<root>", _num(values[n])] for n in layer_order(list(values))])


def _folded(f: Any) -> str:
    """The findings a root cause explains, folded under it."""
    consequences = f.extra.get("consequences", ())
    if not consequences:
        return ""
    items = "".join(f'<li class="{c.severity.value}" data-code="{escape(c.code)}">'
                    f"{escape(str(c))}</li>" for c in consequences)
    return (f"<details><summary>{len(consequences)} consequence(s) folded under this root "
            f'cause</summary><ul class="findings folded">{items}</ul></details>')


def _findings(report: CheckResult, error: NonFiniteError | None) -> str:
    items = [f'<li class="{f.severity.value}" data-code="{escape(f.code)}">'
             f'<span class="sev">{f.severity.value}</span>{escape(str(f))}{_folded(f)}</li>'
             for f in report.findings]
    if error is not None and not any(f.code.startswith("NR20") for f in report.findings):
        items.insert(0, f'<li class="error" data-code="NonFiniteError"><span class="sev">error'
                        f"</span>NonFiniteError: {escape(str(error))}</li>")
    if not items:
        return '<p class="verdict ok">no findings</p>'
    return f'<ul class="findings">{"".join(items)}</ul>'


def _origin(report: CheckResult, error: NonFiniteError | None) -> dict[str, Any] | None:
    if error is not None:
        o = error.origin
        return {"phase": o.phase, "module": o.module, "op": o.op, "source": o.source,
                "detail": o.detail}
    return report.data.get("nonfinite")


def module_tree(module_names: list[str], origin: dict[str, Any]) -> str:
    """Nested lists of the module paths; the path to ``origin["module"]`` is highlighted,
    the module itself carries the op and source line. Branches off the path are folded."""
    target = origin.get("module")
    names = list(dict.fromkeys(["", *module_names]))
    if target and target not in names:
        names.append(target)
    children: dict[str, list[str]] = {}
    for name in names[1:]:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            path, parent = ".".join(parts[:i]), ".".join(parts[:i - 1])
            if path not in children.setdefault(parent, []):
                children[parent].append(path)
            children.setdefault(path, [])
    on_path = set()
    if target is not None:
        parts = target.split(".") if target else []
        on_path = {""} | {".".join(parts[:i]) for i in range(1, len(parts) + 1)}

    def node(path: str) -> str:
        label = path.rpartition(".")[2] if path else "<root>"
        cls = "origin" if path == target else "on-path" if path in on_path else ""
        extra = ""
        if path == target:
            bits = [origin.get("phase") or "", f"op {origin['op']}" if origin.get("op") else "",
                    f"at {origin['source']}" if origin.get("source") else ""]
            extra = f'<span class="where">{escape(" · ".join(b for b in bits if b))}</span>'
        head = f'<span class="node">{escape(label)}</span>{extra}'
        kids = children.get(path, [])
        attrs = f' data-path="{escape(path)}"' + (f' class="{cls}"' if cls else "")
        if not kids:
            return f"<li{attrs}>{head}</li>"
        inner = "".join(node(k) for k in kids)
        is_open = " open" if path in on_path or len(names) <= 40 else ""
        return (f"<li{attrs}><details{is_open}><summary>{head}</summary>"
                f'<ul class="tree">{inner}</ul></details></li>')

    return f'<ul class="tree">{node("")}</ul>'


def _nonfinite(origin: dict[str, Any], module_names: list[str] | None,
               m: Measurements) -> str:
    names = module_names if module_names is not None else layer_order(
        [owner(n) for n in [*m.act_std, *m.grad, *m.updates, *m.dead]])
    lines = [f"<p>First non-finite value in the <b>{escape(origin.get('phase') or '?')}</b>"
             f" pass"]
    if origin.get("module") is not None:
        lines.append(f", module <code>{escape(origin['module'] or '<root>')}</code>")
    if origin.get("op"):
        lines.append(f", op <code>{escape(origin['op'])}</code>")
    if origin.get("source"):
        lines.append(f", at <code>{escape(origin['source'])}</code>")
    if origin.get("detail"):
        lines.append(f" ({escape(origin['detail'])})")
    lines.append(".</p>")
    return ("<section data-view=\"nonfinite\"><h2>Where the first NaN/Inf appeared</h2>"
            + "".join(lines) + module_tree(names, origin) + "</section>")


def _data_json(report: CheckResult, m: Measurements, origin: dict[str, Any] | None) -> str:
    findings = [{**{k: v for k, v in f.to_json().items() if k != "url"},
                 **({"consequences": [{k: v for k, v in c.to_json().items() if k != "url"}
                                      for c in f.extra["consequences"]]}
                    if f.extra.get("consequences") else {})}
                for f in report.findings]
    payload = {"check": report.check, "findings": findings, "measurements": m.to_json(),
               "nonfinite": origin, "timeline": json_safe(timeline_of(report))}
    text = json.dumps(payload, default=str)
    return text.replace("<", "\\u003c")  # no "</script>" inside the block


def _timeline(t: dict[str, Any], bad: set[str], have_plots: bool) -> str:
    """The monitor's run over steps: figures (or tables) and the steps findings fired at."""
    figs = plots.timeline_figures(t, bad) if have_plots else {}
    events = event_steps(t)
    parts = ['<section data-view="timeline"><h2>Timeline of the run</h2>']
    if events:
        items = "".join(f'<li data-step="{s}" data-code="{escape(c)}">step {s}: {escape(c)}</li>'
                        for s, c in events)
        parts.append(f'<p>Where the findings fired:</p><ul class="events">{items}</ul>')
    if not have_plots and t.get("loss"):
        parts.append(f'<p class="hint">Install matplotlib to see the timeline as plots: '
                     f"<code>{escape(INSTALL_HINT)}</code>.</p>")
    steps, values = thinned(t["loss_steps"], t["loss"], {s for s, _ in events}, limit=200)
    tables = {
        "timeline_loss": _table(["step", "loss"], [[str(s), _num(v)] for s, v in
                                                   zip(steps, values, strict=True)]),
        "timeline_gradients": _table(*timeline_grid(t, "grad_norm")),
        "timeline_updates": _table(*timeline_grid(t, "update_ratio")),
    }
    parts.append('<div class="views">')
    for name, title in plots.TIMELINE_TITLES.items():
        if name != "timeline_loss" and not t.get("grad_norm" if name == "timeline_gradients"
                                                 else "update_ratio"):
            continue
        body = f'<div class="figure">{plots.svg(figs[name], name)}</div>' if name in figs else ""
        body += (f"<details><summary>numbers</summary>{tables[name]}</details>" if figs
                 else tables[name])
        parts.append(f'<section data-view="{name}"><h3>{escape(title)}</h3>{body}</section>')
    parts.append("</div></section>")
    return "".join(parts)


def render(report: CheckResult, module_names: list[str] | None = None,
           error: NonFiniteError | None = None) -> str:
    """The report as an HTML fragment (``<div class="lintnn-report">``) with its style."""
    m = measurements(report)
    origin = _origin(report, error)
    failed = not report.ok or error is not None
    count = len(report.findings) + (error is not None and not report.findings_with_prefix("NR20"))
    verdict = (f'<p class="verdict failed">{count} finding(s)</p>' if failed
               else '<p class="verdict ok">no warnings or errors</p>')
    parts = [f'<div class="lintnn-report"><style>{_CSS}</style>',
             f"<h1>lintnn report: {escape(report.check)}</h1>", verdict,
             "<h2>Findings</h2>", _findings(report, error)]
    if origin is not None:
        parts.append(_nonfinite(origin, module_names, m))
    header, cells, bad = grid(report)
    if cells:
        parts.append('<section data-view="summary"><h2>Per layer</h2>'
                     f"{_table(header, cells, bad)}</section>")
    have_plots = plots.available()
    if m.views() and not have_plots:
        parts.append(f'<p class="hint">Install matplotlib to see these numbers as plots: '
                     f"<code>{escape(INSTALL_HINT)}</code>.</p>")
    figs = plots.figures(m, flagged_views(report), titles=False) if have_plots else {}
    parts.append('<div class="views">')
    for name in m.views():
        title = plots.TITLES[name]
        body = ""
        if name == "gradients" and m.all_gradients_zero:
            note = ALL_ZERO[0].upper() + ALL_ZERO[1:]
            body += f'<p class="hint" data-note="all-zero">{escape(note)}.</p>'
        if name in figs:
            body += f'<div class="figure">{plots.svg(figs[name], name)}</div>'
        numbers = _view_table(name, m)
        body += (f"<details><summary>numbers</summary>{numbers}</details>" if figs
                 else numbers)
        parts.append(f'<section data-view="{name}"><h2>{escape(title)}</h2>{body}</section>')
    parts.append("</div>")
    timeline = timeline_of(report)
    if timeline is not None:
        parts.append(_timeline(timeline, flagged(report), have_plots))
    parts.append(f'<script type="application/json" id="lintnn-data">'
                 f"{_data_json(report, m, origin)}</script></div>")
    return "".join(parts)


def page(report: CheckResult, module_names: list[str] | None = None,
         error: NonFiniteError | None = None) -> str:
    """A complete HTML document around :func:`render`."""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>lintnn report: {escape(report.check)}</title></head><body>"
            f"{render(report, module_names, error)}</body></html>\n")


def write(report: CheckResult, path: str | Path, module_names: list[str] | None = None,
          error: NonFiniteError | None = None) -> Path:
    """Write :func:`page` to ``path`` (UTF-8) and return the path."""
    out = Path(path)
    out.write_text(page(report, module_names, error), encoding="utf-8")
    return out


def nonfinite_html(error: NonFiniteError, module_names: list[str]) -> str:
    """A page for a :class:`NonFiniteError`: its origin and the module tree with the path
    to the first non-finite module highlighted."""
    return page(CheckResult("nonfinite"), module_names, error)
