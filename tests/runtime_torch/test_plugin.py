"""The pytest plugin, run inside pytest's own pytester."""

import pytest

pytest_plugins = ["pytester"]


def _plugin_args() -> tuple[str, ...]:
    """``-p lintnn.pytest_plugin`` unless installed: the pytest11 entry point loads it then,
    and loading it twice is an error."""
    from importlib.metadata import entry_points

    installed = any(ep.name == "lintnn" for ep in entry_points(group="pytest11"))
    return () if installed else ("-p", "lintnn.pytest_plugin")


PLUGIN_ARGS = _plugin_args()

HEADER = """
import torch
from torch import nn
from tests.runtime_torch.models import Encoder, classification_batch, mlp
"""


@pytest.fixture(scope="module")
def warm() -> None:
    """Import torch's lazy modules here: pytester drops modules imported inside a run, and
    torch cannot register its operator libraries twice."""
    from torch import nn

    import lintnn.torch as lt

    from .models import classification_batch, mlp

    x, y = classification_batch()
    lt.check_all(mlp(), x, target=y, loss_fn=nn.CrossEntropyLoss(), steps=2)


@pytest.fixture
def run(pytester, warm):
    pytester.syspathinsert(str(pytest.importorskip("tests").__path__[0] + "/.."))

    def go(body: str):
        pytester.makepyfile(HEADER + body)
        return pytester.runpytest_inprocess(*PLUGIN_ARGS, "-q")

    return go


def test_sound_model_passes_in_two_lines(run) -> None:
    result = run("""
def test_mlp(lintnn_probe):
    x, y = classification_batch()
    lintnn_probe.assert_sound(mlp(), x, loss_fn=nn.CrossEntropyLoss(), target=y)
""")
    result.assert_outcomes(passed=1)


def test_failure_reads_as_a_sentence(run) -> None:
    result = run("""
@pytest.mark.lintnn(health=False)
def test_encoder(lintnn_probe):
    lintnn_probe.assert_sound(Encoder(bug_layer=0), torch.randn(2, 5, 16))
""".replace("@pytest", "import pytest\n@pytest"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*lintnn found 1 problem(s) with Encoder:*",
        "*NR101 (module 'layers.0.attn', at *models.py:*): *turns (B, T, 16) into (B, 2, T, 8)*",
    ])
    assert "Traceback" not in result.stdout.str()


def test_health_failure_names_the_values(run) -> None:
    result = run("""
def test_labels(lintnn_probe):
    x, _ = classification_batch()
    y = torch.zeros(16, dtype=torch.long)
    lintnn_probe.assert_healthy(mlp(), x, nn.CrossEntropyLoss(), y, steps=2)
""")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*NR308*all 16 labels in the batch are 0*"])


def test_docs_example_runs(pytester, warm) -> None:
    """The pytest example in docs/runtime-torch.md is executed as written."""
    import re
    from pathlib import Path

    docs = Path(__file__).resolve().parents[2] / "docs" / "runtime-torch.md"
    block = re.search(r"```python\n(# test_model_sound.py\n.*?)```", docs.read_text(), re.S)
    assert block is not None
    pytester.makepyfile(test_model_sound=block.group(1))
    result = pytester.runpytest_inprocess(*PLUGIN_ARGS, "-q")
    result.assert_outcomes(passed=2)


def test_assert_healthy_takes_check_healths_order(run) -> None:
    result = run("""
import pytest

def test_new_order(lintnn_probe):
    x, y = classification_batch()
    rep = lintnn_probe.assert_healthy(mlp(), nn.CrossEntropyLoss(), (x, y), num_classes=3)
    assert rep.check == "check_health"

def test_old_order_still_works_and_warns(lintnn_probe):
    x, y = classification_batch()
    with pytest.warns(DeprecationWarning, match="check_health's order"):
        rep = lintnn_probe.assert_healthy(mlp(), x, nn.CrossEntropyLoss(), y, num_classes=3)
    with pytest.warns(DeprecationWarning):
        lintnn_probe.assert_healthy(mlp(), inputs=x, loss_fn=nn.CrossEntropyLoss(), target=y,
                                    num_classes=3)
    assert rep.check == "check_health"
    assert lintnn_probe.reports[0].codes() == lintnn_probe.reports[1].codes() == []
""")
    result.assert_outcomes(passed=2)


def test_failure_text_shows_what_a_root_cause_explains(run) -> None:
    result = run("""
def test_dead(lintnn_probe):
    x, y = classification_batch()
    model = mlp()
    with torch.no_grad():
        model[0].bias.fill_(-100.0)
    lintnn_probe.assert_healthy(model, nn.CrossEntropyLoss(), (x, y), steps=5)
""")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*NR304 (module '1'): 100% of the ReLU units*",
                                 "*folded under it: NR310*"])
