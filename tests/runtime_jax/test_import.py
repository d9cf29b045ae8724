"""``import lintnn`` stays free of jax; the JAX shim lives behind ``lintnn.jax``."""

from __future__ import annotations

import subprocess
import sys


def test_import_lintnn_does_not_import_jax() -> None:
    code = "import sys, lintnn; print('jax' in sys.modules, 'flax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]


def test_public_api() -> None:
    import lintnn.jax as lj

    assert {"probe_shapes", "watch", "check_health"} <= set(lj.__all__)
