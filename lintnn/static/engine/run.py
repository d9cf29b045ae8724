"""The engine: discover files, analyse them (in parallel, cached), join across files,
then apply suppressions and settings. Formatting is someone else's job."""

from __future__ import annotations

import contextlib
import errno
import gc
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lintnn.config import DEFAULT_MAX_FILE_SIZE, Settings
from lintnn.diagnostics import Diagnostic
from lintnn.static import load_libcst
from lintnn.static.engine import fast_parse
from lintnn.static.engine.analyze import (
    FileResult,
    analyze_text,
    function_summaries,
    internal_error,
)
from lintnn.static.engine.cache import CACHE_FOLDER, Cache, digest
from lintnn.static.engine.deferred import DeferredIndex
from lintnn.static.engine.discovery import Discovery
from lintnn.static.engine.document import Document
from lintnn.static.engine.files import (
    TooLargeToRead,
    analyze_bytes,
    analyze_path,
    read_error,
    read_limit,
    read_source,
)
from lintnn.static.engine.parent_death import exit_with_parent
from lintnn.static.engine.schedule import MIN_PARALLEL_BYTES, plan, workers_for
from lintnn.static.engine.source import SourceError, decode
from lintnn.static.engine.suppress import finish_file
from lintnn.static.engine.writer import clean_up
from lintnn.static.rules import Rule, all_rules
from lintnn.static.syntax import memo
from lintnn.static.syntax.project import ClassSummary, FunctionSummary

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor


@dataclass
class RunResult:
    diagnostics: list[Diagnostic]
    files: list[Path]
    results: dict[str, FileResult] = field(default_factory=dict)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    cached: int = 0
    cleaned: list[tuple[Path, str]] = field(default_factory=list)  # an interrupted fix's
    pruned: list[Path] = field(default_factory=list)  # folders skipped by default


def _skipped(results: dict[str, FileResult]) -> list[tuple[Path, str]]:
    return [(Path(key), r.skipped) for key, r in results.items() if r.skipped is not None]


def enabled_rules(settings: Settings) -> list[Rule]:
    return [cls() for code, cls in all_rules().items() if settings.is_enabled(code)]


# Worker-side state: rules are instantiated once per process.
_WORKER_RULES: list[Rule] = []
_WORKER_MAX_SIZE = [DEFAULT_MAX_FILE_SIZE]
_WORKER_GATED = [True]


def _init_worker(codes: list[str], max_size: int = DEFAULT_MAX_FILE_SIZE,
                 gated: bool = True, parent_pid: int | None = None) -> None:
    if parent_pid is not None:  # a pool worker: exit with lintnn, even if it is killed
        exit_with_parent(parent_pid)
    registry = all_rules()
    _WORKER_RULES[:] = [registry[code]() for code in codes]
    _WORKER_MAX_SIZE[0] = max_size
    _WORKER_GATED[0] = gated


# Collect garbage rarely while files are analysed: libcst builds millions of short-lived
# nodes, and each full collection would also walk every module the process has loaded
# (10-20% of the analysis on lightning's sources; the language server's worker does the
# same). Kept cycles are per file, so memory stays bounded.
_GC_THRESHOLDS = (50_000, 20, 50)


