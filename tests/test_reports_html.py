"""Runtime reports: the HTML page, the figures and the per-layer table show the Report's numbers."""

from __future__ import annotations

import argparse
import html as htmllib
import json
import math
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from lintnn.runtime import NonFiniteError, Origin, Report
from lintnn.runtime import html as report_html
from lintnn.runtime.tables import layer_order, measurements, table_text
from lintnn.runtime.torch.diag import finding

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "runtime_report.py"


def synthetic() -> Report:
    """A check_health-shaped report with two steps of update ratios and a chance level."""
    return Report("check_health", [
        finding("NR304", "75% of the ReLU units after '3' are zero for every sample",
                module="3", dead=0.75),
        finding("NR301", "initial loss 5.6 is far from chance level", loss=5.6,
                chance=math.log(5)),
    ], {
        "activation_std": {"0": 0.58, "2": 0.31, "4": 5.36},
        "grad_weight_ratio": {"0.weight": 2.44, "2.weight": 6.66, "4.weight": 0.028},
        "update_weight_ratio": {"0.weight": [0.017, 0.012], "2.weight": [0.026, 0.02],
                                "4.weight": [8e-4, 7e-4]},
        "dead_relu": {"1": 0.0, "3": 0.75},
        "loss_curve": [5.6, 3.1, 1.4, 1.2],
        "initial_loss": 5.6,
    })


class _Page(HTMLParser):
    """Every start tag with its attributes, and the text of the script blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: dict[str, str] = {}
        self._script: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs).get("id") or ""
            self.scripts[self._script] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self.scripts[self._script] += data


def parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    return page


def embedded(text: str) -> dict:
    return json.loads(parse(text).scripts["lintnn-data"])


def test_page_parses_and_fetches_nothing(tmp_path: Path) -> None:
    path = synthetic().to_html(tmp_path / "r.html")
    text = path.read_text(encoding="utf-8")
    page = parse(text)
    assert text.startswith("<!DOCTYPE html>")
    for _tag, attrs in page.tags:
        for name in ("src", "href", "xlink:href"):
            value = attrs.get(name) or ""
            assert not value.startswith(("http:", "https:", "//")), (name, value)
    assert "http://" not in text and "https://" not in text
    assert not any(tag == "link" for tag, _ in page.tags)


def test_findings_come_first_with_the_text_output() -> None:
    report = synthetic()
    text = report_html.page(report)
    plain = htmllib.unescape(text)
    for f in report.findings:
        assert str(f) in plain
    codes = [a["data-code"] for t, a in parse(text).tags if t == "li" and "data-code" in a]
    assert codes == report.codes()
    pytest.importorskip("matplotlib")
    assert text.index('data-code="NR304"') < text.index("<svg")


def test_embedded_numbers_are_the_reports() -> None:
    report = synthetic()
    data = embedded(report_html.page(report))
    m = data["measurements"]
    assert m["activation_std"] == report.data["activation_std"]
    assert m["gradient"] == report.data["grad_weight_ratio"]
    assert m["update_weight_ratio"] == report.data["update_weight_ratio"]
    assert m["dead_relu"] == report.data["dead_relu"]
    assert m["loss_curve"] == report.data["loss_curve"]
    assert m["chance_loss"] == pytest.approx(math.log(5))
    assert [f["code"] for f in data["findings"]] == report.codes()
    views = [a["data-view"] for t, a in parse(report_html.page(report)).tags
             if t == "section"]
    assert views == ["summary", "activations", "gradients", "updates", "dead_relu", "loss"]


def _bars(ax) -> dict[str, float]:
    labels = [t.get_text() for t in ax.get_xticklabels()]
    return dict(zip(labels, [p.get_height() for p in ax.containers[0]], strict=True))


def test_figures_draw_the_reports_numbers() -> None:
    pytest.importorskip("matplotlib")
    report = synthetic()
    figs = report.plot()
    assert list(figs) == ["activations", "gradients", "updates", "dead_relu", "loss"]
    act = figs["activations"].axes[0]
    assert _bars(act) == report.data["activation_std"]
    band = [p for p in act.patches if p not in act.containers[0].patches]
    assert [(p.get_y(), p.get_y() + p.get_height()) for p in band] == [(0.5, 2.0)]
    assert _bars(figs["gradients"].axes[0]) == report.data["grad_weight_ratio"]
    dead = figs["dead_relu"].axes[0]
    assert _bars(dead) == report.data["dead_relu"]
    assert dead.containers[0].patches[1].get_facecolor() != \
        dead.containers[0].patches[0].get_facecolor()  # '3' has NR304: drawn red
    upd = figs["updates"].axes[0]
    assert upd.get_yscale() == "log"
    lines = {ln.get_label(): list(ln.get_ydata()) for ln in upd.get_lines()}
    assert lines.pop("1e-3") == [1e-3, 1e-3]
    assert lines == report.data["update_weight_ratio"]
    loss = figs["loss"].axes[0]
    curve, chance = loss.get_lines()
    assert list(curve.get_ydata()) == report.data["loss_curve"]
    assert list(chance.get_ydata()) == pytest.approx([math.log(5)] * 2)
    assert "-ln(1/C)" in chance.get_label()


def test_one_step_of_updates_is_a_bar_per_parameter() -> None:
    pytest.importorskip("matplotlib")
    report = Report("check_health", data={"update_weight_ratio": {"a.weight": 0.02,
                                                                  "b.weight": 1e-6}})
    ax = report.plot()["updates"].axes[0]
    assert _bars(ax) == {"a.weight": 0.02, "b.weight": 1e-6}
    assert ax.get_yscale() == "log"


def test_html_without_matplotlib_shows_tables_and_the_hint(tmp_path: Path) -> None:
    script = f"""
