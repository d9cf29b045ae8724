"""Data rules NN301-NN306: true positives and the negatives a naive rule would flag."""

from __future__ import annotations

import pytest

from lintnn.static.analyses import datasets as D
from tests.helpers import assert_findings

# --- shared analysis ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "split"),
    [
        ("X_train", D.TRAIN), ("trainloader", D.TRAIN), ("train_dataloader", D.TRAIN),
        ("X_tr", D.TRAIN), ("val_loader", D.EVAL), ("valset", D.EVAL), ("X_test", D.EVAL),
        ("validLoader", D.EVAL), ("holdout_df", D.EVAL), ("train_val_split", D.EVAL),
        ("value", None), ("interval", None), ("latest", None), ("pretrained_model", None),
        ("X", None), ("data", None),
    ],
)
def test_split_of_reads_names(name: str, split: str | None) -> None:
    assert D.split_of(name) == split


def test_clear_split_refuses_mixed_names() -> None:
    assert D.clear_split("train_val") is None
    assert D.clear_split("X_val") == D.EVAL


# --- NN301 unshuffled-training-data ----------------------------------------------------


def test_nn301_torch_training_loaders() -> None:
    assert_findings(
        """
        from torch.utils.data import DataLoader

        train_loader = DataLoader(train_ds, batch_size=32)  # expect: NN301
        loader2 = DataLoader(dataset=train_set, batch_size=8, shuffle=False)  # expect: NN301
        loader3 = DataLoader(train_set, batch_size=8, sampler=None)  # expect: NN301

        def train_dataloader():
            return DataLoader(ds, batch_size=32)  # expect: NN301
        """,
        "NN301",
    )
    assert_findings(
        """
        from torch.utils.data import DataLoader

        loader = DataLoader(ds, batch_size=16)  # expect: NN301
        for epoch in range(3):
            for x, y in loader:
                loss = model(x, y)
                loss.backward()
                opt.step()
        """,
        "NN301",
    )


def test_nn301_negatives_loaders() -> None:
    assert_findings(
        """
        import torch
        from torch.utils.data import DataLoader, DistributedSampler, IterableDataset

        val_loader = DataLoader(train_ds_for_val, batch_size=32)
        test_loader = DataLoader(test_ds, batch_size=32, shuffle=False)
        a = DataLoader(train_ds, batch_size=32, shuffle=True)
        b = DataLoader(train_ds, sampler=DistributedSampler(train_ds))
        c = DataLoader(train_ds, batch_sampler=bucket_sampler)
        d = DataLoader(train_ds, batch_size=32, shuffle=shuffle)
        e = DataLoader(train_ds, **loader_kwargs)
        f = DataLoader(IterableDataset(), batch_size=4)
        train_series_loader = DataLoader(train_series, batch_size=64)
        overfit_train_loader = DataLoader(train_ds, batch_size=64)

        loader = DataLoader(ds, batch_size=16)
        with torch.no_grad():
            for x, y in loader:
                preds.append(model(x))

        def val_dataloader():
            return DataLoader(train_ds, batch_size=32)
        """,
        "NN301",
    )


def test_nn301_an_evaluation_loop_that_updates_meters_and_a_progress_bar_is_not_training(
) -> None:
    """``losses.update(loss.item(), n)`` (an AverageMeter) and ``pbar.update(1)`` are not
    optimizer updates: the loader stays an evaluation loader."""
    assert_findings(
        """
        import torch
        from torch.utils.data import DataLoader

        val_loader = DataLoader(val_ds, batch_size=128, shuffle=False)

        def validate(val_loader, model, criterion, losses, pbar):
            model.eval()
            with torch.no_grad():
                for x, y in val_loader:
                    loss = criterion(model(x), y)
                    losses.update(loss.item(), x.size(0))
                    pbar.update(1)

        validate(val_loader, model, criterion, meter, progress)

        loader = DataLoader(train_ds, batch_size=64)  # expect: NN301
        for x, y in loader:
            opt.zero_grad()
            criterion(model(x), y).backward()
            update(params)
        """,
        "NN301",
    )


