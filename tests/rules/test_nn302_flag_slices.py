"""NN302: a data set that picks complementary slices of one array by a train / eval flag
(``if train: self.data = X[:n]`` / ``else: self.data = X[n:]``) splits that array."""

from __future__ import annotations

from tests.helpers import assert_findings


def test_standardized_then_sliced_by_a_train_flag() -> None:
    assert_findings("""
    import numpy as np
    from torch.utils.data import Dataset

    class Prices(Dataset):
        def __init__(self, series, n, train_flag=True):
            series = (series - np.mean(series)) / np.std(series)  # expect: NN302
            if train_flag:
                self.data = series[:n]
            else:
                self.data = series[n:]
    """, "NN302")


def test_each_arm_standardizes_the_whole_series_then_keeps_its_end() -> None:
    assert_findings("""
    import numpy as np

    class Stock:
        def __init__(self, raw, mode="train"):
            if mode == "train":
                data = np.array(raw)
                data = (data - np.mean(data)) / np.std(data)  # expect: NN302
                self.rows = data[:800]
            else:
                data = np.array(raw)
                data = (data - np.mean(data)) / np.std(data)  # expect: NN302
                self.rows = data[-200:]
    """, "NN302")


def test_statistics_of_the_kept_slice_only_are_fine() -> None:
    assert_findings("""
    import numpy as np

    class Prices:
        def __init__(self, series, n, train_flag=True):
            if train_flag:
                self.data = series[:n]
            else:
                self.data = series[n:]
            self.data = (self.data - np.mean(self.data)) / np.std(self.data)
    """, "NN302")


def test_arms_slicing_different_arrays_or_the_same_end_are_no_split() -> None:
    assert_findings("""
    import numpy as np

    def pick(series, other, n, train=True):
        series = (series - np.mean(series)) / np.std(series)
        if train:
            data = series[:n]
        else:
            data = other[n:]
        if train:
            head = series[:n]
        else:
            head = series[:2 * n]
        return data, head
    """, "NN302")


def test_a_flag_that_names_no_split_is_no_split() -> None:
    assert_findings("""
    import numpy as np

    def window(series, n, short=True):
        series = (series - np.mean(series)) / np.std(series)
        if short:
            data = series[:n]
        else:
            data = series[n:]
        return data
    """, "NN302")
