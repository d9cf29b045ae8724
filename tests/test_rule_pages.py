"""Every rule has a page; the page's examples are executed: 'Example' blocks must be
flagged on their ``# expect:`` lines, 'Use instead' blocks must stay clean."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lintnn.catalog import page_text
from lintnn.diagnostics import BUILTIN_CODES
from lintnn.static.rules import all_rules
from tests.helpers import assert_findings, expected_lines

RULES = all_rules()
_HEADING = re.compile(r"^## (.+)$", re.MULTILINE)
_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def sections(text: str) -> dict[str, str]:
    parts = _HEADING.split(text)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def blocks(text: str) -> list[str]:
    return _BLOCK.findall(text)


@pytest.mark.parametrize("code", sorted(RULES))
def test_page_exists_and_matches_rule(code: str) -> None:
    text = page_text(code)
    assert text is not None, f"rules/{code}.md is missing"
    rule = RULES[code]
    assert text.startswith(f"# {code}: {rule.name}\n")
    assert f"| Severity | {rule.severity.value} |" in text
    found = sections(text)
    for heading in ("What it does", "Why is this bad?", "Example", "Use instead", "Source"):
        assert heading in found, f"{code} page lacks the section '## {heading}'"


@pytest.mark.parametrize("code", sorted(RULES))
def test_page_examples_are_flagged(code: str) -> None:
    examples = blocks(sections(page_text(code) or "")["Example"])
    assert examples, f"{code}: the Example section has no python block"
    for example in examples:
        assert expected_lines(example, code), f"{code}: an Example block has no '# expect:' line"
        assert_findings(example, code)


@pytest.mark.parametrize("code", sorted(RULES))
def test_page_fixed_examples_are_clean(code: str) -> None:
    good = blocks(sections(page_text(code) or "")["Use instead"])
    assert good, f"{code}: the 'Use instead' section has no python block"
    for example in good:
        assert not expected_lines(example, code)
        assert_findings(example, code)


def test_every_page_belongs_to_a_rule() -> None:
    pages = {p.stem for p in (Path(__file__).parent.parent / "rules").glob("NN*.md")}
    known = set(RULES) | set(BUILTIN_CODES)
    assert pages <= known, f"pages without a rule: {sorted(pages - known)}"


@pytest.mark.parametrize("code", sorted(BUILTIN_CODES))
def test_every_builtin_code_has_a_page(code: str) -> None:
    text = page_text(code)
    assert text is not None and text.startswith(f"# {code}: {BUILTIN_CODES[code].name}\n")