@contextlib.contextmanager
def _rare_collections() -> Iterator[None]:
    """Freeze what is loaded (a forked worker then never copies it to count references)
    and raise the collector's thresholds; both restored on exit."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _analyze_batch(paths: list[str]) -> list[tuple[str, FileResult]]:
    gc.set_threshold(*_GC_THRESHOLDS)  # a worker process of ours
    return [_analyze_path(path) for path in paths]


def _sizes(paths: list[str]) -> list[int]:
    sizes = []
    for path in paths:
        try:
            sizes.append(os.stat(path).st_size)
        except OSError:
            sizes.append(0)
    return sizes


def _analyze_path(path: str) -> tuple[str, FileResult]:
    """(content digest, result) of one file; never raises: a failure is a finding."""
    try:
        data, result = analyze_path(Path(path), _WORKER_RULES, _WORKER_MAX_SIZE[0],
                                    gated=_WORKER_GATED[0], defer_summary=_WORKER_GATED[0])
        return (digest(data) if data is not None else ""), result
    except Exception as error:  # a bug outside any one rule: this file only
        return "", FileResult(path, [internal_error(path, "the analysis", error)])


def pooled(batches: list[list[str]], workers: int,
           initargs: tuple[Any, ...]) -> Iterator[list[tuple[str, FileResult]]]:
    """:func:`_analyze_batch` of each batch of paths in worker processes, in order.

    A worker that dies (killed for memory, a crash in native code) or a result that cannot
    come back breaks the pool: the batches that were in flight are then analysed one file
    at a time in a fresh one-worker pool (:func:`_isolated`), where the file that fails
    again gets an NN002 finding and the others their results; then the rest goes on in
    parallel.
    """
    done, isolate_until = 0, 0
    while done < len(batches):
        if done < isolate_until:
            yield _isolated(batches[done], initargs)
            done += 1
            continue
        pool = _pool(workers, initargs)
        try:
            for items in pool.map(_analyze_batch, batches[done:]):
                done += 1
                yield items
        except Exception:  # BrokenProcessPool, or a result that did not come back
            # those in flight: one batch per worker, and one queued
            isolate_until = done + workers + 1
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _pool(workers: int, initargs: tuple[Any, ...]) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes set up by :func:`_init_worker` (its module is
    imported here: a run that starts none need not load it)."""
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(workers, initializer=_init_worker, initargs=initargs)


def _isolated(paths: list[str], initargs: tuple[Any, ...]) -> list[tuple[str, FileResult]]:
    """:func:`_analyze_path` of each path, one at a time in a one-worker pool that is
    replaced when a file breaks it (that file gets an NN002 finding)."""
    out: list[tuple[str, FileResult]] = []
    while len(out) < len(paths):
        pool = _pool(1, initargs)
        try:
            for item in pool.map(_analyze_path, paths[len(out):]):
                out.append(item)
        except Exception as error:
            path = paths[len(out)]
            out.append(("", FileResult(path, [internal_error(
                path, "the worker process that analysed this file", error)])))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return out


