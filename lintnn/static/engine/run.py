"""The engine: discover files, analyse them (in parallel, cached), join across files,
then apply suppressions and settings. Formatting is someone else's job."""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from lintnn.config import DEFAULT_MAX_FILE_SIZE, Settings
from lintnn.diagnostics import Diagnostic
from lintnn.static.engine.analyze import FileResult, analyze_text, error_diagnostic
from lintnn.static.engine.cache import Cache, digest
from lintnn.static.engine.deferred import DeferredIndex
from lintnn.static.engine.discovery import Discovery
from lintnn.static.engine.document import Document
from lintnn.static.engine.files import analyze_bytes
from lintnn.static.engine.noqa import is_suppressed
from lintnn.static.engine.schedule import plan, workers_for
from lintnn.static.rules import Rule, all_rules
from lintnn.static.syntax.project import ClassSummary


@dataclass
class RunResult:
    diagnostics: list[Diagnostic]
    files: list[Path]
    results: dict[str, FileResult] = field(default_factory=dict)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    cached: int = 0


def _skipped(results: dict[str, FileResult]) -> list[tuple[Path, str]]:
    return [(Path(key), r.skipped) for key, r in results.items() if r.skipped is not None]


def enabled_rules(settings: Settings) -> list[Rule]:
    return [cls() for code, cls in all_rules().items() if settings.is_enabled(code)]


# Worker-side state: rules are instantiated once per process.
_WORKER_RULES: list[Rule] = []
_WORKER_MAX_SIZE = [DEFAULT_MAX_FILE_SIZE]
_WORKER_GATED = [True]


def _init_worker(codes: list[str], max_size: int = DEFAULT_MAX_FILE_SIZE,
                 gated: bool = True) -> None:
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
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        return "", FileResult(path, [error_diagnostic(path, f"cannot read file: {error.strerror}")])
    return digest(data), analyze_bytes(Path(path), data, _WORKER_RULES, _WORKER_MAX_SIZE[0],
                                       gated=_WORKER_GATED[0], defer_summary=_WORKER_GATED[0])


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
        whose triggers occur on every file, without the gate on CPython's tree and without
        deferred class summaries (the same findings, slower: for the tests that prove it;
        notebooks are gated either way)."""
        self.settings = settings
        self.gated = gated
        self._documents: dict[str, Document] | None = {} if incremental else None
        self.rules = enabled_rules(settings)
        self.use_cache = use_cache
        self.jobs = jobs if jobs is not None else (os.cpu_count() or 1)
        self.progress = progress

    # Public API -------------------------------------------------------------------

    def check_paths(self, paths: Sequence[Path]) -> RunResult:
        discovery = Discovery(self.settings.exclude, self.settings.respect_gitignore,
                              self.settings.root)
        files = discovery.files(paths)
        files = [f for f in files if f.suffix in (".py", ".pyi") or self._extra_source(f)]
        results, cached = self._analyze_files(files)
        diagnostics = self._finish(results)
        return RunResult(diagnostics, files, results, discovery.skipped + _skipped(results),
                         cached)

    def check_source(self, path: Path, text: str) -> RunResult:
        """Check unsaved text (stdin, an editor buffer) as if it were ``path``."""
        max_size = self.settings.max_file_size
        if path.suffix == ".ipynb":
            result = analyze_bytes(path, text.encode("utf-8"), self.rules, max_size,
                                   gated=self.gated)
        elif self._documents is not None:
            document = self._documents.setdefault(str(path), Document())
            result = document.analyze(path, text, self.rules, max_size)
        else:
            result = analyze_text(path, text, self.rules, max_size=max_size, gated=self.gated)
        results = {str(path): result}
        return RunResult(self._finish(results), [path], results, _skipped(results))

    # Internals --------------------------------------------------------------------

    def _extra_source(self, path: Path) -> bool:
        """Hook for other source kinds: Jupyter notebooks."""
        return path.suffix == ".ipynb"

    def _analyze_files(self, files: list[Path]) -> tuple[dict[str, FileResult], int]:
        cache = self._open_cache()
        results: dict[str, FileResult] = {}
        todo: list[str] = []
        for path in files:
            key = str(path)
            if cache is not None:
                try:
                    data = path.read_bytes()
                except OSError as error:
                    results[key] = FileResult(
                        key, [error_diagnostic(key, f"cannot read file: {error.strerror}")])
                    continue
                hit = cache.get(str(path.absolute()), digest(data))
                if hit is not None:
                    results[key] = hit
                    continue
            todo.append(key)
        cached = len(results)
        for key, (content_digest, result) in zip(todo, self._run(todo), strict=True):
            results[key] = result
            if cache is not None and content_digest:
                cache.put(str(Path(key).absolute()), content_digest, result)
        if cache is not None:
            cache.save()
        return results, cached

    def _run(self, paths: list[str]) -> Iterable[tuple[str, FileResult]]:
        codes = [rule.code for rule in self.rules]
        max_size = self.settings.max_file_size
        total = len(paths)
        batches = plan(_sizes(paths), self.jobs)
        if batches is not None:
            out: list[tuple[str, FileResult] | None] = [None] * total
            done = 0
            workers = workers_for(batches, self.jobs)
            with _rare_collections(), ProcessPoolExecutor(
                    workers, initializer=_init_worker,
                    initargs=(codes, max_size, self.gated)) as pool:
                work = [[paths[i] for i in batch] for batch in batches]
                for batch, items in zip(batches, pool.map(_analyze_batch, work), strict=True):
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
        directory = self.settings.cache_dir or (self.settings.root / ".lintnn_cache")
        cache = Cache(directory, self.settings.fingerprint(all_rules()))
        cache.load()
        return cache

    def _finish(self, results: dict[str, FileResult]) -> list[Diagnostic]:
        """Resolve cross-file findings, then apply noqa, per-file-ignores and selection."""
        max_size = self.settings.max_file_size
        index = DeferredIndex(load_module_summaries,
                              lambda key: summarize_file(Path(key), max_size))
        for position, (key, result) in enumerate(results.items()):
            if result.deferred_classes is not None:
                index.defer_file(position, key, result.deferred_classes)
            else:
                index.add_file(position, result.classes)
        out: list[Diagnostic] = []
        for key, result in results.items():
            candidates = list(result.diagnostics)
            for diagnostic, requirements in result.conditional:
                if all(index.satisfies(req) for req in requirements):
                    candidates.append(diagnostic)
            path = Path(key)
            for diagnostic in candidates:
                if not self.settings.is_enabled(diagnostic.code):
                    continue
                if is_suppressed(result.noqa, diagnostic.location.row, diagnostic.code):
                    continue
                if self.settings.ignored_for_file(path, diagnostic.code):
                    continue
                out.append(diagnostic)
        out.sort(key=lambda d: d.sort_key)
        return out


def summarize_file(path: Path, max_size: int = DEFAULT_MAX_FILE_SIZE) -> list[ClassSummary]:
    """The class summaries of one file (one the gate left unparsed)."""
    try:
        data = path.read_bytes()
    except OSError:
        return []
    return analyze_bytes(path, data, [], max_size).classes


def load_module_summaries(module: str, near: str) -> list[ClassSummary]:
    """Summarise a module the run did not check, found next to the file that imports it."""
    relative = Path(*module.split("."))
    start = Path(near).absolute().parent
    roots = [start, *start.parents][:6]
    for root in roots:
        for candidate in (root / relative.with_suffix(".py"), root / relative / "__init__.py"):
            if candidate.is_file():
                try:
                    data = candidate.read_bytes()
                except OSError:
                    return []
                return analyze_bytes(candidate, data, []).classes
    return []
