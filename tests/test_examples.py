"""The bundled examples show every rule: a newcomer's first run sees the whole catalog."""

from __future__ import annotations

from lintnn.config import Settings
from lintnn.static.engine.run import Engine
from lintnn.static.rules import all_rules
from tests.conftest import REPO_ROOT


def test_every_rule_fires_on_the_examples() -> None:
    examples = REPO_ROOT / "examples"
    result = Engine(Settings(root=REPO_ROOT), use_cache=False, jobs=1).check_paths([examples])
    fired = {d.code for d in result.diagnostics}
    assert not fired & {"NN001", "NN002"}, [d for d in result.diagnostics if d.code < "NN100"]
    assert set(all_rules()) <= fired, f"no example shows {sorted(set(all_rules()) - fired)}"
