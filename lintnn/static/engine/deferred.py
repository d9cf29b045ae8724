"""The project index of a run, with the class summaries of some files computed late.

A file on which no rule can fire is not parsed by libcst in the workers: its class
summaries matter only if a finding elsewhere asks about one of its classes, which is
rare. :class:`DeferredIndex` summarises such a file the first time a lookup names one of
its classes, and then answers exactly as a :class:`ProjectIndex` filled with every
summary up front would: the same classes win when two files define one qualified name
(the later file), and the same candidates are seen when a name is matched by its suffix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from lintnn.static.syntax.project import ClassSummary, FunctionSummary, ProjectIndex

# When a summary was added: (0, position of its file in the run) or, for modules the run
# did not check, (1, how many such loads came before). Later ranks win, as later adds do.
Rank = tuple[int, int]


class DeferredIndex(ProjectIndex):
    """A :class:`ProjectIndex` whose files may hand in class names instead of summaries."""

    def __init__(self, loader: Callable[[str, str], Iterable[ClassSummary]] | None,
                 summarize: Callable[[str], list[ClassSummary]],
                 summarize_functions: Callable[[str], list[FunctionSummary]] | None = None,
                 ) -> None:
        """``summarize(key)``: the class summaries of a deferred file;
        ``summarize_functions(key)``: the function summaries of a file, made only when a
        finding asks about a function (or module-level name) it defines."""
        super().__init__(loader=loader)
        self._summarize = summarize
        self._summarize_functions = summarize_functions
        self._pending_functions: dict[str, list[tuple[int, str]]] = {}  # name -> files
        self._function_ranks: dict[str, int] = {}
        self._ranks: dict[str, Rank] = {}
        self._pending: dict[str, list[tuple[int, str]]] = {}  # class name -> files
        self._loads = 0
        self.summarized = 0  # deferred files summarised so far, for tests and benchmarks

    def add_file(self, position: int, summaries: Iterable[ClassSummary],
                 where: str = "") -> None:
        """The summaries of the run's file number ``position`` (the file ``where``)."""
        self._add(summaries, (0, position), where)

    def defer_file(self, position: int, key: str, class_names: Iterable[str]) -> None:
        """File ``position`` (``key``) defines classes with these names; summarise it
        when a lookup asks for one."""
        for name in class_names:
            self._pending.setdefault(name, []).append((position, key))

    def defer_functions(self, position: int, key: str, names: Iterable[str]) -> None:
        """File ``position`` (``key``) defines these module-level functions and names;
        summarise it when a requirement asks about one."""
        for name in names:
            self._pending_functions.setdefault(name, []).append((position, key))

    def function(self, qualname: str, near: str = "") -> FunctionSummary | None:
        files = self._pending_functions.pop(qualname.rsplit(".", 1)[-1], None)
        if files and self._summarize_functions is not None:
            done = {key for _, key in files}
            for others in self._pending_functions.values():  # each file is summarised once
                others[:] = [(p, k) for p, k in others if k not in done]
            for position, key in files:
                self.add_ranked_functions(position, self._summarize_functions(key), key)
        return super().function(qualname, near)

    def add_ranked_functions(self, position: int, summaries: Iterable[FunctionSummary],
                             where: str) -> None:
        """Function summaries of the run's file number ``position``: a later file wins a
        qualified name, as when every file is summarised in order."""
        for summary in summaries:
            wins = position >= self._function_ranks.get(summary.qualname, -1)
            if wins:
                self._function_ranks[summary.qualname] = position
            self.add_functions((summary,), where, wins)

    def add(self, summaries: Iterable[ClassSummary], where: str = "") -> None:
        """Summaries of a module the run did not check (``ProjectIndex``'s loader)."""
        self._loads += 1
        self._add(summaries, (1, self._loads))

    def lookup(self, qualname: str, near: str = "") -> ClassSummary | None:
        self._summarize_pending(qualname.rsplit(".", 1)[-1])
        return super().lookup(qualname, near)

    def every_class(self) -> Iterable[ClassSummary]:
        for name in list(self._pending):
            self._summarize_pending(name)
        return super().every_class()

    def _summarize_pending(self, name: str) -> None:
        """Summarise every deferred file that defines a class called ``name``: a lookup
        by exact name or by suffix can only find a class of that name."""
        files = self._pending.pop(name, None)
        if not files:
            return
        done = {key for _, key in files}
        for others in self._pending.values():  # each file is summarised once
            others[:] = [(p, k) for p, k in others if k not in done]
        for position, key in files:
            self.summarized += 1
            self._add(self._summarize(key), (0, position), key)

    def _add(self, summaries: Iterable[ClassSummary], rank: Rank, where: str = "") -> None:
        for summary in summaries:
            self._home(summary, where, rank)
            qualname = summary.qualname
            if rank >= self._ranks.get(qualname, (-1, -1)):
                self.classes[qualname] = summary
                self._ranks[qualname] = rank
            self._by_name.setdefault(qualname.rsplit(".", 1)[-1], []).append(qualname)
