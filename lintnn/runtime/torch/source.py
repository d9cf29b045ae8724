"""Name the user's line: the innermost stack frame outside torch and lintnn."""

from __future__ import annotations

import functools
import os
import sys
import types

import torch

# lintnn's package folder (three levels up) and torch's: frames in them are not the user's.
_LINTNN = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_SKIP = (_LINTNN + os.sep, os.path.dirname(os.path.abspath(torch.__file__ or "")) + os.sep)
_SKIP_NAMES = ("<frozen", "contextlib.py", "_contextlib.py", "functools.py")


@functools.lru_cache(maxsize=4096)
def is_user_file(filename: str) -> bool:
    path = os.path.abspath(filename) if not filename.startswith("<") else filename
    return not path.startswith(_SKIP) and not any(s in path for s in _SKIP_NAMES)


def is_console_script(frame: types.FrameType) -> bool:
    """The ``lintnn`` console script (``from lintnn.cli.main import main; main()``): it is
    outside lintnn's folder, yet not the user's code (``lintnn probe`` runs from it)."""
    entry = frame.f_globals.get("main")
    return frame.f_globals.get("__name__") == "__main__" and \
        getattr(entry, "__module__", None) == "lintnn.cli.main"


def user_frame(frame: types.FrameType | None = None,
               stop: types.FrameType | None = None) -> str | None:
    """``file:line`` of the innermost frame in user code, walking outwards from ``frame``.

    The walk ends (``None``) at ``stop``, the frame that called the model: an op of a model
    built from torch's own modules (an ``nn.Sequential``) has no user line inside the
    call, and the line that called the check (or ``opt.step()``) would be a wrong answer.
    """
    f = frame if frame is not None else sys._getframe(1)
    while f is not None and f is not stop:
        if is_user_file(f.f_code.co_filename) and not is_console_script(f):
            return f"{f.f_code.co_filename}:{f.f_lineno}"
        f = f.f_back
    return None


def user_frame_of(exc: BaseException) -> str | None:
    """The innermost user frame of an exception's traceback."""
    tb = exc.__traceback__
    found = None
    while tb is not None:
        if is_user_file(tb.tb_frame.f_code.co_filename) and not is_console_script(tb.tb_frame):
            found = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found
