"""The project index: a qualified name defined in several folders, answered for the
asking file's folder, the same by the eager and the deferred index."""

from __future__ import annotations

import pytest

from lintnn.static.engine.deferred import DeferredIndex
from lintnn.static.syntax.project import ClassSummary, ProjectIndex


def _summary(qualname: str, returns: str) -> ClassSummary:
    return ClassSummary(qualname, (), frozenset({returns}), defines_output=True)


_FILES = [("a/model.py", [_summary("model.Net", "a")]),
          ("b/model.py", [_summary("model.Net", "b")]),
          ("b/other.py", [_summary("model.Net", "b2")])]  # the later one of folder b


@pytest.mark.parametrize("deferred", [(), (0,), (1,), (0, 2), (2,), (0, 1, 2)])
def test_a_name_several_folders_define_is_the_asking_folder_s(
        deferred: tuple[int, ...]) -> None:
    eager = ProjectIndex()
    for path, summaries in _FILES:
        eager.add(summaries, path)
    lazy = DeferredIndex(None, lambda key: dict(_FILES)[key])
    for position, (path, summaries) in enumerate(_FILES):
        if position in deferred:
            lazy.defer_file(position, path, ["Net"])
        else:
            lazy.add_file(position, summaries, path)
    expected = {"a/train.py": {"a"}, "b/train.py": {"b2"}, "c/train.py": {"b2"},
                "": {"b2"}}
    for near, returns in expected.items():
        for index in (eager, lazy):
            found = index.lookup("model.Net", near)
            assert found is not None and found.returns == returns, (near, index)


def test_the_definition_the_import_reaches_wins_over_another_projects() -> None:
    """``from dataset import TextDataset`` in ``p/pkg/train.py`` reaches ``p/pkg/dataset.py``
    (a package: summarised as ``pkg.dataset.TextDataset``), not the top-level
    ``dataset.TextDataset`` of another project checked in the same run; a project deeper
    below reaches its root's module; an unrelated asker keeps the old answer."""
    from lintnn.static.syntax.project import FunctionSummary

    index = ProjectIndex()
    index.add([_summary("pkg.dataset.TextDataset", "ours")], "/p/pkg/dataset.py")
    index.add([_summary("dataset.TextDataset", "theirs")], "/q/src/dataset.py")
    index.add([_summary("models.Net", "root")], "/p/models.py")
    index.add_functions([FunctionSummary("pkg.losses.make", frozenset({"ours"}))],
                        "/p/pkg/losses.py")
    index.add_functions([FunctionSummary("losses.make", frozenset({"theirs"}))],
                        "/q/src/losses.py")

    def returns(qualname: str, near: str) -> set[str] | None:
        found = index.lookup(qualname, near)
        return set(found.returns) if found is not None else None

    assert returns("dataset.TextDataset", "/p/pkg/train.py") == {"ours"}
    assert returns("dataset.TextDataset", "/q/src/train.py") == {"theirs"}
    assert returns("dataset.TextDataset", "/r/train.py") == {"theirs"}  # as before
    assert returns("models.Net", "/p/tools/deep/er/train.py") == {"root"}
    function = index.function("losses.make", "/p/pkg/train.py")
    assert function is not None and function.facts == {"ours"}
    function = index.function("losses.make", "/q/src/train.py")
    assert function is not None and function.facts == {"theirs"}
