"""``lintnn rules`` (the catalog) and ``lintnn rule CODE`` (one rule's page), as text or
JSON (ruff's ``rule --output-format json``)."""

from __future__ import annotations

import json
import sys
from collections import Counter

from lintnn.catalog import RuleInfo, page_text, rule_infos
from lintnn.cli.exits import EXIT_CLEAN, UsageError


def list_rules(output_format: str = "text") -> int:
    infos = rule_infos(builtins=True)
    if output_format == "json":
        json.dump([_json(info) for info in infos], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return EXIT_CLEAN
    print(f"{'code':<7} {'name':<40} {'severity':<8} {'fix':<4} frameworks")
    for info in infos:
        fix = "yes" if info.fixable else ""
        print(f"{info.code:<7} {info.name:<40} {info.severity:<8} {fix:<4} "
              f"{', '.join(info.frameworks)}")
    rules = [info for info in infos if info.frameworks]
    by_severity = Counter(info.severity for info in rules)
    print(f"\n{len(rules)} rules ({', '.join(f'{n} {s}' for s, n in sorted(by_severity.items()))})"
          f" and {len(infos) - len(rules)} codes of lintnn itself (NN0xx)."
          " `lintnn rule CODE` shows one.")
    return EXIT_CLEAN


def show_rule(code: str, output_format: str = "text") -> int:
    text = page_text(code)
    if text is None:
        raise UsageError(f"unknown rule {code!r}; `lintnn rules` lists them")
    if output_format == "json":
        info = next(i for i in rule_infos(builtins=True) if i.code == code.upper())
        json.dump(_json(info), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return EXIT_CLEAN
    sys.stdout.write(text)
    return EXIT_CLEAN


def _json(info: RuleInfo) -> dict[str, object]:
    data = info.to_json()
    data["explanation"] = page_text(info.code)
    return data
