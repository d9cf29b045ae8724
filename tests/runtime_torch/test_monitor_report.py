"""The monitor's report as a page: the timeline of the run (loss and chance line, per-layer
gradient norms and update ratios over steps, the steps where findings fired)."""

from __future__ import annotations

import json
import logging
import math
import re
from pathlib import Path

import pytest
import torch

import lintnn
import lintnn.torch as lt
from lintnn.runtime import html, plots

from .training import CLASSES, make_model, train


@pytest.fixture(scope="module")
def report() -> lintnn.Report:
    logging.getLogger("lintnn.monitor").setLevel(logging.ERROR)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with lt.monitor(model, opt, num_classes=CLASSES) as mon:
        train(model, opt, 200, at={100: lambda: opt.param_groups[0].update(lr=5.0)})
    torch.set_num_threads(threads)
    logging.getLogger("lintnn.monitor").setLevel(logging.NOTSET)
    return mon.report


def data_of(page: str) -> dict:
    block = re.search(r'<script type="application/json" id="lintnn-data">(.*?)</script>',
                      page, re.S)
    assert block is not None
    return json.loads(block.group(1), parse_constant=lambda c: pytest.fail(f"bare {c}"))


def test_page_has_the_timeline_with_its_numbers(report, tmp_path: Path) -> None:
    path = report.to_html(tmp_path / "run.html")
    page = path.read_text()
    data = data_of(page)["timeline"]
    assert len(data["loss"]) == 200 and data["chance"] == pytest.approx(math.log(CLASSES))
    assert data["sample_steps"] == list(range(0, 200, 10))
    assert set(data["grad_norm"]) == set(data["update_ratio"]) == {"0", "2", "4"}
    events = {(e["step"], e["code"]) for e in data["events"]}
    assert any(code == "NR403" and step >= 100 for step, code in events)
    for step, code in events:  # each finding's step is listed on the page
        assert f'data-step="{step}" data-code="{code}"' in page


@pytest.mark.skipif(not plots.available(), reason="needs matplotlib")
def test_timeline_figures_mark_the_findings_and_the_chance_line(report) -> None:
    figs = plots.timeline_figures(report.data["timeline"])
    assert set(figs) == {"timeline_loss", "timeline_gradients", "timeline_updates"}
    loss_axes = figs["timeline_loss"].axes[0]
    chance = [line for line in loss_axes.get_lines() if "chance" in str(line.get_label())]
    assert chance and chance[0].get_ydata()[0] == pytest.approx(math.log(CLASSES))
    labels = [t.get_text() for t in loss_axes.texts]
    assert any("NR403" in t for t in labels)
    updates = figs["timeline_updates"].axes[0]
    assert updates.get_yscale() == "log"
    assert {line.get_label() for line in updates.get_lines()} >= {"0", "2", "4", "1e-3"}
    page = html.render(report)
    for name in figs:
        assert f'data-view="{name}"' in page and f'id="{name}-' in page  # an inline svg


def test_without_matplotlib_the_timeline_is_tables(report, monkeypatch) -> None:
    monkeypatch.setattr(plots, "available", lambda: False)
    page = html.render(report)
    section = page[page.index('data-view="timeline"'):]
    assert "<svg" not in section and "<th>step 190</th>" in section
    assert "pip install" in section


def test_long_runs_are_thinned_but_keep_finding_steps() -> None:
    from lintnn.runtime.tables import thinned

    steps = list(range(100_000))
    kept, values = thinned(steps, [float(s) for s in steps], keep={12_345})
    assert len(kept) < 2100 and 12_345 in kept and kept[-1] == 99_999
    assert values == [float(s) for s in kept]
