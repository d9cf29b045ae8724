"""Data rules NN301-NN307 on the forms real training code takes (issue 13): notebooks that
reload their table cell after cell, chained estimators, a training part split again, in-place
updates; each with the near-misses a naive rule would flag."""

from __future__ import annotations

from tests.helpers import assert_findings

# --- NN302 statistics-fitted-before-split ---------------------------------------------


def test_nn302_a_table_reloaded_and_standardized_again_is_another_leak() -> None:
    assert_findings(
        """
        import pandas as pd
        from scipy.stats import zscore
        from sklearn.model_selection import KFold, train_test_split

        df = pd.read_csv("a.csv")
        df["income"] = zscore(df["income"])  # expect: NN302
        df["age"] = zscore(df["age"])  # the same step on another column: the same leak
        x = df[cols].values
        for tr, te in KFold(5).split(x):
            pass

        df = pd.read_csv("a.csv")
        df["income"] = zscore(df["income"])  # expect: NN302
        x = df[cols].values
        x_main, x_holdout = train_test_split(x, test_size=0.1)
        """,
        "NN302",
    )


def test_nn302_one_column_standardized_twice_without_reloading_is_one_leak() -> None:
    assert_findings(
        """
        import pandas as pd
        from scipy.stats import zscore
        from sklearn.model_selection import train_test_split

        df = pd.read_csv("a.csv")
        df["income"] = zscore(df["income"])  # expect: NN302
        df = pd.concat([df, extra], axis=1)
        df["income"] = zscore(df["income"])
        x_train, x_test = train_test_split(df)
        """,
        "NN302",
    )


def test_nn302_a_chained_fit_then_transform() -> None:
    assert_findings(
        """
        from sklearn.model_selection import StratifiedShuffleSplit
        from sklearn.preprocessing import MinMaxScaler, StandardScaler

        X = MinMaxScaler().fit(data).transform(data)
        X = StandardScaler().fit(data).transform(data)  # expect: NN302
        sss = StratifiedShuffleSplit(n_splits=10, test_size=0.2)
        train_index, val_index = next(iter(sss.split(X, y)))
        x_train, x_val = X[train_index], X[val_index]
        """,
        "NN302",
    )


def test_nn302_a_chained_fit_then_transform_after_the_split_is_fine() -> None:
    assert_findings(
        """
        from sklearn.model_selection import train_test_split
        from sklearn.preprocessing import StandardScaler

        x_train, x_val = train_test_split(data)
        x_train = StandardScaler().fit(x_train).transform(x_train)
        X = StandardScaler().fit(data).transform(data)
        print(X.shape)
        """,
        "NN302",
    )


def test_nn302_the_training_part_fitted_then_split_again_into_train_and_valid() -> None:
    assert_findings(
        """
        from sklearn.cross_validation import train_test_split
        from sklearn.preprocessing import StandardScaler

        def load_data(train, test, train_y):
            scaler = StandardScaler().fit(train)  # expect: NN302
            train = scaler.transform(train)
            test = scaler.transform(test)
            train, valid, train_y, valid_y = train_test_split(train, train_y, test_size=0.2)
            return train, valid, test
        """,
        "NN302",
    )


def test_nn302_the_training_part_fitted_and_only_other_data_split_is_fine() -> None:
    assert_findings(
        """
        from sklearn.model_selection import train_test_split
        from sklearn.preprocessing import StandardScaler

        def load_data(X_train, X_test, y_test):
            scaler = StandardScaler().fit(X_train)
            X_train = scaler.transform(X_train)
            X_test = scaler.transform(X_test)
            X_val, X_test2 = train_test_split(X_test, test_size=0.5)
            X_small = X_train[:100]
            return X_train, X_val, X_test2, X_small

        def fine(X_train, X_val):
            x_train_mean = X_train.mean(0)
            X_train = X_train - x_train_mean
            X_val = X_val - x_train_mean
            return X_train, X_val
        """,
        "NN302",
    )


