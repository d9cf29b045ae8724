"""Generated input: the engine never raises, never hangs, and is deterministic."""

from __future__ import annotations

from pathlib import Path

import hypothesmith
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lintnn.config import Settings
from lintnn.static.engine.files import analyze_bytes
from lintnn.static.engine.run import Engine, enabled_rules

RULES = enabled_rules(Settings())
# Training-code vocabulary spliced into generated programs so that rules really run.
PRELUDE = (
    "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport jax\n"
    "import optax\nfrom sklearn.preprocessing import StandardScaler\n"
    "from torch.utils.data import DataLoader\n"
)


def check(data: bytes) -> list:
    result = analyze_bytes(Path("generated.py"), data, RULES)
    internal = [d for d in result.diagnostics if d.code == "NN002"]
    assert not internal, internal
    return result.diagnostics


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar())
def test_random_valid_programs(source: str) -> None:
    first = check((PRELUDE + source).encode())
    assert first == check((PRELUDE + source).encode())


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    check(data)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([
    "model = nn.Sequential(nn.Dropout(0.1), nn.BatchNorm1d(3))\n",
    "loss = F.cross_entropy(F.softmax(x, dim=1), y)\n",
    "for x, y in DataLoader(ds):\n    loss.backward()\n    opt.step()\n",
    "scaler = StandardScaler().fit(X)\n",
    "class Net(nn.Module):\n    def forward(self, x):\n        return F.softmax(x, -1)\n",
    "def evaluate(model, loader):\n    with torch.no_grad():\n        return model(x)\n",
    "if a:\n    pass\n", "x = (\n", "def f(:\n", "\t  \n", "model.eval()\n",
    "key = jax.random.PRNGKey(0)\n", "with torch.autocast('cuda'):\n    y = m(x)\n",
]), max_size=12))
def test_spliced_training_fragments(fragments: list[str]) -> None:
    check((PRELUDE + "".join(fragments)).encode())


def test_parallel_runs_are_deterministic(tmp_path: Path) -> None:
    for i in range(24):
        (tmp_path / f"f{i}.py").write_text(PRELUDE + f"m{i} = nn.Sequential(nn.Dropout(), "
                                           "nn.BatchNorm1d(2))\n")
    runs = [Engine(Settings(root=tmp_path), use_cache=False, jobs=2).check_paths([tmp_path])
            for _ in range(2)]
    assert runs[0].diagnostics == runs[1].diagnostics
    assert len(runs[0].diagnostics) == 24
