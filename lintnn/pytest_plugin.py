"""pytest plugin (``pytest11`` entry point): the ``lintnn_probe`` fixture.

    def test_model_is_sound(lintnn_probe):
        lintnn_probe.assert_sound(model, x, loss_fn=nn.CrossEntropyLoss(), target=y)

A failure reads as one sentence per finding with the module, the user line and the
values that matter. ``@pytest.mark.lintnn(health=False, steps=50)`` sets the defaults of
the fixture for one test. torch is imported only when a check runs.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from lintnn.runtime.report import Report


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "lintnn(**options): defaults for the lintnn_probe fixture "
        "(health=False, steps=N, dims={...}, num_classes=C)",
    )


def failure_text(report: Report, what: str) -> str:
    """``report`` as the sentence a failing test shows."""
    bad = [f for f in report.findings if f.severity.value in ("error", "warning")]
    lines = [f"lintnn found {len(bad)} problem(s) with {what}:"]
    for f in bad:
        where = []
        if f.module is not None:
            where.append(f"module {f.module!r}" if f.module else "the root module")
        if f.source:
            where.append(f"at {f.source}")
        lines.append(f"  {f.code} ({', '.join(where) or 'model'}): {f.message}")
        lines += [f"      folded under it: {c.code} {c.message}"
                  for c in f.extra.get("consequences", ())]
    return "\n".join(lines)


class Probe:
    """The object behind the ``lintnn_probe`` fixture."""

    def __init__(self, **defaults: Any) -> None:
        self.defaults = defaults
        self.reports: list[Report] = []

    def _check(self, report: Report, what: str) -> Report:
        self.reports.append(report)
        if not report.ok:
            pytest.fail(failure_text(report, what), pytrace=False)
        return report

    def assert_sound(self, model: Any, inputs: Any, loss_fn: Any = None, target: Any = None,
                     **options: Any) -> Report:
        """Shapes, batch independence, NaN behaviour and (given ``loss_fn``) health."""
        import lintnn.torch as lt

        opts = {**self.defaults, **options}
        return self._check(lt.check_all(model, inputs, target=target, loss_fn=loss_fn, **opts),
                           f"{type(model).__name__}")

    def assert_shapes(self, model: Any, inputs: Any, loss_fn: Any = None, target: Any = None,
                      dims: Any = None) -> Report:
        import lintnn.torch as lt

        report = lt.probe_shapes(model, inputs, target=target, loss_fn=loss_fn, dims=dims)
        report.extend(lt.check_batch_independence(model, inputs))
        return self._check(report, f"the shapes of {type(model).__name__}")

    def assert_finite(self, model: Any, inputs: Any, loss_fn: Any = None,
                      target: Any = None) -> Report:
        import lintnn.torch as lt

        return self._check(lt.check_nonfinite(model, inputs, target=target, loss_fn=loss_fn),
                           f"NaN/Inf in {type(model).__name__}")

    def assert_healthy(self, model: Any, loss_fn: Any = None, batch: Any = None,
                       *legacy: Any, inputs: Any = None, target: Any = None,
                       **options: Any) -> Report:
        """``check_health``'s arguments in ``check_health``'s order: ``(model, loss_fn,
        batch, num_classes=, optimizer=, steps=)``.

        The old order ``(model, inputs, loss_fn, target)`` (positional, or ``inputs=`` and
        ``target=`` keywords) still works and warns: it is recognised by a non-callable in
        the ``loss_fn`` place, or by the ``inputs`` keyword.
        """
        import lintnn.torch as lt

        if inputs is not None or (loss_fn is not None and not callable(loss_fn)):
            warnings.warn("assert_healthy(model, inputs, loss_fn, target) is deprecated: "
                          "pass check_health's order, assert_healthy(model, loss_fn, "
                          "(inputs, target))", DeprecationWarning, stacklevel=2)
            if inputs is None:
                inputs, loss_fn = loss_fn, batch
                target = legacy[0] if legacy else target
            elif batch is not None:  # assert_healthy(model, loss_fn, inputs=x, ...)
                raise TypeError("assert_healthy: pass either batch or inputs=, not both")
            batch = (inputs, target)
        elif legacy:
            raise TypeError(f"assert_healthy takes (model, loss_fn, batch); got "
                            f"{len(legacy)} more positional argument(s)")
        if loss_fn is None or batch is None:
            raise TypeError("assert_healthy needs loss_fn and batch: "
                            "assert_healthy(model, loss_fn, (inputs, target))")
        opts = {k: v for k, v in {**self.defaults, **options}.items()
                if k in ("num_classes", "optimizer", "steps")}
        return self._check(lt.check_health(model, loss_fn, batch, **opts),
                           f"the training health of {type(model).__name__}")


@pytest.fixture
def lintnn_probe(request: pytest.FixtureRequest) -> Probe:
    """Assert that a model's shapes, NaN behaviour and training health are sound."""
    marker = request.node.get_closest_marker("lintnn")
    return Probe(**(marker.kwargs if marker else {}))