import sys, pickle
sys.modules["matplotlib"] = None  # import matplotlib raises ImportError
sys.path.insert(0, {str(ROOT)!r})
sys.path.insert(0, {str(ROOT / "tests")!r})
from test_reports_html import synthetic
report = synthetic()
report.to_html({str(tmp_path / "r.html")!r})
try:
    report.plot()
except ImportError as exc:
    print("plot:", exc)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "lintnn[plot]" in done.stdout
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<svg" not in text
    assert "pip install 'lintnn[plot]'" in htmllib.unescape(text)
    assert text.count("<table") == 6  # the summary and one per view
    assert "5.36" in text and "0.0007" in text
    assert embedded(text)["measurements"]["activation_std"] == synthetic().data[
        "activation_std"]


NAMES = ["", "encoder", "encoder.embed", "encoder.block", "encoder.block.0",
         "encoder.block.0.gate", "encoder.block.1", "encoder.block.1.norm",
         "encoder.block.1.gate", "encoder.block.1.gate.proj", "head"]


def _tree(text: str) -> tuple[str, set[str]]:
    tags = parse(text).tags
    origin = [a["data-path"] for t, a in tags if t == "li" and a.get("class") == "origin"]
    path = {a["data-path"] for t, a in tags if t == "li" and a.get("class") == "on-path"}
    assert len(origin) == 1
    return origin[0], path


def test_nonfinite_error_highlights_the_module_path() -> None:
    error = NonFiniteError(Origin("forward", "encoder.block.1.gate", "aten.log",
                                  "model.py:53"))
    text = report_html.nonfinite_html(error, NAMES)
    origin, path = _tree(text)
    assert origin == "encoder.block.1.gate"
    assert path == {"", "encoder", "encoder.block", "encoder.block.1"}
    plain = htmllib.unescape(text)
    assert "aten.log" in plain and "model.py:53" in plain
    assert str(error) in plain
    assert embedded(text)["nonfinite"]["module"] == "encoder.block.1.gate"


def test_root_origin_highlights_only_the_root() -> None:
    error = NonFiniteError(Origin("backward", "", "aten.div", None))
    origin, path = _tree(report_html.nonfinite_html(error, NAMES))
    assert origin == "" and path == set()


