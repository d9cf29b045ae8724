"""Run the engine for the server: settings per directory, off the event loop.

Linting runs in one worker process. libcst's native parser holds the GIL for the whole
parse (seconds on a 50,000-line file), so a thread would freeze the server; a process
keeps it answering, a crash there cannot kill it, and a long lint of a text that has
since changed can be stopped (restarting the worker costs about a second).

The worker keeps each open buffer's parsed statements; a closed buffer's are dropped
(:meth:`Linter.forget`). CPython seldom returns freed memory to the system, so a worker
whose resident memory passed :data:`WORKER_MAX_RSS` after a lint or a close (after a very
large buffer) is replaced once it is idle (benchmarks/bench_lsp_memory.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from lintnn.config import ConfigError, Settings, load_settings
from lintnn.diagnostics import Diagnostic
from lintnn.lsp.worker import forget, init_worker, internal_error, lint_measured, lint_text

logger = logging.getLogger(__name__)

RESTART_AFTER_S = 1.0  # an outdated lint running longer than this is cheaper to kill
WORKER_MAX_RSS = 1 << 30  # a worker holding more (bytes) is replaced when idle


class Linter:
    """Lints buffers with the settings of the nearest pyproject.toml, cached per directory."""

    def __init__(
        self, use_process: bool = True,
        on_config_error: Callable[[str], None] | None = None,
    ) -> None:
        self.use_process = use_process
        self.on_config_error = on_config_error
        self._settings: dict[Path, Settings] = {}
        self._executor: Executor | None = None
        self._in_flight: dict[object, tuple[str | None, float]] = {}  # -> (key, submitted)
        self._stopped: list[Executor] = []  # executors stopped on purpose
        self.max_rss = WORKER_MAX_RSS
        self.recycled = 0  # workers replaced for their size
        self._too_big: Executor | None = None  # the worker to replace once idle

    # Settings -----------------------------------------------------------------------

    def settings_for(self, path: Path) -> Settings:
        directory = path.absolute().parent
        settings = self._settings.get(directory)
        if settings is None:
            try:
                settings = load_settings(start=directory)
            except ConfigError as error:
                if self.on_config_error is not None:
                    self.on_config_error(f"lintnn: {error}; using the default settings")
                settings = Settings(root=directory)
            self._settings[directory] = settings
        return settings

    def invalidate_settings(self) -> None:
        """Forget every cached configuration (a pyproject.toml changed)."""
        self._settings.clear()

    # Linting ------------------------------------------------------------------------

    async def lint(self, path: Path, text: str, key: str | None = None) -> list[Diagnostic] | None:
        """The diagnostics of ``text`` checked as the file ``path``.

        None when the lint was stopped by :meth:`abandon` (its text is outdated).
        """
        settings = self.settings_for(path)
        executor = self.executor
        token = object()
        self._in_flight[token] = (key, time.monotonic())
        try:
            future = executor.submit(lint_measured, settings, str(path), text)
            diagnostics, resident = await asyncio.wrap_future(future)
            self._check_size(executor, resident)
            return diagnostics
        except BrokenProcessPool:
            if self._executor is executor:
                self._executor = None
            if executor in self._stopped:
                return None
            logger.error("lint worker died on %s; starting a new one", path)
            return [internal_error(str(path), "internal error: the lint worker crashed on "
                                   "this document; please report it")]
        finally:
            del self._in_flight[token]
            if self._too_big is not None and not self._in_flight:
                self._recycle()

    def forget(self, path: Path) -> Future[int] | None:
        """The editor closed ``path``: the worker drops what it kept of it (the future of
        its resident memory after that; None when no worker runs). Called from the event
        loop; a worker still past the bound afterwards is replaced."""
        executor = self._executor
        if executor is None:
            return None
        try:
            future = executor.submit(forget, str(path))
        except RuntimeError:  # shutting down: nothing is kept anyway
            return None
        with contextlib.suppress(RuntimeError):  # no loop: nobody to replace it for
            loop = asyncio.get_running_loop()
            future.add_done_callback(
                lambda done: loop.call_soon_threadsafe(self._forgotten, executor, done))
        return future

    def _forgotten(self, executor: Executor, done: Future[int]) -> None:
        if done.cancelled() or done.exception() is not None:
            return  # a stopped or broken worker keeps nothing
        self._check_size(executor, done.result())
        if self._too_big is not None and not self._in_flight:
            self._recycle()

    def _check_size(self, executor: Executor, resident: int) -> None:
        if (resident > self.max_rss and isinstance(executor, ProcessPoolExecutor)
                and executor is self._executor):
            logger.info("the lint worker holds %.0f MB: replacing it", resident / 1e6)
            self._too_big = executor

    def _recycle(self) -> None:
        """Replace the worker that grew too large (nothing is in flight)."""
        if self._too_big is not None and self._too_big is self._executor:
            self._stopped.append(self._too_big)
            self.close(wait=1.0)
            self.recycled += 1
        self._too_big = None

    def abandon(self, key: str) -> bool:
        """Stop the worker if it has spent long on an outdated text of ``key``.

        Every lint in flight then returns None; the caller lints again what it still needs.
        """
        now = time.monotonic()
        if not isinstance(self._executor, ProcessPoolExecutor) or not any(
            k == key and now - since > RESTART_AFTER_S for k, since in self._in_flight.values()
        ):
            return False
        logger.info("stopping an outdated lint of %s", key)
        self._stopped.append(self._executor)
        self.close(wait=0.0)
        return True

    @property
    def executor(self) -> Executor:
        if self._executor is None:
            self._executor = self._start()
        return self._executor

    def _start(self) -> Executor:
        if self.use_process:
            try:
                # spawn, not fork: the server has threads (stdin reader, event loop).
                context = multiprocessing.get_context("spawn")
                return ProcessPoolExecutor(1, mp_context=context, initializer=init_worker)
            except (OSError, NotImplementedError, ValueError) as error:
                logger.warning("cannot start a lint process (%s); linting in a thread", error)
        return ThreadPoolExecutor(1, thread_name_prefix="lintnn-lint")

    def warm_up(self) -> None:
        """Start the worker and import the rules now rather than on the first keystroke."""
        self.executor.submit(lint_text, Settings(), "warmup.py", "import torch\n")

    def close(self, wait: float = 1.0) -> None:
        """Stop the worker, waiting at most ``wait`` seconds for a lint in progress."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        processes = list((getattr(executor, "_processes", None) or {}).values())  # no public API
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(timeout=wait)
            if process.is_alive():  # busy on a long document
                process.terminate()
                process.join(timeout=1.0)
