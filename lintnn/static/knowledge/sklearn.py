"""scikit-learn, imbalanced-learn and NumPy: estimators that fit statistics, splitters,
resamplers, permutations."""

from __future__ import annotations

from lintnn.static.knowledge import roles as R
from lintnn.static.knowledge.base import Entry, cls, expand, fn

FRAMEWORK = "sklearn"
ROOTS = ("sklearn", "numpy", "imblearn")

ENTRIES: dict[str, Entry] = {
    # Estimators whose fit() learns statistics of the data they see.
    **expand(
        "sklearn.preprocessing.StandardScaler sklearn.preprocessing.MinMaxScaler "
        "sklearn.preprocessing.RobustScaler sklearn.preprocessing.MaxAbsScaler "
        "sklearn.preprocessing.QuantileTransformer sklearn.preprocessing.PowerTransformer "
        "sklearn.preprocessing.KBinsDiscretizer sklearn.decomposition.PCA "
        "sklearn.decomposition.TruncatedSVD sklearn.impute.SimpleImputer "
        "sklearn.impute.KNNImputer sklearn.feature_selection.SelectKBest "
        "sklearn.feature_selection.VarianceThreshold",
        cls(R.FITS_STATISTICS),
    ),
    **expand(
        "sklearn.pipeline.Pipeline sklearn.pipeline.make_pipeline "
        "sklearn.compose.ColumnTransformer sklearn.compose.make_column_transformer",
        cls(R.PIPELINE),
    ),
    # ``sklearn.cross_validation``: the module before 0.18, still in old scripts.
    **expand("sklearn.model_selection.train_test_split "
             "sklearn.cross_validation.train_test_split", fn(R.SPLIT_FUNCTION)),
    **expand(
        "sklearn.model_selection.KFold sklearn.model_selection.StratifiedKFold "
        "sklearn.model_selection.GroupKFold sklearn.model_selection.ShuffleSplit "
        "sklearn.model_selection.StratifiedShuffleSplit sklearn.model_selection.TimeSeriesSplit "
        "sklearn.model_selection.RepeatedKFold sklearn.model_selection.StratifiedGroupKFold "
        "sklearn.cross_validation.KFold sklearn.cross_validation.StratifiedKFold "
        "sklearn.cross_validation.ShuffleSplit sklearn.cross_validation.StratifiedShuffleSplit",
        cls(R.SPLITTER),
    ),
    **expand("numpy.random.permutation", fn(R.PERMUTATION)),
    **expand("numpy.random.shuffle random.shuffle", fn(R.SHUFFLE_IN_PLACE)),
    **expand("numpy.mean numpy.std numpy.var numpy.nanmean numpy.nanstd", fn(R.MOMENT)),
    **expand(
        "scipy.stats.zscore scipy.stats.mstats.zscore sklearn.preprocessing.scale "
        "sklearn.preprocessing.minmax_scale sklearn.preprocessing.maxabs_scale "
        "sklearn.preprocessing.robust_scale sklearn.preprocessing.power_transform "
        "sklearn.preprocessing.quantile_transform",
        fn(R.STANDARDIZES),
    ),
    "sklearn.utils.shuffle": fn(R.PERMUTATION),
    # --- data rules (NN3xx) ---
    **expand(
        "imblearn.over_sampling.RandomOverSampler imblearn.over_sampling.SMOTE "
        "imblearn.over_sampling.SMOTENC imblearn.over_sampling.SMOTEN "
        "imblearn.over_sampling.ADASYN imblearn.over_sampling.BorderlineSMOTE "
        "imblearn.over_sampling.KMeansSMOTE imblearn.over_sampling.SVMSMOTE "
        "imblearn.combine.SMOTEENN imblearn.combine.SMOTETomek",
        cls(R.OVERSAMPLER),
    ),
    # Draws rows with replacement by default (``resample(minority, n_samples=...)``).
    "sklearn.utils.resample": fn(R.OVERSAMPLER),
    **expand("numpy.random.seed numpy.random.set_state random.seed random.setstate",
             fn(R.RESEED)),
}

METHODS: dict[str, Entry] = {}
