"""NN302: a column transformer holding a scaler (or a preprocessing pipeline) fits
statistics like the scaler itself."""

from __future__ import annotations

from tests.helpers import assert_findings

_HEAD = """
    from sklearn.compose import ColumnTransformer, make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
"""


def test_a_column_transformer_fitted_on_every_row_before_the_split() -> None:
    assert_findings(_HEAD + """
    pre = ColumnTransformer(
        transformers=[("num", StandardScaler(), num_cols), ("cat", OneHotEncoder(), cat_cols)],
        remainder="drop",
    )
    X_processed = pre.fit_transform(X)  # expect: NN302
    X_train, X_test, y_train, y_test = train_test_split(X_processed, y, test_size=0.2)
    """, "NN302")


def test_make_column_transformer_with_a_preprocessing_pipeline_step() -> None:
    assert_findings(_HEAD + """
    pre = make_column_transformer(
        (make_pipeline(SimpleImputer(), StandardScaler()), num_cols),
        (OneHotEncoder(), cat_cols),
    )
    X = pre.fit_transform(X)  # expect: NN302
    X_train, X_test, y_train, y_test = train_test_split(X, y)
    """, "NN302")


def test_a_column_transformer_fitted_on_the_training_part_only_is_fine() -> None:
    assert_findings(_HEAD + """
    pre = ColumnTransformer([("num", StandardScaler(), num_cols)])
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
    X_train = pre.fit_transform(X_train)
    X_test = pre.transform(X_test)
    """, "NN302")


def test_a_column_transformer_that_only_encodes_learns_no_statistic() -> None:
    assert_findings(_HEAD + """
    pre = ColumnTransformer([("cat", OneHotEncoder(), cat_cols)], remainder="passthrough")
    X = pre.fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(X, y)
    """, "NN302")


def test_a_pipeline_ending_with_a_model_around_the_transformer_is_fine() -> None:
    assert_findings(_HEAD + """
    pre = ColumnTransformer([("num", StandardScaler(), num_cols)])
    model = Pipeline([("pre", pre), ("clf", LogisticRegression())])
    X_train, X_test, y_train, y_test = train_test_split(X, y)
    model.fit(X_train, y_train)
    """, "NN302")


_FRAME = """
    import pandas as pd
    from sklearn.preprocessing import MinMaxScaler

    df = pd.read_csv("houses.csv")
    scaler = MinMaxScaler()
"""


def test_scaled_values_wrapped_in_a_frame_then_sliced_by_iloc_into_parts() -> None:
    assert_findings(_FRAME + """
    df_scaled = pd.DataFrame(scaler.fit_transform(df), columns=df.columns)  # expect: NN302
    train = df_scaled.iloc[:1360]
    val = df_scaled.iloc[1360:]
    """, "NN302")


def test_the_raw_frame_sliced_while_the_wrapped_scaled_copy_is_unused() -> None:
    """The scaled frame is never split and the scaler never used again: the parts are raw."""
    assert_findings(_FRAME + """
    df_scaled = pd.DataFrame(MinMaxScaler().fit_transform(df), columns=df.columns)
    df_scaled.describe()
    train = df.iloc[:1360]
    val = df.iloc[1360:]
    """, "NN302")


def test_a_keyword_argument_of_a_frame_is_not_its_rows() -> None:
    """``index=`` of a frame built from other rows does not carry the scaled data."""
    assert_findings(_FRAME + """
    other = pd.DataFrame(raw, index=MinMaxScaler().fit_transform(df)[:, 0])
    train = other.iloc[:1360]
    val = other.iloc[1360:]
    """, "NN302")
