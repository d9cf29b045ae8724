"""NN301 across files: a data set whose ``__getitem__`` picks its item at random (it ignores
the index it is given, or reads the item at a randomly drawn index) has no order to
shuffle; the class summary says so, for its own file and for others."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lintnn.config import Settings
from lintnn.static.engine.run import Engine, summarize_file

_DATA = '''
    import random

    import numpy as np
    import torch
    from torch.utils.data import Dataset

    class RandomWindows(Dataset):
        def __init__(self, data, length):
            self.data = data
            self.length = length

        def __getitem__(self, item):
            offset = np.random.randint(0, len(self.data) - self.length)
            return torch.tensor(self.data[offset:offset + self.length])

        def __len__(self):
            return 1000

    class Windows(RandomWindows):
        def __getitem__(self, item):
            return torch.tensor(self.data[item:item + self.length])

    class MoreRandomWindows(RandomWindows):
        pass

    class Augmented(Dataset):
        def __init__(self, data, length):
            self.data = data

        def __getitem__(self, idx):
            flip = np.random.rand() < 0.5
            return self.data[idx][::-1] if flip else self.data[idx]

        def __len__(self):
            return len(self.data)

    class RandomPairs(Dataset):
        def __init__(self, data, length):
            self.data = data

        def __getitem__(self, index):
            first = random.randint(0, len(self.data) - 1)
            return self.data[first], index % 2

        def __len__(self):
            return 1000

    class RandomCrops(Dataset):
        def __init__(self, data, length):
            self.data = data
            self.length = length

        def __getitem__(self, index):
            start = random.randint(0, self.length)
            return self.data[index][start:start + self.length]

        def __len__(self):
            return len(self.data)
'''


def _train(dataset: str) -> str:
    return f'''
    import torch
    from torch.utils.data import DataLoader
    from data import {dataset}

    dataset = {dataset}([1, 2, 3] * 100, 5)
    train_loader = DataLoader(dataset, batch_size=8)
    model = torch.nn.Linear(5, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(3):
        for x in train_loader:
            opt.zero_grad()
            loss = model(x).sum()
            loss.backward()
            opt.step()
'''


def _findings(root: Path, files: dict[str, str], gated: bool = True) -> list[tuple[str, int]]:
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text))
    engine = Engine(Settings(select=["NN301"], root=root), use_cache=False, jobs=1,
                    gated=gated)
    return [(Path(d.filename).name, d.location.row)
            for d in engine.check_paths([root]).diagnostics]


@pytest.mark.parametrize("gated", [True, False])
@pytest.mark.parametrize("dataset", [
    "RandomWindows",  # ignores its index
    "MoreRandomWindows",  # inherits it
    "RandomPairs",  # reads the item at a random index
])
def test_no_finding_when_every_item_is_a_random_draw(
        tmp_path: Path, gated: bool, dataset: str) -> None:
    assert _findings(tmp_path, {"data.py": _DATA, "train.py": _train(dataset)}, gated) == []


@pytest.mark.parametrize("gated", [True, False])
@pytest.mark.parametrize("dataset", [
    "Windows",  # overrides the random __getitem__ with one that reads the index
    "Augmented",  # random augmentation, but the item is the one asked for
    "RandomCrops",  # a random crop slices the item asked for
    "Unknown",  # a class the project does not define: assumed to read it
])
def test_the_finding_stays_when_items_depend_on_the_index(
        tmp_path: Path, gated: bool, dataset: str) -> None:
    found = _findings(tmp_path, {"data.py": _DATA, "train.py": _train(dataset)}, gated)
    assert found == [("train.py", 7)]


def test_the_summary_says_how_getitem_uses_its_index(tmp_path: Path) -> None:
    path = tmp_path / "data.py"
    path.write_text(textwrap.dedent(_DATA))
    found = {s.qualname.rsplit(".", 1)[-1]: s.getitem for s in summarize_file(path)}
    assert found == {"RandomWindows": "random", "Windows": "reads",
                     "MoreRandomWindows": "", "Augmented": "reads",
                     "RandomPairs": "random", "RandomCrops": "reads"}


_LOADERS = '''
    import numpy as np
    from torch.utils import data

    class NumpyLoader(data.DataLoader):
        def __init__(self, dataset, batch_size=1, shuffle=False, num_workers=0):
            super().__init__(dataset, batch_size=batch_size, shuffle=shuffle,
                             num_workers=num_workers, collate_fn=np.stack)

    class ShuffledLoader(data.DataLoader):
        def __init__(self, dataset, batch_size=1, shuffle=True):
            super().__init__(dataset, batch_size=batch_size, shuffle=shuffle)

    class Batches:
        def __init__(self, dataset, batch_size=1, shuffle=False):
            self.dataset = dataset
'''


def _train_with(loader: str, extra: str = "") -> str:
    return f'''
    from loaders import {loader}

    train_set = load()
    training_generator = {loader}(train_set, batch_size=128{extra})
    for epoch in range(8):
        for x, y in training_generator:
            params = update(params, x, y)
'''


@pytest.mark.parametrize("gated", [True, False])
def test_a_project_loader_that_does_not_shuffle_by_default(tmp_path: Path, gated: bool) -> None:
    found = _findings(tmp_path, {"loaders.py": _LOADERS,
                                 "train.py": _train_with("NumpyLoader")}, gated)
    assert found == [("train.py", 5)]


@pytest.mark.parametrize("gated", [True, False])
@pytest.mark.parametrize(("loader", "extra"), [
    ("NumpyLoader", ", shuffle=True"),  # told to shuffle
    ("NumpyLoader", ", sampler=sampler"),
    ("ShuffledLoader", ""),  # shuffles by default
    ("Batches", ""),  # not a DataLoader subclass: unknown
    ("Unknown", ""),  # not defined by the project
])
def test_project_loaders_that_shuffle_or_are_unknown(
        tmp_path: Path, gated: bool, loader: str, extra: str) -> None:
    found = _findings(tmp_path, {"loaders.py": _LOADERS,
                                 "train.py": _train_with(loader, extra)}, gated)
    assert found == []


def test_a_project_loader_of_the_same_file_evaluated_only(tmp_path: Path) -> None:
    text = _LOADERS + '''
    def evaluate(params, test_set):
        test_generator = NumpyLoader(test_set, batch_size=128)
        for x, y in test_generator:
            print(predict(params, x))

    def train(params, train_set):
        train_generator = NumpyLoader(train_set, 64)
        for epoch in range(8):
            for x, y in train_generator:
                params = update(params, x, y)
        return params
'''
    assert _findings(tmp_path, {"loaders.py": text}) == [("loaders.py", 24)]


@pytest.mark.parametrize("gated", [True, False])
def test_another_projects_module_of_the_same_name_is_no_answer(
        tmp_path: Path, gated: bool) -> None:
    """Two projects checked in one run both have a module ``data`` defining the class: the
    script's ``from data import RandomWindows`` reaches its own package's module (a
    package beside it, the name asked for a suffix of the defining module's), not the
    top-level ``data`` of the other project, whatever the order of the files."""
    for order, (mine, other) in enumerate((("aa", "bb"), ("zz", "bb"))):
        root = tmp_path / str(order)
        ours, theirs = root / mine / "pkg", root / other / "src"
        ours.mkdir(parents=True)
        theirs.mkdir(parents=True)
        (ours / "__init__.py").write_text("")
        (ours / "data.py").write_text(textwrap.dedent(_DATA))
        (ours / "train.py").write_text(textwrap.dedent(_train("RandomWindows")))
        (theirs / "data.py").write_text(textwrap.dedent(_DATA.replace(
            "offset = np.random.randint(0, len(self.data) - self.length)",
            "offset = item")))
        (theirs / "train.py").write_text(textwrap.dedent(_train("RandomWindows")))
        engine = Engine(Settings(select=["NN301"], root=root), use_cache=False, jobs=1,
                        gated=gated)
        found = [(Path(d.filename).parent.name, d.location.row)
                 for d in engine.check_paths([root]).diagnostics]
        assert found == [("src", 7)], mine
