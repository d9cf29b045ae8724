"""The rules: one module per rule, named after what it forbids, and their registry.

Every module in this package is imported here, so adding a rule means adding a file
(and its page ``rules/<CODE>.md``); nothing else needs to be registered. ``base`` holds the
:class:`~lintnn.static.rules.base.Rule` class that every rule subclasses.
"""

from __future__ import annotations

import importlib
import pkgutil

from lintnn.static.rules.base import Rule

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")


def all_rules() -> dict[str, type[Rule]]:
    """Every registered rule by code."""
    return dict(sorted(Rule.registry.items()))
