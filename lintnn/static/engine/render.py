"""The code of a replacement node as it will read in place, inside its indented blocks.

``Module.code_for_node`` renders a node as if it were at the top level: the continuation
lines of a multi-line call lose the indentation of the blocks around it. Rendering with
the enclosing blocks' indentation on libcst's codegen stack puts them back.
"""

from __future__ import annotations

from collections.abc import Mapping

import libcst as cst


def code_in_place(
    module: cst.Module,
    original: cst.CSTNode,
    replacement: cst.CSTNode,
    parents: Mapping[cst.CSTNode, cst.CSTNode],
) -> str:
    """Code of ``replacement`` for the place of ``original`` in ``module``."""
    try:  # libcst's codegen state: not exported, stable since libcst 0.3
        from libcst._nodes.internal import CodegenState
    except ImportError:  # pragma: no cover
        return module.code_for_node(replacement)
    indents: list[str] = []
    parent = parents.get(original)
    while parent is not None:
        if isinstance(parent, cst.IndentedBlock):
            indents.append(parent.indent if parent.indent is not None else module.default_indent)
        parent = parents.get(parent)
    state = CodegenState(default_indent=module.default_indent,
                         default_newline=module.default_newline)
    state.indent_tokens.extend(reversed(indents))
    replacement._codegen(state)
    return "".join(state.tokens)
