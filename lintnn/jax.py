"""JAX runtime shim: ``import lintnn.jax as lj`` (needs jax, flax and optax).

``probe_shapes`` finds dimension bugs on abstract values, ``watch`` names the first
primitive that produced a NaN/Inf, ``check_health`` runs the first-step sanity checks,
``monitor`` judges a whole optax training run as it goes.
"""

from lintnn.runtime.jax.health import check_health
from lintnn.runtime.jax.monitor import monitor
from lintnn.runtime.jax.probe import probe_shapes
from lintnn.runtime.jax.watch import watch
from lintnn.runtime.thresholds import Thresholds

__all__ = ["Thresholds", "check_health", "monitor", "probe_shapes", "watch"]