def test_nn302_fitted_through_row_preserving_steps_or_on_stacked_parts() -> None:
    assert_findings(
        """
        import numpy as np
        import pandas as pd
        from sklearn.model_selection import train_test_split
        from sklearn.preprocessing import StandardScaler

        X = StandardScaler().fit_transform(df.drop(columns=["target"]).values)  # expect: NN302
        X_train, X_test = train_test_split(X)

        Z = StandardScaler().fit_transform(pd.concat([df_a[cols], df_b[cols]]))  # expect: NN302
        tr, cv = train_test_split(np.arange(len(df_train)), test_size=0.1)
        train_input = Z[tr]
        cv_input = Z[cv]
        """,
        "NN302",
    )


def test_nn302_stacked_parts_or_a_training_table_fitted_and_never_split_are_fine() -> None:
    assert_findings(
        """
        import numpy as np
        import pandas as pd
        from sklearn.model_selection import train_test_split
        from sklearn.preprocessing import StandardScaler

        Z = StandardScaler().fit_transform(pd.concat([df_train, df_test]))
        print(Z.shape)
        x_tr, x_te = train_test_split(other)
        scaler = StandardScaler()
        X_train = scaler.fit_transform(df_train.drop(columns=["target"]).values)
        X_test = scaler.transform(df_test.drop(columns=["target"]).values)
        """,
        "NN302",
    )


def test_nn302_in_place_updates_min_max_and_keyword_arguments() -> None:
    assert_findings(
        """
        import numpy as np
        from sklearn.model_selection import KFold, train_test_split
        from sklearn.preprocessing import StandardScaler

        def in_place(X):
            X -= X.mean(axis=0)  # expect: NN302
            X /= X.std(axis=0)
            X_train, X_test = X[:800], X[800:]
            return X_train, X_test

        def min_max_then_kfold(X):
            X = (X - X.min(0)) / (X.max(0) - X.min(0))  # expect: NN302
            for tr, te in KFold(5).split(X):
                print(tr, te)

        def named_bounds(X, y):
            lo, hi = X.min(), X.max()  # expect: NN302
            X = (X - lo) / (hi - lo)
            X_train, X_test, y_train, y_test = train_test_split(X, y)
            return X_train

        def keyword(data, y):
            Xs = StandardScaler().fit_transform(X=data)  # expect: NN302
            X_train, X_test = train_test_split(Xs, y)
            return X_train

        def fit_then_slice(X):
            scaler = StandardScaler()
            scaler.fit(X)  # expect: NN302
            X = scaler.transform(X)
            train_x = X[:800]
            test_x = X[800:]
            return train_x, test_x
        """,
        "NN302",
    )


def test_nn302_the_same_forms_after_the_split_are_fine() -> None:
    assert_findings(
        """
        import numpy as np
        from sklearn.model_selection import train_test_split
        from sklearn.preprocessing import StandardScaler

        def in_place(X):
            X_train, X_test = X[:800], X[800:]
            X_train -= X_train.mean(axis=0)
            return X_train, X_test

        def min_max(X, y):
            X_train, X_test, y_train, y_test = train_test_split(X, y)
            lo, hi = X_train.min(), X_train.max()
            X_train = (X_train - lo) / (hi - lo)
            X_test = (X_test - lo) / (hi - lo)
            return X_train, X_test

        def keyword(data, y):
            d_train, d_test = train_test_split(data, y)
            scaler = StandardScaler().fit(X=d_train)
            return scaler.transform(d_train), scaler.transform(d_test)
        """,
        "NN302",
    )


def test_nn302_a_training_table_scaled_in_place_then_split_into_folds() -> None:
    assert_findings(
        """
        import numpy as np
        from sklearn.model_selection import KFold

        train_df["age"] /= train_df["age"].max()  # expect: NN302
        test_df["age"] /= test_df["age"].max()
        skf = KFold(n_splits=5, shuffle=True)
        for fold, (trn_idx, val_idx) in enumerate(skf.split(X=np.zeros(len(train_df))), 1):
            train = train_df.iloc[trn_idx]
            val = train_df.iloc[val_idx]
        """,
        "NN302",
    )


