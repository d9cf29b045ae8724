"""The knowledge base: which qualified name plays which role, per framework.

Adding a framework means adding a table module here (``ENTRIES``, ``METHODS``,
``ROOTS``) and listing it in ``TABLES``; rules do not change.
"""

from __future__ import annotations

import sys

from lintnn.static.knowledge import jax, keras, sklearn, torch
from lintnn.static.knowledge.base import Arg, Entry

TABLES = (torch, jax, keras, sklearn)

ENTRIES: dict[str, Entry] = {}
METHODS: dict[str, dict[str, Entry]] = {}
FRAMEWORK_OF_ROOT: dict[str, str] = {}
for _table in TABLES:
    for _name, _entry in _table.ENTRIES.items():
        ENTRIES[_name] = Entry(
            _entry.roles, _entry.kind, _entry.prediction, _entry.target, _entry.dim,
            _table.FRAMEWORK, _entry.options,
        )
    METHODS[_table.FRAMEWORK] = dict(_table.METHODS)
    for _root in _table.ROOTS:
        FRAMEWORK_OF_ROOT[_root] = _table.FRAMEWORK

KNOWN_ROOTS = frozenset(FRAMEWORK_OF_ROOT)


def lookup(qualname: str | None) -> Entry | None:
    """The entry for a canonical qualified name, if the knowledge base has one."""
    if qualname is None:
        return None
    return ENTRIES.get(qualname)


def method(name: str, frameworks: frozenset[str]) -> Entry | None:
    """The entry for a method called on an unknown receiver, in files using ``frameworks``."""
    for framework in frameworks:
        entry = METHODS.get(framework, {}).get(name)
        if entry is not None:
            return entry
    return None


def may_be_project_root(root: str) -> bool:
    """A top-level module that may be the project's own: neither a framework nor the
    standard library."""
    return root.isidentifier() and not is_framework_name(root) and (
        root not in sys.stdlib_module_names)


def is_framework_name(qualname: str) -> bool:
    return qualname.split(".")[0] in KNOWN_ROOTS or qualname.split(".")[0] in {
        "transformers", "lightning", "pytorch_lightning", "timm", "tensorflow", "numpy",
    }


__all__ = ["KNOWN_ROOTS", "Arg", "Entry", "is_framework_name", "lookup", "method"]