class Engine:
    """Checks a set of paths under one :class:`Settings`."""

    def __init__(
        self,
        settings: Settings,
        use_cache: bool = True,
        jobs: int | None = None,
        progress: Callable[[int, int], None] | None = None,
        incremental: bool = False,
        gated: bool = True,
    ) -> None:
        """``incremental`` keeps each checked buffer's parsed statements and the findings
        of statement-local rules between calls of :meth:`check_source`, so an editor's
        re-lint re-parses and re-checks only what changed. ``gated=False`` runs every rule
        whose triggers occur on every file, without the gate on CPython's tree, without
        deferred class summaries and on libcst's tree only (no first pass on the tree built
        from CPython's, ``analyze_text``'s ``from_ast``): the same findings, slower, for the
        tests that prove it; notebooks are gated either way."""
        self.settings = settings
        self.gated = gated
        self._documents: dict[str, Document] | None = {} if incremental else None
        self.rules = enabled_rules(settings)
        self.use_cache = use_cache
        self.jobs = jobs if jobs is not None else (os.cpu_count() or 1)
        self.progress = progress

    # Public API -------------------------------------------------------------------

    def discover(self, paths: Sequence[Path]) -> tuple[list[Path], Discovery]:
        """The files a check of ``paths`` would analyse, and how they were found."""
        discovery = Discovery(self.settings.exclude, self.settings.respect_gitignore,
                              self.settings.root)
        files = [f for f in discovery.files(paths)
                 if f.suffix in (".py", ".pyi") or self._extra_source(f)]
        return files, discovery

    def check_paths(self, paths: Sequence[Path]) -> RunResult:
        files, discovery = self.discover(paths)
        cleaned = [(path, what) for path in discovery.leftovers
                   if (what := clean_up(path)) is not None]
        cache = self._open_cache()
        results, cached = self._analyze_files(files, cache)
        for path in discovery.missing:  # reported, and the rest is checked: ruff's E902
            results[str(path)] = read_error(str(path), FileNotFoundError(
                errno.ENOENT, "no such file or directory"))
        diagnostics = self._finish(results, summarized=cache.summarized if cache else None,
                                   settled=cache.settled if cache else None)
        if cache is not None:
            cache.save()
        return RunResult(diagnostics, files, results, discovery.skipped + _skipped(results),
                         cached, cleaned, discovery.pruned)

    def check_source(self, path: Path, text: str) -> RunResult:
        """Check unsaved text (stdin, an editor buffer) as if it were ``path``.

        The collector runs as rarely as in a run over files (:func:`_rare_collections`):
        with its default thresholds, its full collections walked every loaded module and
        every kept statement again and again during one check (a quarter of the CPU of a
        whole-buffer check of a 3,000-line file)."""
        with _rare_collections():
            result = self._analyze_source(path, text)
        results = {str(path): result}
        code = text if path.suffix != ".ipynb" else None
        return RunResult(self._finish(results, {str(path): code} if code else None), [path],
                         results, _skipped(results))

    def _analyze_source(self, path: Path, text: str) -> FileResult:
        max_size = self.settings.max_file_size
        if path.suffix == ".ipynb":
            return analyze_bytes(path, text.encode("utf-8"), self.rules, max_size,
                                 gated=self.gated)
        if self._documents is not None:
            document = self._documents.setdefault(str(path), Document())
            return document.analyze(path, text, self.rules, max_size)
        return analyze_text(path, text, self.rules, max_size=max_size, gated=self.gated,
                            from_ast=self.gated)

    def forget_source(self, path: Path) -> None:
        """Drop what :meth:`check_source` keeps of ``path`` (an editor closed the buffer),
        and every memoized answer (an answer does not say which buffer its subtree is
        from; the open buffers compute theirs again on their next check)."""
        if self._documents is not None and self._documents.pop(str(path), None) is not None:
            memo.clear()

    # Internals --------------------------------------------------------------------

    def _extra_source(self, path: Path) -> bool:
        """Hook for other source kinds: Jupyter notebooks."""
        return path.suffix == ".ipynb"

    def _analyze_files(self, files: list[Path], cache: Cache | None = None,
                       ) -> tuple[dict[str, FileResult], int]:
        """Each file's result, from ``cache`` where it holds one (the caller saves it)."""
        results: dict[str, FileResult] = {}
        todo: list[str] = []
        for path in files:
            key = str(path)
            if cache is not None:
                try:
                    data = read_source(path, read_limit(self.settings.max_file_size))
                except (OSError, TooLargeToRead):
                    todo.append(key)  # the worker reports it
                    continue
                hit = cache.get(str(path.absolute()), digest(data), key)
                if hit is not None:
                    results[key] = hit
                    continue
            todo.append(key)
        cached = len(results)
        for key, (content_digest, result) in zip(todo, self._run(todo), strict=True):
            results[key] = result
            if cache is not None and content_digest:
                cache.put(str(Path(key).absolute()), content_digest, result)
        return results, cached

    def _run(self, paths: list[str]) -> Iterable[tuple[str, FileResult]]:
        codes = [rule.code for rule in self.rules]
        max_size = self.settings.max_file_size
        total = len(paths)
        sizes = _sizes(paths)
        if sum(sizes) >= MIN_PARALLEL_BYTES:
            # A large run parses: libcst is loaded, its nodes' fast constructors put in
            # (``fast_parse``), before the collector is told to skip what is loaded (and
            # once, not in each forked worker). Loaded later, in the run, the analysis
            # measured 5-8% more CPU (lightning, one process); small runs stay lazy.
            load_libcst()
            fast_parse.install()
        batches = plan(sizes, self.jobs)
        if batches is not None:
            out: list[tuple[str, FileResult] | None] = [None] * total
            done = 0
            workers = workers_for(batches, self.jobs)
            work = [[paths[i] for i in batch] for batch in batches]
            with _rare_collections():
                initargs = (codes, max_size, self.gated, os.getpid())
                for batch, items in zip(batches, pooled(work, workers, initargs),
                                        strict=True):
                    for index, item in zip(batch, items, strict=True):
                        out[index] = item
                    done += len(batch)
                    if self.progress:
                        self.progress(done, total)
            yield from out  # type: ignore[misc]
            return
        _init_worker(codes, max_size, self.gated)
        with _rare_collections():
            for done, path in enumerate(paths, 1):
                if self.progress:
                    self.progress(done, total)
                yield _analyze_path(path)

    def _open_cache(self) -> Cache | None:
        if not self.use_cache:
            return None
        directory = self.settings.cache_dir or (self.settings.root / CACHE_FOLDER)
        cache = Cache(directory, self.settings.fingerprint(all_rules()))
        cache.load()
        return cache

    def _finish(self, results: dict[str, FileResult], texts: dict[str, str] | None = None,
                summarized: Callable[[str, list[ClassSummary]], None] | None = None,
                settled: Callable[[str, str, FileResult], None] | None = None,
                ) -> list[Diagnostic]:
        """Resolve cross-file findings, then apply noqa, per-file-ignores and selection.

        ``summarized(path, classes)`` is told the summaries of each deferred file that a
        finding made, ``settled(path, content digest, result)`` the result of each file
        analysed again on libcst's tree because a requirement of its first pass holds (the
        cache keeps them: the next run need not make them again)."""
        texts = texts or {}
        max_size = self.settings.max_file_size

        def summarize(key: str) -> list[ClassSummary]:
            classes = summarize_file(Path(key), max_size)
            if summarized is not None:
                summarized(str(Path(key).absolute()), classes)
            return classes

        def summarize_functions(key: str) -> list[FunctionSummary]:
            return summarize_file_functions(Path(key), texts.get(key), max_size)

        index = DeferredIndex(load_module_summaries, summarize, summarize_functions)
        for position, (key, result) in enumerate(results.items()):
            if result.deferred_classes is not None:
                index.defer_file(position, key, result.deferred_classes)
            else:
                index.add_file(position, result.classes, key)
            index.add_calls(result.calls)
            index.defer_functions(position, key, result.functions)
        out: list[Diagnostic] = []
        for key, result in results.items():
            if any(all(index.satisfies(req) for req in requirements)
                   for _, requirements in result.pending):
                data, result = self._on_libcsts_tree(key, texts.get(key))
                results[key] = result
                if settled is not None and data is not None:
                    settled(str(Path(key).absolute()), digest(data), result)
            candidates = list(result.diagnostics)
            for diagnostic, requirements in result.conditional:
                if all(index.satisfies(req) for req in requirements):
                    candidates.append(diagnostic)
            out += finish_file(key, candidates, result.noqa, self.settings, texts.get(key))
        out.sort(key=lambda d: d.sort_key)
        return out


    def _on_libcsts_tree(self, key: str, text: str | None) -> tuple[bytes | None, FileResult]:
        """(the bytes read, or None, and the result of) the file analysed again on
        libcst's tree: a conditional finding of its first pass holds, whose position and
        message need that tree; ``text``: an unsaved buffer's."""
        path, max_size = Path(key), self.settings.max_file_size
        if text is not None:
            return None, analyze_text(path, text, self.rules, max_size=max_size,
                                      gated=self.gated, from_ast=False)
        return analyze_path(path, self.rules, max_size, gated=self.gated, from_ast=False)