def test_check_nonfinite_report_draws_the_tree(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    import lintnn.torch as lt
    from lintnn.cli.probe import load_factory

    model, x, y, loss_fn = load_factory(f"{EXAMPLE}:make_nan_model")()
    report = lt.check_nonfinite(model, x, y, loss_fn)
    assert report.codes() == ["NR201"]
    names = [n for n, _ in model.named_modules()]
    text = report.to_html(tmp_path / "nan.html", module_names=names).read_text()
    origin, path = _tree(text)
    assert origin == "encoder.block.1.gate"
    assert path == {"", "encoder", "encoder.block", "encoder.block.1"}
    assert torch.isfinite(next(model.parameters())).all()


def test_health_report_numbers_reach_page_and_figures() -> None:
    torch = pytest.importorskip("torch")
    from torch import nn

    import lintnn.torch as lt

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
    x, y = torch.randn(12, 6), torch.arange(12) % 3
    report = lt.check_health(model, nn.CrossEntropyLoss(), (x, y), steps=4)
    m = embedded(report._repr_html_())["measurements"]
    assert m["activation_std"] == report.data["activation_std"]
    assert m["loss_curve"] == report.data["loss_curve"]
    assert m["gradient"] == report.data["grad_weight_ratio"]
    assert report._repr_html_().startswith('<div class="lintnn-report">')
    if report_html.plots.available():
        figs = report.plot()
        assert _bars(figs["activations"].axes[0]) == report.data["activation_std"]
        assert list(figs["loss"].axes[0].get_lines()[0].get_ydata()) == \
            report.data["loss_curve"]


def test_table_rows_in_model_order_with_codes() -> None:
    text = table_text(synthetic())
    lines = text.splitlines()
    assert lines[0].split() == ["layer", "act", "std", "|grad|", "/", "|weight|", "update/w",
                                "dead", "ReLU", "findings"]
    assert [ln.split()[0] for ln in lines[1:]] == ["0", "1", "2", "3", "4"]
    assert lines[4].split()[-2:] == ["75%", "NR304"]
    assert "0.0007" in lines[5]  # the last step's update ratio
    assert table_text(Report("probe_shapes")) == ""


def test_layer_order_follows_the_model() -> None:
    names = ["embed", "attn.qkv", "head", "attn.1", "attn.0", "10", "9"]
    assert layer_order(names) == ["9", "10", "embed", "attn.0", "attn.1", "attn.qkv", "head"]


def test_jax_keys_are_read_too() -> None:
    report = Report("check_health", data={
        "overfit_losses": [1.6, 0.4], "chance_loss": 1.61, "grad_norms": {"Dense_0": 0.3},
        "dead_relus": {"<root>@model.py:9": 0.9}})
    m = measurements(report)
    assert m.loss == [1.6, 0.4] and m.chance == 1.61
    assert m.grad == {"Dense_0": 0.3} and m.grad_label == "|grad|"
    assert m.dead == {"<root>@model.py:9": 0.9}
    assert m.views() == ["gradients", "dead_relu", "loss"]


def _probe(*argv: str) -> int:
    from lintnn.cli import probe as probe_command

    parser = argparse.ArgumentParser()
    probe_command.configure(parser)
    return probe_command.run(parser.parse_args(list(argv)))


def test_probe_prints_the_table_and_writes_html(tmp_path: Path, capsys) -> None:
    pytest.importorskip("torch")
    out = tmp_path / "report.html"
    assert _probe(f"{EXAMPLE}:make_model", "--steps", "5", "--html", str(out)) == 1
    printed = capsys.readouterr().out
    header = next(ln for ln in printed.splitlines() if ln.startswith("layer "))
    assert "dead ReLU" in header
    assert "hidden.1" in printed and "NR304" in printed
    data = embedded(out.read_text(encoding="utf-8"))
    codes = [f["code"] for f in data["findings"]]
    assert {"NR301", "NR303", "NR304"} <= set(codes)
    for code in codes:
        assert code in printed


def test_json_output_stays_json(capsys) -> None:
    pytest.importorskip("torch")
    assert _probe(f"{EXAMPLE}:make_model", "--steps", "3", "--output-format", "json") == 1
    json.loads(capsys.readouterr().out)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_page_renders_in_headless_chromium(tmp_path: Path) -> None:
    page = synthetic().to_html(tmp_path / "r.html")
    shot = tmp_path / "r.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", f"--screenshot={shot}",
                    "--window-size=1200,1600", page.as_uri()],
                   capture_output=True, timeout=120, check=False)
    assert shot.exists() and shot.stat().st_size > 20_000


