"""``lintnn probe path/to/file.py:make_model``: run the PyTorch runtime checks from the CLI.

The factory returns ``(model, inputs)``, ``(model, inputs, target, loss_fn)`` or a dict
with those keys (and optionally ``dims``). Exit codes: 0 clean, 1 findings, 2 error.
The text output ends with a per-layer table; ``--html PATH`` also writes the report as
one self-contained page.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
from collections.abc import Callable
from typing import Any, TextIO

from lintnn.diagnostics import Diagnostic


class ProbeError(Exception):
    """A problem with the command line or the factory, shown without a traceback."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("factory", help="path/to/file.py:make_model or package.module:factory")
    parser.add_argument("--output-format", dest="output_format", default="text",
                        choices=("text", "json"), help="how to print the findings")
    parser.add_argument("--no-health", dest="health", action="store_false",
                        help="skip the training-health checks (faster)")
    parser.add_argument("--steps", type=int, default=300,
                        help="bound on the overfit-one-batch steps (default 300)")
    parser.add_argument("--html", metavar="PATH", default=None,
                        help="also write a self-contained HTML report with per-layer plots")


def load_factory(spec: str) -> Callable[[], Any]:
    where, sep, name = spec.rpartition(":")
    if not sep or not where or not name:
        raise ProbeError(f"expected path/to/file.py:factory or module:factory, got {spec!r}")
    if where.endswith(".py") or os.sep in where or os.path.exists(where):
        if not os.path.isfile(where):
            raise ProbeError(f"no such file: {where}")
        mod_name = f"_lintnn_probe_{abs(hash(os.path.abspath(where)))}"
        module_spec = importlib.util.spec_from_file_location(mod_name, where)
        if module_spec is None or module_spec.loader is None:
            raise ProbeError(f"cannot import {where}")
        module = importlib.util.module_from_spec(module_spec)
        sys.path.insert(0, os.path.dirname(os.path.abspath(where)))
        try:
            module_spec.loader.exec_module(module)
        except Exception as exc:
            raise ProbeError(f"importing {where} failed: {type(exc).__name__}: {exc}") from exc
        finally:
            sys.path.pop(0)
    else:
        try:
            module = importlib.import_module(where)
        except Exception as exc:
            raise ProbeError(f"cannot import module {where!r}: {exc}") from exc
    factory = getattr(module, name, None)
    if not callable(factory):
        raise ProbeError(f"{where} has no callable {name!r}")
    return factory


def unpack(result: Any) -> dict[str, Any]:
    """Normalize what a factory returned into model/inputs/target/loss_fn/dims."""
    if isinstance(result, dict):
        if "model" not in result or "inputs" not in result:
            raise ProbeError("the factory's dict needs the keys 'model' and 'inputs'")
        return {k: result.get(k) for k in ("model", "inputs", "target", "loss_fn", "dims")}
    if isinstance(result, tuple) and len(result) in (2, 4):
        model, inputs, *rest = result
        target, loss_fn = rest if rest else (None, None)
        return {"model": model, "inputs": inputs, "target": target, "loss_fn": loss_fn,
                "dims": None}
    raise ProbeError("the factory must return (model, inputs), (model, inputs, target, "
                     f"loss_fn) or a dict, not {type(result).__name__}")


def _write(diagnostics: list[Diagnostic], fmt: str, stream: TextIO) -> None:
    try:
        from lintnn.report import write  # provided by the CLI branch
    except ImportError:
        if fmt == "json":
            json.dump([d.to_json() for d in diagnostics], stream, indent=2)
            stream.write("\n")
        else:
            for d in diagnostics:
                stream.write(f"{d}\n")
        return
    write(diagnostics, fmt, stream)


def run(args: argparse.Namespace) -> int:
    try:
        factory = load_factory(args.factory)
        try:
            parts = unpack(factory())
        except ProbeError:
            raise
        except Exception as exc:
            raise ProbeError(f"{args.factory} raised {type(exc).__name__}: {exc}") from exc
        try:
            from lintnn.runtime.torch.all_checks import check_all
        except ImportError as exc:
            raise ProbeError(f"lintnn probe needs torch: {exc} (pip install lintnn[torch])") \
                from exc
    except ProbeError as exc:
        print(f"lintnn probe: error: {exc}", file=sys.stderr)
        return 2
    report = check_all(
        parts["model"], parts["inputs"], target=parts["target"], loss_fn=parts["loss_fn"],
        dims=parts["dims"], health=getattr(args, "health", True),
        steps=getattr(args, "steps", 300),
    )
    fmt = getattr(args, "output_format", "text")
    _write(report.findings, fmt, sys.stdout)
    if fmt == "text":
        from lintnn.runtime.tables import print_table

        print_table(report, sys.stdout)
    html_path = getattr(args, "html", None)
    if html_path:
        names = [name for name, _ in parts["model"].named_modules()]
        report.to_html(html_path, module_names=names)
        print(f"lintnn probe: wrote {html_path}", file=sys.stderr)
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    """``python -m lintnn.cli.probe FILE:FACTORY`` until the CLI wires it in."""
    parser = argparse.ArgumentParser(prog="lintnn probe")
    configure(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
