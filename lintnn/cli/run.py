"""``lintnn run train.py [args...]``: run a training script unchanged, with the monitor on.

Every optimizer the script steps gets a :class:`lintnn.torch.monitor` over the model it
trains (see :mod:`lintnn.runtime.torch.session`). The findings are printed to stderr when
the script ends, and ``--html``/``--json`` reports are written then, and again as soon as
an error-level finding fires (a long run leaves its report early). Exit codes: 0 no
warning or error, 1 findings (a ``NonFiniteError`` the monitor raised included), 2 the
script failed (its traceback is printed) or the command line is wrong. In a data-parallel
run only rank 0 prints and writes, with every rank's findings; a process group the script
left initialized (it raised, or never called ``destroy_process_group``) is destroyed
before the command returns, so that no rank's exit tears it down from under another.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import runpy
import sys
import traceback
from pathlib import Path
from typing import Any

from lintnn.cli.exits import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, UsageError
from lintnn.diagnostics import Diagnostic, Severity


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--every", type=int, default=10,
                        help="sample per-layer statistics every N optimizer steps (default 10)")
    parser.add_argument("--num-classes", type=int, default=None,
                        help="judge the loss against chance level ln(C)")
    parser.add_argument("--html", metavar="PATH", help="write the report as one HTML page")
    parser.add_argument("--json", metavar="PATH", help="write the findings as JSON")
    parser.add_argument("-m", dest="module", action="store_true",
                        help="run a module (like python -m) instead of a script file")
    parser.add_argument("script", help="the training script (or module with -m)")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the script's own arguments")


class _Writer:
    """Writes the reports: at the end, and early on the first error-level finding."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.html = args.html
        self.json = args.json
        self.session: Any = None
        self.wrote_early = False

    def on_finding(self, finding: Diagnostic) -> None:
        print(f"lintnn: {finding}", file=sys.stderr)
        if finding.severity is Severity.ERROR and not self.wrote_early:
            self.wrote_early = True
            self.write()

    def write(self, error: BaseException | None = None) -> None:
        if self.session is None or _rank() != 0:
            return
        report = self.session.report()
        if self.html:
            from lintnn.runtime.errors import NonFiniteError

            report.to_html(self.html, error=error if isinstance(error, NonFiniteError) else None)
        if self.json:
            Path(self.json).write_text(json.dumps(
                {"findings": [{**f.to_json(), "extra": f.extra} for f in report.findings],
                 "script_error": None if error is None else f"{type(error).__name__}: {error}"},
                default=str, indent=2), encoding="utf-8")


def _rank() -> int:
    from lintnn.runtime.torch.ranks import rank_and_world

    return int(os.environ.get("RANK", rank_and_world()[0]))


def _run_script(args: argparse.Namespace) -> None:
    argv = [args.script, *args.args]
    if args.module:
        sys.argv = argv
        runpy.run_module(args.script, run_name="__main__", alter_sys=True)
        return
    path = Path(args.script)
    if not path.is_file():
        raise UsageError(f"no such script: {args.script}")
    sys.argv = argv
    sys.path.insert(0, str(path.resolve().parent))
    runpy.run_path(str(path), run_name="__main__")


def run(args: argparse.Namespace) -> int:
    try:
        from lintnn.runtime.errors import NonFiniteError
        from lintnn.runtime.torch.session import Session
    except ImportError as exc:
        raise UsageError(f"`lintnn run` needs torch: pip install 'lintnn[torch]' ({exc})") \
            from None
    if args.every < 1:
        raise UsageError("--every must be at least 1")
    writer = _Writer(args)
    saved_argv, saved_path = list(sys.argv), list(sys.path)
    failed: BaseException | None = None
    status = EXIT_CLEAN
    with Session(every=args.every, num_classes=args.num_classes,
                 on_finding=writer.on_finding) as session:
        writer.session = session
        try:
            _run_script(args)
        except SystemExit as exc:
            if exc.code not in (None, 0):
                failed, status = exc, EXIT_ERROR
        except NonFiniteError as exc:
            failed, status = exc, EXIT_FINDINGS
        except UsageError:
            raise
        except BaseException as exc:  # the script's own failure: shown like python shows it
            traceback.print_exc()
            failed, status = exc, EXIT_ERROR
        finally:
            sys.argv[:], sys.path[:] = saved_argv, saved_path
    writer.write(failed)
    report = session.report()
    if _rank() == 0:
        counted = [f for f in report.findings if f.severity is not Severity.INFO]
        print(f"lintnn run: {len(counted)} problem(s) in {sum(m.steps for m in session.monitors)} "
              f"monitored step(s) of {args.script}", file=sys.stderr)
        for path in (args.html, args.json):
            if path:
                print(f"lintnn run: wrote {path}", file=sys.stderr)
    if status == EXIT_CLEAN and not report.ok:
        status = EXIT_FINDINGS
    writer.session = None
    _forget(failed)
    del session, report, failed  # the monitors hold the model, the traceback its frames
    gc.collect()
    _destroy_left_process_group()
    return status


def _forget(failed: BaseException | None) -> None:
    """Drop what a failed script's exception holds: its frames, and so its model.

    Under data parallelism the model is a ``DistributedDataParallel`` whose reducer keeps
    the process group and its threads alive. Left to interpreter teardown, they are
    destroyed after parts of torch they need and the rank aborts (``terminate called
    without an active exception``, SIGABRT) instead of returning the command's exit code;
    freed before ``run`` returns, they are destroyed while the interpreter is whole.
    """
    while failed is not None:
        traceback.clear_frames(failed.__traceback__)
        failed.__traceback__ = failed.__cause__ = None
        failed.__context__, failed = None, failed.__context__


def _destroy_left_process_group() -> None:
    """Destroy the default process group if the script left it initialized.

    A script that raised never reached its ``destroy_process_group``; torch then tears the
    group down at interpreter exit, where a rank whose peer already left can abort
    (SIGABRT) instead of returning the command's exit code.
    """
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        with contextlib.suppress(Exception):  # a group already broken by the failure
            dist.destroy_process_group()
        gc.collect()  # what still held the group (a cycle) goes now, not at teardown
