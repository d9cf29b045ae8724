"""Which model an optimizer is built on.

Shared by the optimizer-lifetime rules: an optimizer left on a replaced model (NN507) and
one rebuilt on every epoch (NN519).
"""

from __future__ import annotations

import libcst as cst

from lintnn.static.analyses import datasets as D
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import dotted_name, method_name


def parameters_owner(ctx: FileContext, call: cst.Call) -> str | None:
    """The dotted name of the model whose ``.parameters()`` the optimizer ``call`` is
    given, however wrapped: ``Adam(model.parameters())``,
    ``SGD(filter(lambda p: p.requires_grad, net.parameters()))``, param groups
    (``[{"params": self.encoder.parameters()}]``), ``params=`` keyword. None when no
    argument that can carry parameters reads one."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value != "params":
            continue
        for node in D.calls_in(ctx, arg.value):
            if method_name(node) in ("parameters", "named_parameters"):
                owner = dotted_name(node.func.value)  # type: ignore[attr-defined]
                if owner is not None:
                    return owner
    return None