def test_nn301_keras_fit() -> None:
    assert_findings(
        """
        import keras

        model = keras.Sequential([keras.layers.Dense(1)])
        model.fit(X_train, y_train, epochs=3, shuffle=False)  # expect: NN301
        model.fit(X_train, y_train, epochs=3)
        model.fit(train_ds, epochs=3, shuffle=False)
        model.fit(make_generator(), epochs=3, shuffle=False)
        model.fit(series_train, y, shuffle=False)
        """,
        "NN301",
    )


def test_nn301_manual_batching_without_permutation() -> None:
    assert_findings(
        """
        import torch

        for epoch in range(10):
            for i in range(0, len(X_train), 32):  # expect: NN301
                xb, yb = X_train[i:i + 32], y_train[i:i + 32]
                loss = loss_fn(model(xb), yb)
                loss.backward()
                opt.step()
        """,
        "NN301",
    )


def test_nn301_manual_batching_negatives() -> None:
    assert_findings(
        """
        import jax
        import numpy as np

        def predict_all(X_train):
            return [model(X_train[i:i + 32]) for i in range(0, len(X_train), 32)]

        def evaluate():
            for i in range(0, len(X_train), 32):
                preds.append(model(X_train[i:i + 32]))

        def train(key, params, X_train, y_train):
            for epoch in range(10):
                key, sub = jax.random.split(key)
                perm = jax.random.permutation(sub, len(X_train))
                X_s, y_s = X_train[perm], y_train[perm]
                for i in range(0, len(X_s), 32):
                    params = train_step(params, X_train[i:i + 32], y_s[i:i + 32])
            return params
        """,
        "NN301",
    )


# --- NN302 statistics-fitted-before-split ------------------------------------------------


def test_nn302_scaler_before_split() -> None:
    assert_findings(
        """
        import numpy as np
        from sklearn.model_selection import KFold, train_test_split
        from sklearn.preprocessing import MinMaxScaler, StandardScaler

        X = StandardScaler().fit_transform(X)  # expect: NN302
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)

        def folds(features, labels):
            scaler = MinMaxScaler()
            scaler.fit(features)  # expect: NN302
            scaled = scaler.transform(features)
            for tr, te in KFold(5).split(scaled):
                yield scaled[tr], scaled[te]

        def by_slicing(data):
            mu = data.mean(axis=0)  # expect: NN302
            sd = np.std(data, axis=0)  # the same leak: reported once
            data = (data - mu) / sd
            train, test = data[:800], data[800:]
            return train, test

        def inline(X):
            X = (X - X.mean(0)) / X.std(0)  # expect: NN302
            X_train, X_val = X[:100], X[100:]
            return X_train, X_val
        """,
        "NN302",
    )


def test_nn302_dataframe_columns() -> None:
    assert_findings(
        """
        from sklearn.model_selection import train_test_split
        from sklearn.preprocessing import StandardScaler

        df[cols] = StandardScaler().fit_transform(df[cols])  # expect: NN302
        df["age"] = (df["age"] - df["age"].mean()) / df["age"].std()  # expect: NN302
        train_df, test_df = train_test_split(df, test_size=0.2)
        """,
        "NN302",
    )


def test_nn302_keras_adapt_before_split() -> None:
    assert_findings(
        """
        import keras
        from sklearn.model_selection import train_test_split

        norm = keras.layers.Normalization()
        norm.adapt(features)  # expect: NN302
        x_train, x_test = train_test_split(features)
        """,
        "NN302",
    )


def test_nn302_statistics_of_the_training_rows_picked_by_a_split_bound_are_fine() -> None:
    """``raw[:num_train_samples].mean(0)`` is the training part (Deep Learning with Python's
    time-series chapter); the whole array's mean before the same slicing is a leak."""
    assert_findings(
        """
        import numpy as np

        num_train_samples = int(0.5 * len(raw_data))
        mean = raw_data[:num_train_samples].mean(axis=0)
        raw_data -= mean
        std = raw_data[:num_train_samples].std(axis=0)
        raw_data /= std
        train_rows = raw_data[:num_train_samples]
        val_rows = raw_data[num_train_samples:]

        def leak(series, n_train):
            series = (series - series.mean(0)) / series.std(0)  # expect: NN302
            X_train, X_val = series[:n_train], series[n_train:]
            return X_train, X_val
        """,
        "NN302",
    )


