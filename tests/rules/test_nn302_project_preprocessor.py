"""NN302 on a project's own preprocessing class (``Preprocessor().fit_transform(df)``): its
``fit`` learns statistics (the class summary says so), and the data it was fitted on is
split afterwards; with the near-misses: fitted on the training part, a model's ``fit(X, y)``,
a class that keeps nothing; and the raw data split while the scaled copy is left unused."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lintnn.config import Settings
from lintnn.static.engine.run import Engine
from tests.helpers import assert_findings

_CLASSES = """
    import numpy as np
    from sklearn.preprocessing import StandardScaler


    class Preprocessor:
        def __init__(self):
            self.stats = {}

        def fit(self, df):
            d = df.fillna(0)
            self.stats["mean"] = d.mean().tolist()
            self.stats["std"] = d.std().tolist()
            return self

        def transform(self, df):
            return (df - np.asarray(self.stats["mean"])) / np.asarray(self.stats["std"])

        def fit_transform(self, df):
            return self.fit(df).transform(df)


    class Wrapped:
        def __init__(self):
            self.scaler = StandardScaler()

        def fit(self, X):
            self.scaler.fit(X)
            return self

        def transform(self, X):
            return self.scaler.transform(X)


    class Model:
        def fit(self, X, y):
            self.loss = np.mean((X - y) ** 2)

        def transform(self, X):
            return X


    class Cleaner:
        def fit(self, df):
            print(df.mean())
            return self

        def transform(self, df):
            return df.dropna()
"""


def test_a_project_preprocessor_fitted_before_the_split() -> None:
    assert_findings(
        _CLASSES + """
    from sklearn.model_selection import train_test_split

    def leaks(df, y):
        X = Preprocessor().fit_transform(df)  # expect: NN302
        X_tr, X_val, y_tr, y_val = train_test_split(X, y)
        return X_tr

    def leaks_through_a_wrapped_scaler(df, y):
        pre = Wrapped()
        pre.fit(df)  # expect: NN302
        X = pre.transform(df)
        X_tr, X_val, y_tr, y_val = train_test_split(X, y)
        return X_tr
    """,
        "NN302",
    )


def test_a_project_preprocessor_near_misses() -> None:
    assert_findings(
        _CLASSES + """
    from sklearn.model_selection import train_test_split

    def fitted_on_the_training_part(df, y):
        df_tr, df_val, y_tr, y_val = train_test_split(df, y)
        pre = Preprocessor()
        X_tr = pre.fit_transform(df_tr)
        X_val = pre.transform(df_val)
        return X_tr, X_val

    def a_model_fitted_with_a_target(X, y):
        m = Model()
        m.fit(X, y)
        X_tr, X_val, y_tr, y_val = train_test_split(X, y)
        return X_tr

    def a_class_that_keeps_no_statistics(df, y):
        X = Cleaner().fit(df).transform(df)
        X_tr, X_val, y_tr, y_val = train_test_split(X, y)
        return X_tr

    def fitted_on_everything_and_never_split(df):
        return Preprocessor().fit_transform(df)
    """,
        "NN302",
    )


def test_the_raw_data_split_while_the_scaled_copy_is_unused() -> None:
    assert_findings(
        """
        from sklearn.model_selection import train_test_split
        from sklearn.preprocessing import MinMaxScaler, StandardScaler

        def unused(x_data, y_data):
            scaler = StandardScaler()
            x_data_scaled = scaler.fit_transform(x_data)
            x_train, x_val, y_train, y_val = train_test_split(x_data, y_data)
            return x_train

        def the_scaler_applied_to_the_parts(x_data, y_data):
            scaler = StandardScaler()
            x_data_scaled = scaler.fit_transform(x_data)  # expect: NN302
            x_train, x_val, y_train, y_val = train_test_split(x_data, y_data)
            return scaler.transform(x_train), scaler.transform(x_val)

        def two_scalers_are_two_leaks(x, y):
            sc = StandardScaler()
            sc.fit(x)  # expect: NN302
            x = sc.transform(x)
            mms = MinMaxScaler()
            mms.fit(x)  # expect: NN302
            x = mms.transform(x)
            x_train, x_test, y_train, y_test = train_test_split(x, y)
            return x_train
        """,
        "NN302",
    )


def test_every_row_of_a_column_is_not_a_split() -> None:
    assert_findings(
        """
        import numpy as np

        def plot_decision_boundary(X, net):
            x_min, x_max = X[:, 0].min() - 0.1, X[:, 0].max() + 0.1
            return net(np.arange(x_min, x_max, 0.01))

        def split(X):
            X = (X - X.mean(0)) / X.std(0)  # expect: NN302
            train, test = X[:800], X[800:]
            return train, test
        """,
        "NN302",
    )


_DATA = """
    class Preprocessor:
        def fit(self, df):
            self.mean = df.mean()
            self.std = df.std()
            return self

        def transform(self, df):
            return (df - self.mean) / self.std

        def fit_transform(self, df):
            return self.fit(df).transform(df)
