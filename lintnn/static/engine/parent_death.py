"""Worker processes exit when the process that started them dies.

A ``lintnn check`` killed with SIGKILL (as CI runners and editors do) runs no cleanup: its
pool workers, blocked on a queue the dead parent will never write, would live on. On Linux
the kernel sends each worker SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)``,
through ctypes); elsewhere, and where workers are started by a fork server rather than by
lintnn itself, a daemon thread checks the parent twice a second.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_INTERVAL = 0.5  # seconds


def exit_with_parent(parent_pid: int) -> None:
    """Arrange for this process to exit soon after ``parent_pid`` dies."""
    if os.getppid() != parent_pid:  # started by a fork server: watch lintnn's own pid
        if os.name == "posix":
            _watch(lambda: _alive(parent_pid))
        return
    if sys.platform.startswith("linux") and _set_parent_death_signal(signal.SIGKILL):
        if os.getppid() != parent_pid:  # the parent died before the signal was armed
            os._exit(1)
        return
    _watch(lambda: os.getppid() == parent_pid)  # an orphan is re-parented


def _set_parent_death_signal(signum: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    except (OSError, AttributeError):  # no C library to load, or no prctl in it
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # POSIX only: on Windows, signal 0 would terminate the process
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watch(parent_alive: Callable[[], bool]) -> None:
    def watch() -> None:
        while parent_alive():
            time.sleep(WATCH_INTERVAL)
        os._exit(1)

    threading.Thread(target=watch, name="lintnn-parent-watch", daemon=True).start()