def test_nn302_standardizing_functions_on_the_full_data() -> None:
    """``zscore(df[col])`` and ``scale(X)`` fit and apply the statistics in one call."""
    assert_findings(
        """
        from scipy.stats import zscore
        from sklearn.model_selection import KFold, train_test_split
        from sklearn.preprocessing import scale

        df["income"] = zscore(df["income"])  # expect: NN302
        x = df[columns].values
        for train, test in KFold(5).split(x):
            model.fit(x[train], y[train])

        X = scale(features)  # expect: NN302
        X_train, X_test = train_test_split(X)

        X_tr, X_te = train_test_split(raw)
        X_tr = scale(X_tr)
        X_te = scale(X_te)
        z = zscore(unrelated)
        """,
        "NN302",
    )


def test_nn302_negatives() -> None:
    assert_findings(
        """
        import numpy as np
        import torchvision.transforms as T
        from sklearn.model_selection import cross_val_score, train_test_split
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.linear_model import LogisticRegression

        X_train, X_test, y_train, y_test = train_test_split(X, y)
        scaler = StandardScaler().fit(X_train)
        X_test = scaler.transform(X_test)

        pipe = make_pipeline(StandardScaler(), LogisticRegression())
        pipe.fit(X, y)
        scores = cross_val_score(pipe, X, y, cv=5)

        normalize = T.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])

        def train(losses, metrics):
            avg = np.mean(losses)
            print(metrics.mean(), avg)
            parts = train_test_split(losses)

        def stats_on_train(X):
            X_tr, X_te = X[:800], X[800:]
            mu, sd = X_tr.mean(0), X_tr.std(0)
            return (X_tr - mu) / sd, (X_te - mu) / sd

        def printed_only(X):
            print(X.mean())
            X_train, X_val = X[:10], X[10:]
            return X_train, X_val

        def rebound(X, path):
            scaler = StandardScaler().fit(X)
            X = np.load(path)
            X_train, X_test = train_test_split(X)
            return scaler.transform(X_train)

        def split_before(X):
            X_train, X_val = train_test_split(X)
            scaler = StandardScaler()
            X = scaler.fit_transform(X)
            return X
        """,
        "NN302",
    )


# --- NN303 scaler-refit-on-eval-data -------------------------------------------------------


def test_nn303_refit_on_eval() -> None:
    assert_findings(
        """
        import keras
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler()
        X_train = scaler.fit_transform(X_train)
        X_val = scaler.fit_transform(X_val)  # expect: NN303
        X_test = StandardScaler().fit_transform(X_test)  # expect: NN303

        def prepare(train_df, test_df):
            norm = keras.layers.Normalization()
            norm.adapt(train_df.values)
            other = keras.layers.Normalization()
            other.adapt(test_df.values)  # expect: NN303
        """,
        "NN303",
    )


def test_nn303_negatives() -> None:
    assert_findings(
        """
        from sklearn.preprocessing import StandardScaler
        from sklearn.pipeline import make_pipeline

        scaler = StandardScaler()
        X_train = scaler.fit_transform(X_train)
        X_test = scaler.transform(X_test)

        def only_test(X_test):
            return StandardScaler().fit_transform(X_test)

        def trainval(X_train, X_trainval_full):
            StandardScaler().fit(X_train)
            StandardScaler().fit(X_train_val)

        def model_on_test(X_train, X_test, y_test):
            StandardScaler().fit(X_train)
            make_pipeline(StandardScaler()).fit(X_test, y_test)
        """,
        "NN303",
    )


# --- NN304 independent-shuffles --------------------------------------------------------


def test_nn304_independent_shuffles() -> None:
    assert_findings(
        """
        import random
        import jax
        import numpy as np
        from sklearn.utils import shuffle

        np.random.shuffle(X)
        np.random.shuffle(y)  # expect: NN304

        def permute(X_train, y_train, n):
            X_train = X_train[np.random.permutation(n)]
            y_train = y_train[np.random.permutation(n)]  # expect: NN304
            return X_train, y_train

        def lists(images, labels):
            random.shuffle(images)
            random.shuffle(labels)  # expect: NN304

        def keys(k1, k2, inputs, targets):
            inputs = jax.random.permutation(k1, inputs)
            targets = jax.random.permutation(k2, targets)  # expect: NN304
            return inputs, targets

        def named(x, y, n):
            p1 = np.random.permutation(n)
            p2 = np.random.permutation(n)
            return x[p1], y[p2]  # expect: NN304

        def copies(X, y):
            return shuffle(X), shuffle(y)  # expect: NN304
        """,
        "NN304",
    )


