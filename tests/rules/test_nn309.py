"""NN309 statistics-include-validation-rows: true positives and near misses."""

from __future__ import annotations

from tests.helpers import assert_findings

HEADER = """
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from sklearn.model_selection import train_test_split
"""


def check(body: str) -> None:
    assert_findings(HEADER + body, "NN309")


def test_normalization_layer_adapted_on_the_rows_validation_split_holds_out() -> None:
    check("""
normalizer = layers.Normalization(axis=-1)
normalizer.adapt(np.array(train_features))  # expect: NN309
model = keras.Sequential([normalizer, layers.Dense(1)])
model.compile(loss="mse", optimizer="adam")
model.fit(train_features, train_labels, epochs=10, validation_split=0.2)

hp = np.array(train_features["hp"])
hp_norm = layers.Normalization(axis=None)
hp_norm.adapt(hp)  # expect: NN309
hp_model = build_and_compile(hp_norm)
hp_model.fit(train_features["hp"], train_labels, validation_split=0.2)
""")


def test_mean_and_std_of_the_training_data_then_k_fold_slices() -> None:
    check("""
mean = train_data.mean(axis=0)  # expect: NN309
train_data -= mean
std = train_data.std(axis=0)
train_data /= std
test_data -= mean
test_data /= std

k = 4
n = len(train_data) // k
for i in range(k):
    val_data = train_data[i * n:(i + 1) * n]
    partial_train = np.concatenate([train_data[:i * n], train_data[(i + 1) * n:]])
""")


def test_statistics_then_a_second_train_test_split() -> None:
    check("""
x_train = (x_train - x_train.mean(0)) / x_train.std(0)  # expect: NN309
x_tr, x_val, y_tr, y_val = train_test_split(x_train, y_train, test_size=0.1)
""")


def test_split_first_then_statistics_of_the_training_rows_is_fine() -> None:
    check("""
x_tr, x_val, y_tr, y_val = train_test_split(x_train, y_train, test_size=0.1)
mean, std = x_tr.mean(0), x_tr.std(0)
x_tr = (x_tr - mean) / std
x_val = (x_val - mean) / std

normalizer = layers.Normalization()
normalizer.adapt(x_tr)
model = keras.Sequential([normalizer, layers.Dense(1)])
model.fit(x_tr, y_tr, validation_data=(x_val, y_val))
""")


def test_adapted_layer_not_in_the_model_or_statistics_not_applied() -> None:
    check("""
normalizer = layers.Normalization()
normalizer.adapt(train_features)
other = keras.Sequential([layers.Dense(8), layers.Dense(1)])
other.fit(train_features, train_labels, validation_split=0.2)

train_mean = train_features.mean()
print("mean of the training features", train_mean)
train_x, val_x = train_features[:800], train_features[800:]
""")


def test_full_data_statistics_belong_to_nn302() -> None:
    check("""
mean = X.mean(0)
X = (X - mean) / X.std(0)
X_train, X_test = train_test_split(X)
""")


def test_scaling_by_the_maximum_is_not_standardization() -> None:
    check("""
x_train = x_train / x_train.max()
model.fit(x_train, y_train, validation_split=0.2)
""")


def test_one_bug_one_finding_nn302_leaves_the_training_part_statistics_to_nn309() -> None:
    source = HEADER + """
from sklearn.preprocessing import StandardScaler

x_train = np.load("train.npy")
y_train = np.load("labels.npy")
mean = x_train.mean(axis=0)  # expect: NN309
x_train = (x_train - mean) / x_train.std(axis=0)
x_tr, x_val, y_tr, y_val = train_test_split(x_train, y_train, test_size=0.2)

train_df = np.load("t.npy")
scaled = StandardScaler().fit_transform(train_df)  # expect: NN302
a, b = train_test_split(scaled)
"""
    assert_findings(source, "NN309")
    assert_findings(source, "NN302")


def test_targets_standardized_before_validation_split() -> None:
    check("""
y_mean = train_Y.mean()  # expect: NN309
y_std = train_Y.std()
train_Y -= y_mean
train_Y /= y_std
model.fit(train_X, train_Y, epochs=5, validation_split=0.25)
""")


def test_targets_standardized_for_a_fit_with_validation_data_are_not_flagged() -> None:
    check("""
y_mean = train_Y.mean()
train_Y -= y_mean
train_Y /= train_Y.std()
model.fit(train_X, train_Y, epochs=5, validation_data=(val_X, val_Y))
""")
