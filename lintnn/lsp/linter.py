"""Run the engine for the server: settings per directory, off the event loop.

Linting runs in one worker process. libcst's native parser holds the GIL for the whole
parse (seconds on a 50,000-line file), so a thread would freeze the server; a process
keeps it answering, and a crash there (or a runaway document) cannot kill it.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from lintnn.config import ConfigError, Settings, load_settings
from lintnn.diagnostics import Diagnostic
from lintnn.lsp.worker import init_worker, internal_error, lint_text

logger = logging.getLogger(__name__)


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

    async def lint(self, path: Path, text: str) -> list[Diagnostic]:
        """The diagnostics of ``text`` checked as the file ``path``."""
        settings = self.settings_for(path)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.executor, lint_text, settings, str(path), text)
        except BrokenProcessPool:
            logger.error("lint worker died on %s; starting a new one", path)
            self._executor = None
            return [internal_error(str(path), "internal error: the lint worker crashed on "
                                   "this document; please report it")]

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

    def close(self) -> None:
        """Stop the worker without waiting for a lint in progress."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        processes = list((getattr(executor, "_processes", None) or {}).values())  # no public API
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(timeout=1.0)
            if process.is_alive():  # busy on a long document
                process.terminate()
                process.join(timeout=1.0)
