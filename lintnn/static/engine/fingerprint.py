"""What a statement-local rule may read outside the statement, reduced to hashable keys.

A rule whose scope is ``"statement"`` sees the rest of the file only through module-level
facts: the import table, the names of the file's classes, the values module-level code
binds (through the dataflow), the file's path and indentation. Their digest, and the
module-level environment each statement starts in, key the per-statement cache: when any
of them changes, cached findings are not reused.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import libcst as cst

from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Value


class Fingerprints:
    """Keys of one file's module-level facts, with each value's key computed once."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self._values: dict[int, Hashable] = {}
        self._codes: dict[int, str] = {}
        self._flow = ctx.module_flow()

    def module(self) -> Hashable:
        """Everything module-level that a statement-local rule may read."""
        ctx = self.ctx
        imports = ctx.imports
        return (
            str(ctx.path), ctx.module_name, ctx.is_package,
            ctx.module.default_indent, ctx.module.default_newline,
            tuple(sorted(imports.aliases.items())), tuple(sorted(imports.shadowed)),
            tuple(imports.star_modules), tuple(sorted(imports.bound)) if imports.star_modules
            else (),
            tuple(sorted(ctx.frameworks)), tuple(sorted(ctx.local_classes)),
            tuple(ctx.nested_classes), ctx.sole_model_class, ctx.call_graph.names_key(),
            self.environment(self._flow.final),
        )

    def before(self, statement: cst.CSTNode) -> Hashable:
        """The module-level environment ``statement`` starts in (decorators, defaults
        and class bodies are evaluated in it)."""
        return self.environment(self._flow.before.get(statement, {}))

    def environment(self, env: Mapping[str, Value]) -> Hashable:
        return tuple(sorted((name, self.value(value)) for name, value in env.items()))

    def value(self, value: Value | None) -> Hashable:
        if value is None:
            return None
        key = self._values.get(id(value))
        if key is None:
            key = (
                value.kind.value, value.qualname, value.entry,
                tuple(sorted(value.roles)), value.project_class,
                tuple(self.value(item) for item in value.items), self._code(value.node),
                tuple(self.value(c) for c in value.candidates),
            )
            self._values[id(value)] = key
        return key

    def _code(self, node: cst.CSTNode | None) -> str | None:
        """The code of a value's node: rules read the arguments of the call that built it."""
        if node is None:
            return None
        code = self._codes.get(id(node))
        if code is None:
            code = self._codes[id(node)] = self.ctx.module.code_for_node(node)
        return code
