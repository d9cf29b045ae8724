"""Every monitor code (NR4xx) has its row in docs/runtime-monitor.md: name and severity as in
the catalog, and the checklist item it comes from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lintnn.runtime.codes import RULES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "runtime-monitor.md").read_text()
CODES = sorted(c for c in RULES if c.startswith("NR4"))


def test_the_monitor_has_its_codes() -> None:
    assert [f"NR4{i:02d}" for i in range(1, 14)] == CODES


@pytest.mark.parametrize("code", CODES)
def test_each_code_is_documented(code: str) -> None:
    name, severity = RULES[code]
    row = re.search(rf"^\| {code} \| {re.escape(name)} \| {severity.value}\b.*\|(.+)\|$", DOC,
                    re.M)
    assert row is not None, f"{code} has no row naming {name} ({severity.value})"
    assert re.search(r"#\d+|notes|guide|checklist", row.group(1)), "cite the checklist"