def test_nn304_negatives() -> None:
    assert_findings(
        """
        import random
        import jax
        import torch
        import numpy as np
        from sklearn.utils import shuffle

        perm = np.random.permutation(len(X))
        X, y = X[perm], y[perm]

        X, y = shuffle(X, y, random_state=0)
        np.random.shuffle(X_train)

        def same_key(key, inputs, targets):
            return jax.random.permutation(key, inputs), jax.random.permutation(key, targets)

        def reseeded(X, y):
            np.random.seed(0)
            np.random.shuffle(X)
            np.random.seed(0)
            np.random.shuffle(y)

        def state(X, y):
            st = np.random.get_state()
            np.random.shuffle(X)
            np.random.set_state(st)
            np.random.shuffle(y)

        def seeded(X, y):
            return shuffle(X, random_state=1), shuffle(y, random_state=1)

        def unrelated(train_files, val_files):
            random.shuffle(train_files)
            random.shuffle(val_files)

        def augment(input, target, mode):
            if mode == "ricap":
                for k in range(4):
                    idx = torch.randperm(input.size(0))
                    cropped = input[idx]
                    labels = target[idx]
            elif mode == "mixup":
                idx = torch.randperm(input.size(0))
                input_a, input_b = input, input[idx]
                target_a, target_b = target, target[idx]

        def per_epoch(X, y, rng):
            for epoch in range(10):
                idx = rng.permutation(len(X))
                xb, yb = X[idx], y[idx]
        """,
        "NN304",
    )


# --- NN305 random-augmentation-in-eval --------------------------------------------------


def test_nn305_random_eval_transforms() -> None:
    assert_findings(
        """
        import albumentations as A
        import keras
        from torchvision import datasets, transforms
        from torchvision.transforms import v2

        val_transform = transforms.Compose([
            transforms.RandomResizedCrop(224),  # expect: NN305
            transforms.ToTensor(),
        ])
        data_transforms = {
            "train": transforms.Compose([transforms.RandomHorizontalFlip()]),
            "val": transforms.Compose([v2.ColorJitter(0.4)]),  # expect: NN305
        }
        transform = transforms.Compose([transforms.RandomCrop(32, padding=4)])  # expect: NN305
        trainset = datasets.CIFAR10("data", train=True, transform=transform)
        testset = datasets.CIFAR10("data", train=False, transform=transform)

        def get_valid_transforms():
            return A.Compose([A.HorizontalFlip(), A.Normalize()])  # expect: NN305

        test_preprocess = keras.Sequential([keras.layers.RandomFlip("horizontal")])  # expect: NN305
        """,
        "NN305",
    )


def test_nn305_negatives() -> None:
    assert_findings(
        """
        import albumentations as A
        from torchvision import datasets, transforms

        train_transform = transforms.Compose([transforms.RandomCrop(32), transforms.ToTensor()])
        val_transform = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224)])
        trainset = datasets.CIFAR10("data", train=True, transform=train_transform)
        testset = datasets.CIFAR10("data", train=False, transform=val_transform)
        tta_transform = transforms.Compose([transforms.RandomHorizontalFlip(p=1.0)])
        test_aug = transforms.Compose([transforms.RandomHorizontalFlip()])
        valid_tf = A.Compose([A.HorizontalFlip(p=0), A.Normalize()])

        def get_test_transforms(p):
            return A.Compose([A.HorizontalFlip(p=p)])
        """,
        "NN305",
    )


# --- NN306 same-batch-every-step ------------------------------------------------------


def test_nn306_same_batch() -> None:
    assert_findings(
        """
        batch = next(iter(train_loader))  # expect: NN306
        for step in range(1000):
            loss = model(batch)
            loss.backward()
            opt.step()

        def train(model, loader, opt):
            x, y = next(iter(loader))  # expect: NN306
            x = x.to("cuda")
            for epoch in range(10):
                opt.zero_grad()
                loss_fn(model(x), y).backward()
                opt.step()
        """,
        "NN306",
    )