def test_nn302_training_statistics_with_a_validation_split_or_a_subsample_are_fine() -> None:
    assert_findings(
        """
        import numpy as np
        from sklearn.model_selection import KFold

        def keras_style(model, X_train, y_train):
            mean, std = X_train.mean(0), X_train.std(0)
            X_train = (X_train - mean) / std
            model.fit(X_train, y_train, validation_split=0.2)

        def subsample(X_train, X_test):
            X_train["age"] /= X_train["age"].max()
            X_small = X_train[:1000]
            for tr, te in KFold(5).split(X_test):
                print(X_test[tr])
            return X_small
        """,
        "NN302",
    )


# --- NN301 unshuffled-training-data: manual batching ----------------------------------


def test_nn301_manual_batches_of_inputs_narrow_and_a_hand_kept_counter() -> None:
    assert_findings(
        """
        for epoch in range(num_epochs):
            for i in range(0, len(images), batch_size):  # expect: NN301
                batch = images[i:i + batch_size]
                state, loss = train_step(state, batch)

        def fit(self, train_input, train_target):
            for e in range(self.epochs):
                for b in range(0, train_input.size(0), self.batch_size):  # expect: NN301
                    out = self(train_input.narrow(0, b, self.batch_size))
                    loss = criterion(out, train_target.narrow(0, b, self.batch_size))
                    loss.backward()
                    optimizer.step()

        start = 0
        for step in range(iterations):
            stop = start + batch_size
            real_images = x_train[start:stop]  # expect: NN301
            d_loss = discriminator.train_on_batch(real_images, labels)
            start += batch_size
            if start > len(x_train) - batch_size:
                start = 0
        """,
        "NN301",
    )


def test_nn301_manual_batching_negatives_permuted_once_evaluated_or_random() -> None:
    assert_findings(
        """
        import torch

        for epoch in range(num_epochs):
            perm = torch.randperm(len(images))
            images = images[perm]
            for i in range(0, len(images), batch_size):
                state, loss = train_step(state, images[i:i + batch_size])
        """,
        "NN301",
    )
    assert_findings(
        """
        import numpy as np

        for i in range(0, len(images), batch_size):
            state, loss = train_step(state, images[i:i + batch_size])

        for epoch in range(10):
            for i in range(0, len(images), batch_size):
                preds = model(images[i:i + batch_size])
            for i in range(0, len(X_val), batch_size):
                loss = criterion(model(X_val[i:i + batch_size]), y_val[i:i + batch_size])
                loss.backward()
                optimizer.step()

        offset = 0
        for step in range(iterations):
            idx = np.random.randint(0, len(x_train) - batch_size)
            d_loss = discriminator.train_on_batch(x_train[idx:idx + batch_size], labels)
            offset += 1
        """,
        "NN301",
    )


def test_nn301_shuffled_every_epoch_with_numpy() -> None:
    assert_findings(
        """
        import numpy as np

        for epoch in range(10):
            np.random.shuffle(indices)
            for start in range(0, len(indices), 32):
                batch = images[indices[start:start + 32]]
                loss = train_step(batch)
        """,
        "NN301",
    )


# --- NN301: keywords passed through **kwargs -------------------------------------------


_TRAIN = """
        from torch.utils.data import DataLoader

        def train(loader):
            for x, y in loader:
                loss = model(x)
                loss.backward()
                optimizer.step()
"""


def test_nn301_shuffle_set_through_a_keyword_dict_on_one_branch_only() -> None:
    assert_findings(
        _TRAIN + """
        def main(args, use_accel):
            train_kwargs = {"batch_size": args.batch_size}
            if use_accel:
                accel_kwargs = {"num_workers": 1, "shuffle": True}
                train_kwargs.update(accel_kwargs)
            loader = DataLoader(dataset1, **train_kwargs)  # expect: NN301
            train(loader)

        def plain(args):
            kwargs = {"batch_size": args.batch_size, "num_workers": 2}
            train(DataLoader(dataset1, **kwargs))  # expect: NN301
        """,
        "NN301",
    )


