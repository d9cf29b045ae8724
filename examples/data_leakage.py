"""A small tabular script with the classic data-leakage and shuffling mistakes.

Run ``lintnn check examples/`` to see them reported.
"""

import numpy as np
import torch
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

X, y = make_classification(n_samples=2000, n_features=20, random_state=0)

# Scaled before the split: the test rows shape the training statistics.
scaler = StandardScaler()
X = scaler.fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)

# Inputs and labels shuffled by two different permutations.
np.random.shuffle(X_train)
np.random.shuffle(y_train)


def standardize_then_split(features, labels):
    mean, std = features.mean(axis=0), features.std(axis=0)
    features = (features - mean) / std
    train_x, val_x = features[:1500], features[1500:]
    return train_x, val_x, labels[:1500], labels[1500:]


def scale(X_train, X_test):
    scaler = StandardScaler()
    X_train = scaler.fit_transform(X_train)
    # The test set is scaled with its own statistics instead of the training ones.
    X_test = scaler.fit_transform(X_test)
    return X_train, X_test


X_train, X_test = scale(X_train, X_test)
weights = np.linalg.lstsq(X_train, y_train, rcond=None)[0]
print("test accuracy", ((X_test @ weights > 0) == y_test).mean())


def balance_then_split(features, labels):
    from imblearn.over_sampling import SMOTE

    # Oversampled before the split: synthetic neighbours of test rows land in training.
    features, labels = SMOTE(random_state=0).fit_resample(features, labels)
    return train_test_split(features, labels, test_size=0.2, stratify=labels)


def select_on_test(model, optimizer, criterion, train_loader, test_loader, evaluate):
    # the test score chooses the checkpoint: the reported test accuracy is tuned
    best_acc = 0.0
    for epoch in range(50):
        for x, y in train_loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        test_acc = evaluate(model, test_loader)
        if test_acc > best_acc:
            best_acc = test_acc
            torch.save(model.state_dict(), "best.pt")


def k_fold_scores(train_data, train_targets, build_model, k=4):
    # Normalized before the folds: every validation fold shaped the mean and the std.
    mean = train_data.mean(axis=0)
    train_data -= mean
    train_data /= train_data.std(axis=0)
    n = len(train_data) // k
    scores = []
    for i in range(k):
        val_data = train_data[i * n:(i + 1) * n]
        val_targets = train_targets[i * n:(i + 1) * n]
        partial_data = np.concatenate([train_data[:i * n], train_data[(i + 1) * n:]])
        partial_targets = np.concatenate([train_targets[:i * n], train_targets[(i + 1) * n:]])
        model = build_model()
        model.fit(partial_data, partial_targets, epochs=100, verbose=0)
        scores.append(model.evaluate(val_data, val_targets, verbose=0))
    return scores


def cross_validated_scores(model, X, y):
    """One Keras model fitted fold after fold: fold 2 validates on rows it trained on."""
    from sklearn.model_selection import StratifiedKFold

    scores = []
    for train_idx, val_idx in StratifiedKFold(n_splits=5, shuffle=True).split(X, y):
        model.fit(X[train_idx], y[train_idx], epochs=20, verbose=0)
        scores.append(model.evaluate(X[val_idx], y[val_idx], verbose=0))
    return scores
