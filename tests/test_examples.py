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


def test_the_readme_shows_the_summary_the_examples_give(capsys) -> None:
    """The first command of README.md prints the summary line it quotes."""
    import re

    from lintnn.cli.main import main

    quoted = re.search(r"^Found \d+ problems \([^)]*\)\.$",
                       (REPO_ROOT / "README.md").read_text(encoding="utf-8"), re.MULTILINE)
    assert quoted is not None, "README.md quotes no summary line"
    main(["check", "--no-cache", "--output-format", "concise", str(REPO_ROOT / "examples")])
    assert quoted.group(0) in capsys.readouterr().out.splitlines()
