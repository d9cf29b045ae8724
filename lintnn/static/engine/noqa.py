"""``# noqa`` and ``# noqa: NN101, NN302`` suppression comments (ruff semantics)."""

from __future__ import annotations

import re

_NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE
)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)

# line number (1-based) -> codes suppressed there; None means every code.
NoqaMap = dict[int, frozenset[str] | None]


def parse_noqa(text: str) -> NoqaMap:
    result: NoqaMap = {}
    if "noqa" not in text.lower():
        return result
    for number, line in enumerate(text.splitlines(), start=1):
        if "#" not in line or "noqa" not in line.lower():
            continue
        match = _NOQA.search(line)
        if match is None:
            continue
        codes = match.group("codes")
        result[number] = (
            frozenset(c.upper() for c in _CODE.findall(codes)) if codes else None
        )
    return result


def is_suppressed(noqa: NoqaMap, line: int, code: str) -> bool:
    if line not in noqa:
        return False
    codes = noqa[line]
    return codes is None or code in codes