def test_nn301_keyword_dicts_that_shuffle_or_are_unknown_are_silent() -> None:
    assert_findings(
        _TRAIN + """
        def literal(args):
            kwargs = {"batch_size": args.batch_size, "shuffle": True}
            train(DataLoader(dataset1, **kwargs))

        def updated(args):
            kwargs = {"batch_size": args.batch_size}
            kwargs.update({"shuffle": True})
            train(DataLoader(dataset1, **kwargs))

        def item(args):
            kwargs = {"batch_size": args.batch_size}
            kwargs["sampler"] = sampler
            train(DataLoader(dataset1, **kwargs))

        def from_elsewhere(args, extra):
            kwargs = {"batch_size": args.batch_size}
            kwargs.update(extra)
            train(DataLoader(dataset1, **kwargs))

        def parameter(kwargs):
            train(DataLoader(dataset1, **kwargs))

        def changed_on_one_path(args, fast):
            kwargs = {"batch_size": args.batch_size, "shuffle": True}
            if fast:
                kwargs["shuffle"] = False
            train(DataLoader(dataset1, **kwargs))

        def mutated_by_a_helper(args):
            kwargs = {"batch_size": args.batch_size}
            add_defaults(kwargs)
            train(DataLoader(dataset1, **kwargs))

        def star_args(args):
            train(DataLoader(*args, **{"batch_size": 4}))

        def sampler_on_one_path(train_dataset, iterable):
            params = {"batch_size": 8}
            if not iterable:
                params["sampler"] = RandomSampler(train_dataset)
            train(DataLoader(train_dataset, **params))
        """,
        "NN301",
    )


# --- NN305 random-augmentation-in-eval ------------------------------------------------


def test_nn305_the_training_transform_given_to_an_evaluation_data_set() -> None:
    found = assert_findings(
        """
        from torchvision import transforms
        from torchvision.datasets import ImageFolder

        train_transform = transforms.Compose([
            transforms.RandomRotation(10),  # expect: NN305
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
        ])
        trainset = ImageFolder(train_dir, transform=train_transform)
        testset = ImageFolder(test_dir, transform=train_transform)
        """,
        "NN305",
    )
    # one finding per pipeline, at its first random transform, naming all of them
    assert "`RandomRotation`, `RandomHorizontalFlip`" in found[0].message


def test_nn305_one_finding_per_pipeline_each_pipeline_its_own() -> None:
    found = assert_findings(
        """
        from torchvision import transforms

        val_transform = transforms.Compose([
            transforms.Resize(256),
            transforms.RandomResizedCrop(224),  # expect: NN305
            transforms.ToTensor(),
            transforms.RandomErasing(),
        ])
        test_transform = transforms.Compose([
            transforms.RandomHorizontalFlip(),  # expect: NN305
            transforms.ToTensor(),
        ])
        train_transform = transforms.Compose([
            transforms.RandomHorizontalFlip(),
            transforms.RandomCrop(32),
        ])
        """,
        "NN305",
    )
    assert "`RandomResizedCrop`, `RandomErasing`" in found[0].message
    assert "(`" not in found[1].message  # a single random transform: the plain message


def test_nn305_a_training_transform_only_on_training_data_is_fine() -> None:
    assert_findings(
        """
        from torchvision import transforms
        from torchvision.datasets import ImageFolder

        train_transform = transforms.Compose([
            transforms.RandomRotation(10),
            transforms.ToTensor(),
        ])
        test_transform = transforms.Compose([transforms.ToTensor()])
        trainset = ImageFolder(train_dir, transform=train_transform)
        testset = ImageFolder(test_dir, transform=test_transform)
        tta_set = ImageFolder(test_dir, transform=train_transform)
        """,
        "NN305",
    )


def test_nn305_an_augmenting_generator_passed_to_a_helper_with_validation_data() -> None:
    assert_findings(
        """
        from keras.preprocessing.image import ImageDataGenerator

        def augment_data(generator, X1, y, batch_size=32):
            return generator.flow(X1, y, batch_size=batch_size)

        augmentation = ImageDataGenerator(rotation_range=20, horizontal_flip=True)  # expect: NN305
        model.fit_generator(augment_data(augmentation, X_train, y_train), epochs=10,
                            validation_data=augment_data(augmentation, X_val, y_val))
        """,
        "NN305",
    )


def test_nn305_a_plain_generator_for_validation_through_the_helper_is_fine() -> None:
    assert_findings(
        """
        from keras.preprocessing.image import ImageDataGenerator

        def batches(generator, X1, y, batch_size=32):
            return generator.flow(X1, y, batch_size=batch_size)

        augmentation = ImageDataGenerator(rotation_range=20, horizontal_flip=True)
        plain = ImageDataGenerator(rescale=1 / 255)
        model.fit_generator(batches(augmentation, X_train, y_train), epochs=10,
                            validation_data=batches(plain, X_val, y_val))
        """,
        "NN305",
    )


