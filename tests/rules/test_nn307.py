"""NN307 resampled-before-split."""

from __future__ import annotations

import pytest

from tests.helpers import assert_findings

POSITIVES = {
    "smote_then_train_test_split": """
        from imblearn.over_sampling import SMOTE
        from sklearn.model_selection import train_test_split
        X_res, y_res = SMOTE().fit_resample(X, y)  # expect: NN307
        X_train, X_test, y_train, y_test = train_test_split(X_res, y_res)
    """,
    "sampler_variable_then_kfold": """
        from imblearn.over_sampling import RandomOverSampler
        from sklearn.model_selection import StratifiedKFold
        def evaluate(X, y, model):
            ros = RandomOverSampler(random_state=0)
            X_bal, y_bal = ros.fit_resample(X, y)  # expect: NN307
            for train_idx, test_idx in StratifiedKFold(5).split(X_bal, y_bal):
                model.fit(X_bal[train_idx], y_bal[train_idx])
    """,
    "rebound_then_sliced": """
        from imblearn.over_sampling import ADASYN
        def prepare(X, y):
            X, y = ADASYN().fit_resample(X, y)  # expect: NN307
            X_train, X_test = X[:800], X[800:]
            return X_train, X_test
    """,
    "imports_inside_the_task": """
        def split_dataset(dataset):
            from imblearn.over_sampling import SMOTE
            from sklearn.model_selection import train_test_split
            X, y = dataset.drop(columns="label"), dataset[["label"]]
            smote = SMOTE(sampling_strategy="minority")
            X_smote, y_smote = smote.fit_resample(X, y)  # expect: NN307
            return train_test_split(X_smote, y_smote, test_size=0.2, stratify=y_smote)
    """,
    "combined_sampler": """
        import imblearn.combine
        from sklearn.model_selection import train_test_split
        X2, y2 = imblearn.combine.SMOTETomek().fit_resample(X, y)  # expect: NN307
        parts = train_test_split(X2, y2, test_size=0.25)
    """,
}

NEGATIVES = {
    "split_first": """
        from imblearn.over_sampling import SMOTE
        from sklearn.model_selection import train_test_split
        X_train, X_test, y_train, y_test = train_test_split(X, y)
        X_train, y_train = SMOTE().fit_resample(X_train, y_train)
    """,
    "original_data_split": """
        from imblearn.over_sampling import SMOTE
        from sklearn.model_selection import train_test_split
        X_res, y_res = SMOTE().fit_resample(X, y)
        print(len(X_res))
        X_train, X_test, y_train, y_test = train_test_split(X, y)
    """,
    "undersampling": """
        from imblearn.under_sampling import RandomUnderSampler
        from sklearn.model_selection import train_test_split
        X_res, y_res = RandomUnderSampler().fit_resample(X, y)
        X_train, X_test, y_train, y_test = train_test_split(X_res, y_res)
    """,
    "pipeline": """
        from imblearn.over_sampling import SMOTE
        from imblearn.pipeline import make_pipeline
        from sklearn.model_selection import cross_val_score
        scores = cross_val_score(make_pipeline(SMOTE(), clf), X, y, cv=5)
    """,
    "rebound_to_other_data": """
        from imblearn.over_sampling import SMOTE
        from sklearn.model_selection import train_test_split
        X_res, y_res = SMOTE().fit_resample(X, y)
        X_res, y_res = load_holdout()
        X_train, X_test, y_train, y_test = train_test_split(X_res, y_res)
    """,
    "split_in_another_function": """
        from imblearn.over_sampling import SMOTE
        from sklearn.model_selection import train_test_split
        def balance(X, y):
            X_res, y_res = SMOTE().fit_resample(X, y)
            return X_res, y_res
        def split(X_res, y_res):
            return train_test_split(X_res, y_res)
    """,
    "unknown_sampler": """
        from sklearn.model_selection import train_test_split
        from mylib import MySampler
        X_res, y_res = MySampler().fit_resample(X, y)
        X_train, X_test, y_train, y_test = train_test_split(X_res, y_res)
    """,
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_positive(name: str) -> None:
    assert_findings(POSITIVES[name], "NN307")


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_negative(name: str) -> None:
    assert_findings(NEGATIVES[name], "NN307")