def test_nn306_negatives() -> None:
    assert_findings(
        """
        def shapes(model, loader, opt):
            sample = next(iter(loader))
            model.build(sample[0].shape)
            for epoch in range(10):
                for x, y in loader:
                    loss_fn(model(x), y).backward()
                    opt.step()

        def overfit_one_batch(model, loader, opt):
            batch = next(iter(loader))
            for step in range(500):
                model(batch).backward()
                opt.step()

        def drawn_inside(model, loader, opt):
            it = iter(loader)
            batch = next(iter(loader))
            for step in range(500):
                model(batch).backward()
                opt.step()
                batch = next(it)

        def not_training(model, loader):
            batch = next(iter(loader))
            for i in range(10):
                print(model(batch))

        single_batch = next(iter(train_loader))
        for step in range(100):
            model(single_batch).backward()
            opt.step()
        """,
        "NN306",
    )


def test_nn301_use_outweighs_names() -> None:
    """A loader whose batches reach backward()/step() trains, whatever it is called; one
    that is only peeked at, or a leftover beside the loader the file trains on, does not."""
    assert_findings(
        """
        from torch.utils.data import DataLoader

        val_trainloader = DataLoader(ds, batch_size=16)  # expect: NN301
        train_loader = DataLoader(train_ds, batch_size=64)
        small_loader = DataLoader(train_ds, batch_size=8)
        images, labels = next(iter(small_loader))
        fold_loader = DataLoader(train_ds, batch_size=8)  # expect: NN301

        def run_epoch(model, batches, opt):
            for x, y in batches:
                model(x).sum().backward()
                opt.step()

        def peek(batches):
            return next(iter(batches))

        for x, y in val_trainloader:
            model(x).sum().backward()
            opt.step()
        run_epoch(model, fold_loader, opt)
        peek(train_loader)
        """,
        "NN301",
    )


def test_nn301_a_leftover_loader_beside_the_trained_one_is_silent() -> None:
    """Real-world (a JAX tutorial): ``train_loader`` is built for later sections, while
    training iterates a loader built in the training function."""
    assert_findings(
        """
        from torch.utils import data

        train_loader = data.DataLoader(train_set, batch_size=128, shuffle=False)

        def train(state, num_epochs):
            local = data.DataLoader(train_set, batch_size=128, shuffle=True)
            for epoch in range(num_epochs):
                for batch in local:
                    state = train_step(state, batch)
        """,
        "NN301",
    )


def test_nn301_a_name_rebound_to_another_loader_is_another_loader() -> None:
    """Real-world (a Kaggle notebook): ``train_loader`` first serves image previews, then is
    rebuilt per fold with a random sampler; the training loop reads the second binding."""
    assert_findings(
        """
        import torch

        train_loader = torch.utils.data.DataLoader(train_set, batch_size=64)
        images, labels = next(iter(train_loader))
        for fold, (train_idx, valid_idx) in enumerate(folds):
            sampler = torch.utils.data.SubsetRandomSampler(train_idx)
            train_loader = torch.utils.data.DataLoader(train_set, batch_size=64, sampler=sampler)
            for inputs, labels in train_loader:
                model(inputs).sum().backward()
                optimizer.step()
        """,
        "NN301",
    )


def test_nn302_follows_the_code_people_write() -> None:
    """Statistics applied in place, through helpers and keywords, carried by later names,
    and splits by index parts and keras' validation_split (issue 13's forms)."""
    assert_findings(
        """
        import numpy as np
        from sklearn.model_selection import KFold, train_test_split
        from sklearn.preprocessing import MinMaxScaler, StandardScaler

        def in_place(X):
            X -= X.mean(axis=0)  # expect: NN302
            X /= X.std(axis=0)
            return X[:800], X[800:]

        def carried_by_a_later_name(df, cols):
            df[cols] = StandardScaler().fit_transform(df[cols])  # expect: NN302
            X = df.drop("price", axis=1)
            X_train, X_test = train_test_split(X, test_size=0.2)

        def through_a_helper(data):
            scaled = normalize_series(data, data.min(axis=0), data.max(axis=0))  # expect: NN302
            return scaled[:1000], scaled[1000:]

        def imputed(df):
            df = df.fillna(df.mean())  # expect: NN302
            return train_test_split(df)

        def by_keyword(frame):
            frame = MinMaxScaler().fit_transform(X=frame)  # expect: NN302
            return train_test_split(frame)

        def keras_validation_split(model, X, y):
            X = StandardScaler().fit_transform(X)  # expect: NN302
            model.fit(X, y, epochs=5, validation_split=0.2)

        def index_parts(inputs):
            inputs = StandardScaler().fit_transform(inputs)  # expect: NN302
            tr, te = train_test_split(np.arange(len(inputs)), test_size=0.2)
            return inputs[tr], inputs[te]

        def per_column(X, out):
            for i in range(X.shape[1]):
                out[:, i] = MinMaxScaler().fit_transform(X[:, i:i + 1]).ravel()  # expect: NN302
            X_train = out[:500]
            return X_train
        """,
        "NN302",
    )