# --- NN303 scaler-refit-on-eval-data --------------------------------------------------


def test_nn303_a_fresh_scaler_of_the_same_class_fitted_on_test_after_the_data() -> None:
    assert_findings(
        """
        from sklearn import preprocessing
        from sklearn.preprocessing import StandardScaler

        X = preprocessing.MinMaxScaler().fit(data).transform(data)
        X = StandardScaler().fit(data).transform(data)
        model.fit(X, y)
        test = preprocessing.MinMaxScaler().fit(test).transform(test)  # expect: NN303
        test = StandardScaler().fit(test).transform(test)  # expect: NN303
        """,
        "NN303",
    )


def test_nn303_other_estimators_or_only_evaluation_fits_are_silent() -> None:
    assert_findings(
        """
        from sklearn.decomposition import PCA
        from sklearn.preprocessing import StandardScaler

        embedding = PCA(2).fit_transform(data)
        X_test = StandardScaler().fit_transform(X_test)
        """,
        "NN303",
    )
    assert_findings(
        """
        from sklearn.preprocessing import StandardScaler

        X_test = StandardScaler().fit_transform(X_test)
        X = StandardScaler().fit_transform(data)
        """,
        "NN303",
    )


# --- NN307 resampled-before-split -----------------------------------------------------


def test_nn307_rows_drawn_with_replacement_then_concatenated_and_split() -> None:
    assert_findings(
        """
        import pandas as pd
        from sklearn.model_selection import train_test_split
        from sklearn.utils import resample

        df_class_1_over = df_class_1.sample(count_class_0, replace=True)  # expect: NN307
        df_over = pd.concat([df_class_0, df_class_1_over], axis=0)
        X = df_over.drop("Churn", axis="columns")
        y = df_over["Churn"]
        X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y)

        def upsample(majority, minority):
            up = resample(minority, n_samples=len(majority))  # expect: NN307
            balanced = pd.concat([majority, up])
            return train_test_split(balanced)
        """,
        "NN307",
    )


def test_nn307_shuffling_downsampling_or_oversampling_the_training_part_is_fine() -> None:
    assert_findings(
        """
        import pandas as pd
        from sklearn.model_selection import train_test_split
        from sklearn.utils import resample

        shuffled = df.sample(frac=1)
        X_train, X_test = train_test_split(shuffled)

        down = resample(majority, replace=False, n_samples=len(minority))
        a, b = train_test_split(pd.concat([down, minority]))

        train, test = train_test_split(df)
        extra = train[train.y == 1].sample(500, replace=True)
        train = pd.concat([train, extra])
        """,
        "NN307",
    )


def test_nn307_resampled_in_one_method_and_split_in_another_both_called_from_a_third() -> None:
    assert_findings(
        """
        from imblearn.over_sampling import SMOTE
        from sklearn.model_selection import StratifiedKFold, train_test_split

        class Trainer:
            def balance_data(self, X_train, y_train):
                X_bal, y_bal = SMOTE().fit_resample(X_train, y_train)  # expect: NN307
                return X_bal, y_bal

            def train(self, model, X_bal, y_bal, kfold):
                for train_idx, val_idx in kfold.split(X_bal, y_bal):
                    model.fit(X_bal[train_idx], y_bal[train_idx])

            def train_model(self, model, X, y):
                X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y)
                kf = StratifiedKFold(n_splits=10, shuffle=True)
                X_bal, y_bal = self.balance_data(X_train, y_train)
                self.train(model, X_bal, y_bal, kf)
        """,
        "NN307",
    )


