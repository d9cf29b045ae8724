"""Root causes first: findings that follow from another are folded under it."""

from __future__ import annotations

from typing import Any

from lintnn.diagnostics import Diagnostic
from lintnn.runtime.torch.diag import fold


def fold_dead_layers(found: list[Diagnostic], data: dict[str, Any]) -> list[Diagnostic]:
    """A ReLU dead for every unit and sample is the root cause of what follows from it:
    the output no longer depends on the input (NR310), no gradient reaches the layers
    around it (NR303 zero gradient, NR305 vanishing), the layers after it see a constant
    (NR306, more dead ReLUs) and the batch cannot be fitted (NR302). Those are folded under
    the dead-ReLU finding, which comes first."""
    order = data.get("forward_order", [])
    dead = [name for kind, name in order if kind == "relu" and data["dead_relu"][name] >= 1.0]
    root = next((f for f in found if f.code == "NR304" and dead and f.module == dead[0]), None)
    if root is None:
        return found
    site = order.index(("relu", dead[0]))
    after = {name for _, name in order[site + 1:]}
    feeding = [name for kind, name in order[:site] if kind == "act"]

    def consequence(f: Diagnostic) -> bool:
        if f is root:
            return False
        return ((f.code in ("NR310", "NR302") and f.extra.get("cause") is None)
                or (f.code == "NR303" and f.extra.get("reason") == "zero-gradient")
                or (f.code == "NR305" and f.extra.get("ratio") == 0.0)
                or (f.code in ("NR304", "NR306") and f.module in after))

    if feeding:
        root = root.with_changes(message=f"{root.message}; the layer feeding it is "
                                 f"{feeding[-1]!r}")
    return fold(found, root, [f for f in found if consequence(f)])