def test_nn302_negatives_of_the_same_forms() -> None:
    assert_findings(
        """
        import numpy as np
        from sklearn.model_selection import KFold, train_test_split
        from sklearn.preprocessing import StandardScaler

        def fitted_on_the_training_part(X):
            tr, te = train_test_split(np.arange(len(X)))
            scaler = StandardScaler().fit(X[tr])
            return scaler.transform(X[tr]), scaler.transform(X[te])

        def per_fold(X):
            for tr, va in KFold(5).split(X):
                scaler = StandardScaler().fit(X[tr])
                yield scaler.transform(X[tr]), scaler.transform(X[va])

        def no_validation(model, X, y):
            X = StandardScaler().fit_transform(X)
            model.fit(X, y, validation_split=0.0)

        def train_statistics(train, test):
            train = train.fillna(train.mean())
            test = test.fillna(train.mean())
            return train_test_split(train)

        def size_only(X):
            n = len(StandardScaler().fit_transform(X))
            a, b = train_test_split(np.zeros(n))
            return a, b
        """,
        "NN302",
    )


def test_nn305_keras_image_data_generator_feeding_evaluation() -> None:
    """Real-world (a book's companion code): one augmenting ImageDataGenerator serves the
    training and the validation folders; a generator with rescaling only does not augment,
    and a second, plain generator for validation is the fix."""
    assert_findings(
        """
        from tensorflow.keras.preprocessing.image import ImageDataGenerator

        train_datagen = ImageDataGenerator(  # expect: NN305
            rescale=1. / 255, rotation_range=40, horizontal_flip=True)
        train_generator = train_datagen.flow_from_directory(train_dir)
        validation_generator = train_datagen.flow_from_directory(validation_dir)

        split_datagen = ImageDataGenerator(zoom_range=0.2, validation_split=0.2)  # expect: NN305
        val = split_datagen.flow_from_directory(data_dir, subset="validation")

        plain = ImageDataGenerator(rescale=1. / 255)
        test_generator = plain.flow_from_directory(test_dir)

        augment = ImageDataGenerator(rotation_range=0, horizontal_flip=False)
        valid = augment.flow(X_val, y_val)

        tta = ImageDataGenerator(horizontal_flip=True)
        tta_test = tta.flow(X_test)
        """,
        "NN305",
    )


def test_nn301_tf_data_pipeline_without_shuffle() -> None:
    """Real-world (tutorials): ``from_tensor_slices(...).batch(32)`` fed to ``fit`` (which
    does not shuffle a dataset) or iterated by a GradientTape loop; a pipeline that shuffles
    at any step, or one that only feeds evaluation, is fine."""
    assert_findings(
        """
        import tensorflow as tf

        train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train))  # expect: NN301
        train_ds = train_ds.batch(32).prefetch(1)
        model.fit(train_ds, epochs=5)

        ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(64)  # expect: NN301
        for epoch in range(10):
            for xb, yb in ds:
                with tf.GradientTape() as tape:
                    loss = loss_fn(yb, model(xb))
                grads = tape.gradient(loss, model.trainable_variables)
                optimizer.apply_gradients(zip(grads, model.trainable_variables))

        shuffled = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(1000).batch(32)
        model.fit(shuffled, epochs=5)
        later = tf.data.Dataset.from_tensor_slices((x, y))
        later = later.shuffle(100).batch(8)
        model.fit(later)
        val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(32)
        model.fit(shuffled, validation_data=val_ds)
        other = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
        model.evaluate(other)
        """,
        "NN301",
    )