def test_nn307_resampled_in_a_method_and_only_trained_on_is_fine() -> None:
    assert_findings(
        """
        from imblearn.over_sampling import SMOTE
        from sklearn.model_selection import StratifiedKFold, train_test_split

        class Trainer:
            def balance_data(self, X_train, y_train):
                X_bal, y_bal = SMOTE().fit_resample(X_train, y_train)
                return X_bal, y_bal

            def train(self, model, X, y):
                model.fit(X, y)

            def evaluate(self, model, X, y, kfold):
                for tr, va in kfold.split(X, y):
                    print(model.score(X[va], y[va]))

            def train_model(self, model, X, y):
                X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y)
                X_bal, y_bal = self.balance_data(X_train, y_train)
                self.train(model, X_bal, y_bal)
                self.evaluate(model, X_test, y_test, StratifiedKFold(5))
        """,
        "NN307",
    )


def test_nn302_the_scaled_data_passed_to_a_function_that_splits_its_parameter() -> None:
    assert_findings(
        """
        from sklearn.model_selection import KFold
        from sklearn.preprocessing import StandardScaler

        def cross_validate(model, X, y, kf):
            for tr, va in kf.split(X):
                model.fit(X[tr], y[tr])

        def report(X):
            print(X.shape)

        def main(model, X, y):
            X = StandardScaler().fit_transform(X)  # expect: NN302
            report(X)
            cross_validate(model, X, y, KFold(5))

        def fine(model, X, y, X_other):
            X = StandardScaler().fit_transform(X)
            report(X)
            cross_validate(model, X_other, y, KFold(5))
        """,
        "NN302",
    )


def test_nn303_a_preprocessing_pipeline_fitted_again_on_the_data_it_predicts_on() -> None:
    assert_findings(
        """
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        dp = make_pipeline(SimpleImputer(), StandardScaler())
        x_train = dp.fit_transform(x_train_df)
        clf.fit(x_train, y_train)
        for date in dates:
            x_pred = dp.fit_transform(full_predict)  # expect: NN303
            pred = clf.predict(x_pred)
        """,
        "NN303",
    )


def test_nn303_refits_that_feed_no_prediction_or_a_model_pipeline_are_silent() -> None:
    assert_findings(
        """
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        dp = make_pipeline(SimpleImputer(), StandardScaler())
        x_train = dp.fit_transform(x_train_df)
        x_all = dp.fit_transform(everything)
        print(x_all.mean())
        x_pred = dp.transform(full_predict)
        pred = clf.predict(x_pred)

        model = make_pipeline(StandardScaler(), LogisticRegression())
        model.fit(X_train, y_train)
        refit = model.fit(X_more, y_more)
        pred = refit.predict(X_new)

        other = StandardScaler()
        x_new = other.fit_transform(new_data)
        pred = clf.predict(x_new)
        """,
        "NN303",
    )


def test_nn302_a_preprocessing_pipeline_fitted_before_the_split() -> None:
    assert_findings(
        """
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import cross_val_score, train_test_split
        from sklearn.pipeline import Pipeline, make_pipeline
        from sklearn.preprocessing import StandardScaler

        prep = Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())])
        X = prep.fit_transform(X)  # expect: NN302
        X_train, X_test = train_test_split(X)

        model = make_pipeline(StandardScaler(), LogisticRegression())
        model.fit(Z, y)
        scores = cross_val_score(model, Z, y, cv=5)
        Z_train, Z_test = train_test_split(Z)
        """,
        "NN302",
    )


def test_nn301_a_data_set_that_draws_its_items_at_random_needs_no_shuffle() -> None:
    assert_findings(
        _TRAIN + """
        import random

        from torch.utils.data import Dataset

        class Pairs(Dataset):
            def __len__(self):
                return 1000

            def __getitem__(self, index):
                first = random.randint(0, 9)
                return self.data[first], index % 2

        class Rows(Dataset):
            def __len__(self):
                return 1000

            def __getitem__(self, index):
                return self.data[index], self.labels[index]

        class Crops(Dataset):
            def __len__(self):
                return 1000

            def __getitem__(self, index):
                x = random.randint(0, 4)
                flip = random.choice([True, False])
                return self.data[index][:, x:x + 24], self.labels[index]

        def main(args):
            kwargs = {"batch_size": args.batch_size}
            train(DataLoader(Pairs(), **kwargs))
            train(DataLoader(Rows(), **kwargs))  # expect: NN301
            train(DataLoader(Crops(), **kwargs))  # expect: NN301
        """,
        "NN301",
    )