def test_non_finite_numbers_are_shown_not_dropped(recwarn) -> None:
    pytest.importorskip("matplotlib")
    report = Report("check_health", data={
        "activation_std": {"a": math.nan, "b": 1.0}, "grad_weight_ratio": {"a.weight": math.inf,
                                                                          "b.weight": 0.0},
        "update_weight_ratio": {"a.weight": 0.0}, "loss_curve": [1.0, 5.0, math.inf]})
    text = report_html.page(report)
    assert [str(w.message) for w in recwarn] == []
    assert embedded(text)["measurements"]["loss_curve"] == [1.0, 5.0, None]
    grads = report.plot()["gradients"].axes[0]
    assert [t.get_text() for t in grads.get_xticklabels()] == ["a.weight", "b.weight"]
    assert "inf" in [t.get_text() for t in grads.texts]
    assert "nan" in table_text(report) and "inf" in table_text(report)


def test_jax_relu_sites_are_matched_with_root_findings() -> None:
    report = Report("check_health", [finding("NR304", "9/16 dead", module="")],
                    {"dead_relus": {"<root>@model.py:9": 0.56}})
    assert table_text(report).splitlines()[1].split()[-1] == "NR304"


def test_table_uses_rich_on_a_terminal() -> None:
    pytest.importorskip("rich")
    import io

    from lintnn.runtime.tables import print_table

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    print_table(synthetic(), out)
    text = out.getvalue()
    assert "per-layer measurements" in text and "NR304" in text and "75%" in text


def test_all_zero_gradients_are_said_not_drawn_empty() -> None:
    report = Report("check_health", data={"grad_weight_ratio": {"0.weight": 0.0,
                                                                "2.weight": 0.0}})
    page = report_html.render(report)
    assert 'data-note="all-zero"' in page and "every gradient is 0" in page.lower()
    assert 'data-note="all-zero"' not in report_html.render(synthetic())
    if report_html.plots.available():
        ax = report.plot()["gradients"].axes[0]
        assert any("every gradient is 0" in t.get_text() for t in ax.texts)


def test_activation_std_axis_is_not_stretched_by_the_mean() -> None:
    pytest.importorskip("matplotlib")
    report = Report("check_health", data={
        "activation_std": {"0": 0.6, "2": 0.9, "4": 1.2},
        "activation_mean": {"0": -0.1, "2": -40.0, "4": 0.3}})
    fig = report.plot()["activations"]
    std_axis = fig.axes[0]
    low, high = std_axis.get_ylim()
    assert low >= 0 and high < 3, (low, high)  # the std bars' own scale
    means = [ln for a in fig.axes for ln in a.get_lines() if ln.get_label() == "mean"]
    assert [list(ln.get_ydata()) for ln in means] == [[-0.1, -40.0, 0.3]]


def test_a_bar_is_red_for_its_own_views_finding_only() -> None:
    pytest.importorskip("matplotlib")
    report = Report("check_health", [
        finding("NR304", "dead", module="2", dead=1.0),
        finding("NR306", "std far outside", module="4", std=40.0),
    ], {"activation_std": {"0": 0.8, "2": 0.9, "4": 40.0}})
    bars = report.plot()["activations"].axes[0].containers[0].patches
    colors = [b.get_facecolor() for b in bars]
    assert colors[0] == colors[1] != colors[2]  # '2' is in the band: not red for NR304


def test_jax_report_has_an_update_weight_panel(tmp_path: Path) -> None:
    pytest.importorskip("jax")
    import jax

    import lintnn.jax as lj
    from tests.runtime_jax.models import MLP, xent

    x = jax.random.normal(jax.random.PRNGKey(1), (16, 8))
    y = jax.random.randint(jax.random.PRNGKey(2), (16,), 0, 4)
    model = MLP()
    params = model.init(jax.random.PRNGKey(0), x)
    rep = lj.check_health(lambda p, b: xent(model.apply(p, b[0]), b[1]), params, (x, y),
                          steps=3)
    page = report_html.render(rep)
    assert 'data-view="updates"' in page
    assert set(embedded(page)["measurements"]["update_weight_ratio"]) == {"fc1", "fc2", "out"}


def test_folded_consequences_are_on_the_page() -> None:
    from lintnn.runtime.codes import fold

    root = finding("NR304", "dead", module="1", dead=1.0)
    after = finding("NR310", "ignores input", module="")
    (folded,) = fold([root, after], root, [after])
    page = report_html.render(Report("check_health", [folded]))
    assert "consequence(s) folded under this root cause" in page
    assert embedded(page)["findings"][0]["consequences"][0]["code"] == "NR310"