def test_nn301_lightning_trainer_fit_positions() -> None:
    """Lightning's ``trainer.fit(model, train, val)``: the second loader only validates."""
    assert_findings(
        """
        from torch.utils.data import DataLoader

        a = DataLoader(ds_a, batch_size=32)  # expect: NN301
        b = DataLoader(ds_b, batch_size=32)
        trainer.fit(model, a, b)
        """,
        "NN301",
    )


def test_nn302_a_dict_of_scalers() -> None:
    """Real-world (a research repo): ``self.scalers = {"a": StandardScaler(), ...}`` and
    ``self.scalers["a"].fit_transform(X)``: a dict whose values are all scalers."""
    assert_findings(
        """
        from sklearn.model_selection import train_test_split
        from sklearn.preprocessing import MinMaxScaler, StandardScaler

        scalers = {"features": StandardScaler(), "target": StandardScaler()}
        X = scalers["features"].fit_transform(X)  # expect: NN302
        mixed = {"features": StandardScaler(), "name": "x"}
        Z = mixed["features"].fit_transform(Z)
        X_tr, X_te, Z_tr, Z_te = train_test_split(X, Z)
        """,
        "NN302",
    )


def test_nn305_validation_split_by_sampler_shares_the_training_transform() -> None:
    """Real-world (a course notebook): the validation loader samples the augmented
    training data set; a loader over the plain test set, and the training loader, are fine."""
    assert_findings(
        """
        import torch
        from torchvision import datasets, transforms

        train_transform = transforms.Compose([
            transforms.RandomHorizontalFlip(),  # expect: NN305
            transforms.RandomRotation(10),
            transforms.ToTensor(),
        ])
        test_transform = transforms.Compose([transforms.ToTensor()])
        train_data = datasets.CIFAR10("data", train=True, transform=train_transform)
        test_data = datasets.CIFAR10("data", train=False, transform=test_transform)
        train_loader = torch.utils.data.DataLoader(train_data, sampler=train_sampler)
        valid_loader = torch.utils.data.DataLoader(train_data, sampler=valid_sampler)
        test_loader = torch.utils.data.DataLoader(test_data)
        """,
        "NN305",
    )


def test_nn301_a_loader_factory_whose_shuffle_stays_off() -> None:
    """Real-world (a Kaggle notebook): a factory passes its ``shuffle`` parameter (default
    False) to DataLoader; the call that builds the training loader leaves it off."""
    assert_findings(
        """
        from torch.utils.data import DataLoader

        def make_loader(dataset, batch_size, shuffle=False):
            return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle)

        train_loader = make_loader(train_ds, 32)  # expect: NN301
        shuffled = make_loader(train_ds, 32, shuffle=True)
        val_loader = make_loader(val_ds, 64)
        fold_loader = make_loader(fold_ds, 16, False)  # expect: NN301
        for x, y in fold_loader:
            model(x).sum().backward()
            opt.step()
        """,
        "NN301",
    )


def test_nn301_a_stateful_recurrent_model_needs_its_order() -> None:
    assert_findings(
        """
        from keras.layers import LSTM, Dense
        from keras.models import Sequential

        model = Sequential()
        model.add(LSTM(50, batch_size=1, stateful=True))
        model.add(Dense(1))
        for epoch in range(10):
            model.fit(x_train, y_train, epochs=1, batch_size=1, shuffle=False)

        resettable = Sequential([LSTM(8), Dense(1)])
        for epoch in range(10):
            resettable.fit(x_train, y_train, epochs=1, shuffle=False)
            resettable.reset_states()

        listed = Sequential([LSTM(8, stateful=True), Dense(1)])
        listed.fit(x_train, y_train, shuffle=False)

        plain = Sequential()
        plain.add(LSTM(50, stateful=False))
        plain.fit(x_train, y_train, epochs=10, shuffle=False)  # expect: NN301

        other = Sequential([LSTM(8), Dense(1)])
        other.fit(x_train, y_train, epochs=10, shuffle=False)  # expect: NN301
        """,
        "NN301",
    )


