"""``lintnn rules`` (the catalog) and ``lintnn rule CODE`` (one rule's page)."""

from __future__ import annotations

import sys
from collections import Counter

from lintnn.catalog import page_text, rule_infos
from lintnn.cli.exits import EXIT_CLEAN, UsageError


def list_rules() -> int:
    infos = rule_infos()
    print(f"{'code':<7} {'name':<40} {'severity':<8} {'fix':<4} frameworks")
    for info in infos:
        fix = "yes" if info.fixable else ""
        print(f"{info.code:<7} {info.name:<40} {info.severity:<8} {fix:<4} "
              f"{', '.join(info.frameworks)}")
    by_severity = Counter(info.severity for info in infos)
    print(f"\n{len(infos)} rules ({', '.join(f'{n} {s}' for s, n in sorted(by_severity.items()))})."
          " `lintnn rule CODE` shows one.")
    return EXIT_CLEAN


def show_rule(code: str) -> int:
    text = page_text(code)
    if text is None:
        raise UsageError(f"unknown rule {code!r}; `lintnn rules` lists them")
    sys.stdout.write(text)
    return EXIT_CLEAN
