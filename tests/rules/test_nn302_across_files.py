"""NN302 across files: a helper fits statistics on everything it loads, and a caller in
another file splits that part of its result afterwards (a call fact settles it)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lintnn.config import Settings
from lintnn.static.engine.run import Engine

_DATA = '''
    import numpy as np
    from sklearn.preprocessing import StandardScaler

    def load(path):
        X = np.loadtxt(path)
        y = X[:, -1]
        X = StandardScaler().fit_transform(X[:, :-1])
        return X, y
'''

_SPLITTING_CALLER = '''
    from sklearn.model_selection import train_test_split
    from data import load

    X, y = load("rows.csv")
    X_train, X_test, y_train, y_test = train_test_split(X, y)
'''

_CALLER_SPLITTING_ONLY_LABELS = '''
    from sklearn.model_selection import train_test_split
    from data import load

    X, y = load("rows.csv")
    y_train, y_test = train_test_split(y)
'''


def _findings(root: Path, files: dict[str, str], gated: bool) -> list[tuple[str, int, str]]:
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text))
    engine = Engine(Settings(select=["NN302"], root=root), use_cache=False, jobs=1,
                    gated=gated)
    return [(Path(d.filename).name, d.location.row, d.code)
            for d in engine.check_paths([root]).diagnostics]


@pytest.mark.parametrize("gated", [True, False])
def test_the_helper_is_reported_when_a_caller_in_another_file_splits_its_result(
        tmp_path: Path, gated: bool) -> None:
    found = _findings(tmp_path, {"data.py": _DATA, "train.py": _SPLITTING_CALLER}, gated)
    assert found == [("data.py", 8, "NN302")]


@pytest.mark.parametrize("gated", [True, False])
def test_no_finding_when_the_caller_splits_another_part_of_the_result(
        tmp_path: Path, gated: bool) -> None:
    found = _findings(tmp_path, {"data.py": _DATA, "train.py": _CALLER_SPLITTING_ONLY_LABELS},
                      gated)
    assert found == []


def test_no_finding_when_no_caller_splits(tmp_path: Path) -> None:
    found = _findings(tmp_path, {"data.py": _DATA}, gated=True)
    assert found == []