"""

_TRAIN = """
    from sklearn.model_selection import train_test_split
    import data as D

    def run(df, y):
        X = D.Preprocessor().fit_transform(df)
        X_tr, X_val, y_tr, y_val = train_test_split(X, y)
        return X_tr

    def fine(df, y):
        df_tr, df_val, y_tr, y_val = train_test_split(df, y)
        pre = D.Preprocessor()
        return pre.fit_transform(df_tr), pre.transform(df_val)
"""


def _findings(root: Path, files: dict[str, str], gated: bool) -> list[tuple[str, int]]:
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text))
    engine = Engine(Settings(select=["NN302"], root=root), use_cache=False, jobs=1,
                    gated=gated)
    return [(Path(d.filename).name, d.location.row)
            for d in engine.check_paths([root]).diagnostics]


@pytest.mark.parametrize("gated", [True, False])
def test_a_preprocessor_class_of_another_file(tmp_path: Path, gated: bool) -> None:
    found = _findings(tmp_path, {"data.py": _DATA, "train.py": _TRAIN}, gated)
    assert found == [("train.py", 6)]


def test_a_helper_chain_whose_result_a_splitting_function_splits() -> None:
    assert_findings(
        """
        import numpy as np
        from sklearn.preprocessing import MinMaxScaler

        scaler = MinMaxScaler()

        def preprocess(dataset):
            dataset = scaler.fit_transform(dataset)  # expect: NN302
            return dataset

        def split_data(dataset):
            n = int(len(dataset) * 0.67)
            train, test = dataset[:n], dataset[n:]
            return train, test

        def get_data():
            db = np.loadtxt("series.csv")
            db = preprocess(db)
            return db

        def main():
            dataset = get_data()
            train, test = split_data(dataset)
            return train, test
        """,
        "NN302",
    )


def test_helper_chain_near_misses() -> None:
    assert_findings(
        """
        import numpy as np
        from sklearn.model_selection import train_test_split
        from sklearn.preprocessing import MinMaxScaler

        def preprocess(dataset):
            return MinMaxScaler().fit_transform(dataset)

        def windows(series):
            x, y = series[:-1], series[1:]
            return x, y

        def get_data():
            db = np.loadtxt("series.csv")
            db = preprocess(db)
            return db

        def shifted():
            dataset = get_data()
            return windows(dataset)

        def summary():
            db = preprocess(np.loadtxt("series.csv"))
            return db.mean()

        def fitted_on_the_training_part(X, y):
            X_tr, X_te, y_tr, y_te = train_test_split(X, y)
            return preprocess(X_tr), y_tr
        """,
        "NN302",
    )


def test_two_scalers_in_two_branches_are_one_leak() -> None:
    assert_findings(
        """
        from sklearn.model_selection import train_test_split
        from sklearn.preprocessing import MinMaxScaler, StandardScaler

        def prepare(df, y, minmax):
            if minmax:
                scaler = MinMaxScaler().fit(df)  # expect: NN302
                df = scaler.transform(df)
            else:
                scaler = StandardScaler().fit(df)
                df = scaler.transform(df)
            x_train, x_test, y_train, y_test = train_test_split(df, y)
            return x_train
        """,
        "NN302",
    )