def summarize_file(path: Path, max_size: int = DEFAULT_MAX_FILE_SIZE) -> list[ClassSummary]:
    """The class summaries of one file (one the gate left unparsed)."""
    try:
        data = read_source(path, read_limit(max_size))
    except (OSError, TooLargeToRead):
        return []
    return analyze_bytes(path, data, [], max_size).classes


def summarize_file_functions(path: Path, text: str | None = None,
                             max_size: int = DEFAULT_MAX_FILE_SIZE) -> list[FunctionSummary]:
    """The function summaries of one file of the run (``text``: an unsaved buffer's)."""
    if text is None:
        try:
            text = decode(read_source(path, read_limit(max_size))).text
        except (OSError, TooLargeToRead, SourceError):
            return []
    return function_summaries(path, text, max_size)


def load_module_summaries(module: str, near: str) -> list[ClassSummary]:
    """Summarise a module the run did not check, found next to the file that imports it."""
    relative = Path(*module.split("."))
    start = Path(near).absolute().parent
    roots = [start, *start.parents][:6]
    for root in roots:
        for candidate in (root / relative.with_suffix(".py"), root / relative / "__init__.py"):
            if candidate.is_file():
                try:
                    data = read_source(candidate, read_limit(DEFAULT_MAX_FILE_SIZE))
                except (OSError, TooLargeToRead):
                    return []
                classes = analyze_bytes(candidate, data, []).classes
                # Named as the importer asked: the file's own package path may differ
                # (a namespace package without __init__.py, a script folder).
                return [replace(c, qualname=f"{module}.{c.qualname.rsplit('.', 1)[-1]}")
                        for c in classes]
    return []
