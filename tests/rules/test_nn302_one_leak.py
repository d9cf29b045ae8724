"""NN302: one finding per leak. Columns of one table standardized by the same step before
one split are one leak; a per-column z-score that a per-fold re-fit undoes exactly is no
leak; a column filled with a statistic of every row is one; windows of a scaled series
carry its statistics into their split."""

from __future__ import annotations

from tests.helpers import assert_findings

_HEAD = """
    import numpy as np
    import pandas as pd
    from scipy.stats import zscore
    from sklearn.model_selection import KFold, train_test_split
    from sklearn.preprocessing import StandardScaler, minmax_scale
"""


def test_columns_standardized_by_one_step_before_one_split_are_one_finding() -> None:
    found = assert_findings(_HEAD + """
    df = pd.read_csv("a.csv")
    df["income"] = zscore(df["income"])  # expect: NN302
    df["aspect"] = zscore(df["aspect"])
    df["save_rate"] = zscore(df["save_rate"])
    x = df[cols].values
    for train_idx, test_idx in KFold(5).split(x):
        pass
    """, "NN302")
    assert "'income', 'aspect', 'save_rate' of df" in found[0].message


def test_two_steps_on_two_columns_are_two_findings() -> None:
    assert_findings(_HEAD + """
    df = pd.read_csv("a.csv")
    df["income"] = zscore(df["income"])  # expect: NN302
    df["aspect"] = minmax_scale(df["aspect"])  # expect: NN302
    x = df.values
    x_tr, x_te = train_test_split(x)
    """, "NN302")


def test_columns_standardized_and_never_split_are_not_flagged() -> None:
    assert_findings(_HEAD + """
    df = pd.read_csv("a.csv")
    df["income"] = zscore(df["income"])
    df["aspect"] = zscore(df["aspect"])
    model.fit(df.values, y)
    """, "NN302")


_PER_FOLD = """
    x_columns = df.columns.drop(["age", "id"])
    x = df[x_columns].values
    y = df["age"].values
    for train_idx, test_idx in KFold(5, shuffle=True).split(x):
        x_train, x_test = x[train_idx], x[test_idx]
        y_train, y_test = y[train_idx], y[test_idx]
        scaler = {scaler}
        x_train = scaler.fit_transform(x_train)
        x_test = scaler.transform(x_test)
"""


def test_a_z_score_undone_by_a_per_fold_refit_is_not_flagged() -> None:
    assert_findings(_HEAD + """
    df = pd.read_csv("a.csv")
    df["income"] = zscore(df["income"])
    df["aspect"] = zscore(df["aspect"])
    """ + _PER_FOLD.format(scaler="StandardScaler()"), "NN302")


def test_a_median_fill_is_not_undone_by_the_per_fold_refit() -> None:
    assert_findings(_HEAD + """
    df = pd.read_csv("a.csv")
    med = df["income"].median()  # expect: NN302
    df["income"] = df["income"].fillna(med)
    df["income"] = zscore(df["income"])
    """ + _PER_FOLD.format(scaler="StandardScaler()"), "NN302")


def test_a_refit_that_does_not_centre_does_not_undo_the_z_score() -> None:
    assert_findings(_HEAD + """
    df = pd.read_csv("a.csv")
    df["income"] = zscore(df["income"])  # expect: NN302
    """ + _PER_FOLD.format(scaler="StandardScaler(with_mean=False)"), "NN302")


def test_a_z_scored_column_clipped_before_the_split_still_leaks() -> None:
    assert_findings(_HEAD + """
    df = pd.read_csv("a.csv")
    df["income"] = zscore(df["income"])  # expect: NN302
    df["income"] = df["income"].clip(-3, 3)
    """ + _PER_FOLD.format(scaler="StandardScaler()"), "NN302")


def test_a_z_scored_target_is_not_refit_by_the_feature_scaler() -> None:
    assert_findings(_HEAD + """
    df = pd.read_csv("a.csv")
    df["age"] = zscore(df["age"])  # expect: NN302
    """ + _PER_FOLD.format(scaler="StandardScaler()"), "NN302")


