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