def test_nn301_a_stateful_layer_of_another_model_does_not_excuse_this_one() -> None:
    assert_findings(
        """
        import keras
        from keras.layers import LSTM, Dense
        from keras.models import Sequential

        streaming = Sequential([LSTM(8, stateful=True), Dense(1)])
        classifier = Sequential()
        classifier.add(Dense(1))
        classifier.fit(x_train, y_train, epochs=10, shuffle=False)  # expect: NN301
        """,
        "NN301",
    )


def test_nn301_a_functional_stateful_model_is_left_alone() -> None:
    assert_findings(
        """
        import keras
        from keras.layers import LSTM, Dense, Input

        inputs = Input(batch_shape=(1, 4, 2))
        hidden = LSTM(32, stateful=True)(inputs)
        model = keras.Model(inputs, Dense(1)(hidden))
        model.fit(x_train, y_train, epochs=10, shuffle=False)
        """,
        "NN301",
    )


def test_nn301_one_batch_of_the_whole_data_set_has_no_order() -> None:
    assert_findings(
        """
        from torch.utils.data import DataLoader, TensorDataset

        def loaders(x_train, y_train, x_val, y_val):
            train_set = TensorDataset(x_train, y_train)
            full = DataLoader(train_set, x_train.shape[0])
            whole = DataLoader(train_set, batch_size=len(train_set))
            sized = DataLoader(TensorDataset(x_train, y_train), batch_size=x_train.size(0))
            tenth = DataLoader(train_set, batch_size=len(x_train) // 10)  # expect: NN301
            other = DataLoader(train_set, batch_size=x_val.shape[0])  # expect: NN301
            columns = DataLoader(train_set, batch_size=x_train.shape[1])  # expect: NN301
            return full, whole, sized, tenth, other, columns
        """,
        "NN301",
    )


def test_nn301_a_data_set_that_shuffles_itself_when_rebuilt_every_epoch() -> None:
    assert_findings(
        """
        import numpy as np
        from torch.utils.data import DataLoader, Dataset

        class Triplets(Dataset):
            def __init__(self, rows):
                self.rows = list(rows)
                np.random.shuffle(self.rows)

            def __getitem__(self, index):
                return self.rows[index]

            def __len__(self):
                return len(self.rows)

        class Rows(Dataset):
            def __init__(self, rows):
                self.rows = list(rows)

            def __getitem__(self, index):
                return self.rows[index]

            def __len__(self):
                return len(self.rows)

        def train(model, optimizer, rows):
            for epoch in range(10):
                train_set = Triplets(rows)
                train_loader = DataLoader(train_set, batch_size=20, shuffle=False)
                for batch in train_loader:
                    optimizer.zero_grad()
                    model(batch).sum().backward()
                    optimizer.step()

        def train_once_shuffled(model, optimizer, rows):
            train_set = Triplets(rows)
            for epoch in range(10):
                train_loader = DataLoader(train_set, batch_size=20)  # expect: NN301
                for batch in train_loader:
                    optimizer.zero_grad()
                    model(batch).sum().backward()
                    optimizer.step()

        def train_rebuilt_in_order(model, optimizer, rows):
            for epoch in range(10):
                train_set = Rows(rows)
                train_loader = DataLoader(train_set, batch_size=20)  # expect: NN301
                for batch in train_loader:
                    optimizer.zero_grad()
                    model(batch).sum().backward()
                    optimizer.step()
        """,
        "NN301",
    )


def test_nn301_keras_image_iterators_built_with_shuffle_off() -> None:
    assert_findings(
        """
        from tensorflow.keras.preprocessing.image import ImageDataGenerator

        datagen = ImageDataGenerator(rescale=1 / 255)
        xy_train = datagen.flow_from_directory("train", shuffle=False)  # expect: NN301
        xy_val = datagen.flow_from_directory("data/val", batch_size=5, shuffle=False)
        model.fit_generator(xy_train, epochs=50, validation_data=xy_val)

        frames = datagen.flow_from_dataframe(df, x_col="path", shuffle=False)  # expect: NN301
        model.fit(frames, epochs=10)

        shuffled = datagen.flow_from_directory("data/train", batch_size=5)
        model.fit(shuffled, epochs=10)

        features_train = datagen.flow_from_directory("data/train", shuffle=False)
        bottleneck = base_model.predict(features_train)

        validation = datagen.flow_from_directory("data/val", shuffle=False)
        model.fit(shuffled, validation_data=validation, epochs=10)
        """,
        "NN301",
    )