def test_a_column_filled_with_the_mean_of_every_row_before_the_split() -> None:
    assert_findings(_HEAD + """
    df = pd.read_csv("a.csv")
    mean_age = df["age"].mean()  # expect: NN302
    df["age"].fillna(mean_age, inplace=True)
    x = df.drop(columns="y")
    x_train, x_test = train_test_split(x, test_size=0.2)
    """, "NN302")


def test_a_fill_with_a_constant_or_with_the_training_mean_is_not_flagged() -> None:
    assert_findings(_HEAD + """
    df = pd.read_csv("a.csv")
    df["age"].fillna(0, inplace=True)
    x_train, x_test = train_test_split(df, test_size=0.2)
    mean_age = x_train["age"].mean()
    x_train["age"] = x_train["age"].fillna(mean_age)
    x_test["age"] = x_test["age"].fillna(mean_age)
    """, "NN302")


def test_windows_of_a_scaled_series_sliced_into_train_and_test() -> None:
    assert_findings(_HEAD + """
    df = pd.read_csv("prices.csv")
    scaler = StandardScaler()
    df["Close"] = scaler.fit_transform(df["Close"])  # expect: NN302
    data = []
    for i in range(len(df) - 30):
        data.append(df.Close[i:i + 30])
    data = np.array(data)
    n = int(0.8 * len(data))
    X_train = data[:n, :-1]
    X_test = data[n:, :-1]
    """, "NN302")


def test_windows_of_the_raw_series_or_a_split_before_scaling_are_not_flagged() -> None:
    assert_findings(_HEAD + """
    df = pd.read_csv("prices.csv")
    scaled = StandardScaler().fit_transform(df[["Close"]])
    data = []
    for i in range(len(df) - 30):
        data.append(df.Close[i:i + 30])
    data = np.array(data)
    n = int(0.8 * len(data))
    X_train = data[:n, :-1]
    X_test = data[n:, :-1]

    series = pd.read_csv("prices.csv")["Close"].values.reshape(-1, 1)
    n = int(0.8 * len(series))
    train, test = series[:n], series[n:]
    scaler = StandardScaler().fit(train)
    train, test = scaler.transform(train), scaler.transform(test)
    """, "NN302")


def test_a_list_emptied_and_filled_with_other_data_is_not_the_scaled_data() -> None:
    assert_findings(_HEAD + """
    X = pd.read_csv("a.csv").values
    X = StandardScaler().fit_transform(X)
    rows = X
    rows = []
    for r in other:
        rows.append(r)
    X_train, X_test = rows[:800], rows[800:]
    """, "NN302")


_DATA_GEN = """
    import numpy as np
    from sklearn.preprocessing import StandardScaler

    def data_gen(data, cols):
        X = data[:, cols]
        scaler = StandardScaler()
        sc = scaler.fit(X){marker}
        return sc.transform(X)

    train_rows = train_df.values
    X = data_gen(train_rows, [1, 2])
    model.fit(X, Y, validation_split=0.3)
"""


def test_a_helper_given_the_parts_of_a_split_is_not_a_fit_on_the_whole_data() -> None:
    assert_findings(_DATA_GEN.format(marker="") + """
    X_t = test_df.values
    X_test = data_gen(X_t, [1, 2])  # expect: NN303
    """, "NN302")


def test_a_helper_given_the_whole_data_whose_result_is_split_is_reported() -> None:
    assert_findings(_DATA_GEN.format(marker="  # expect: NN302") + """
    rows = df.values
    X_all = data_gen(rows, [1, 2])
    X_tr, X_te = X_all[:800], X_all[800:]
    """, "NN302")


def test_nn303_a_helper_that_refits_called_on_test_data() -> None:
    assert_findings(_DATA_GEN.format(marker="") + """
    X_t = test_df.values
    X_test = data_gen(X_t, [1, 2])  # expect: NN303
    """, "NN303")


def test_nn303_a_helper_only_ever_called_on_test_data_or_that_only_transforms() -> None:
    assert_findings("""
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(train_rows)

    def prepare(data):
        return scaler.transform(data)

    def refit(data):
        return StandardScaler().fit_transform(data)

    X_train = prepare(train_rows)
    X_test = prepare(test_rows)
    X_new = refit(test_rows)
    """, "NN303")
