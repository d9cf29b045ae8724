"""NN301: a loader is training data by use (its batches reach backward()/step() in a loop),
read through the forms real training code takes."""

from __future__ import annotations

from tests.helpers import assert_findings


def test_a_name_read_before_it_is_bound_reads_the_earlier_loader() -> None:
    """A book chapter rebinds ``train_loader`` to an unshuffled copy for an accuracy check
    after training on the shuffled one: the training loop above read the earlier binding."""
    assert_findings(
        """
        import torch
        from torch.utils.data import DataLoader

        train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
        for epoch in range(10):
            for imgs, labels in train_loader:
                loss_fn(model(imgs), labels).backward()
                optimizer.step()

        train_loader = DataLoader(train_set, batch_size=64, shuffle=False)
        with torch.no_grad():
            for imgs, labels in train_loader:
                correct += (model(imgs).argmax(1) == labels).sum()
        """,
        "NN301",
    )


def test_a_read_before_the_binding_that_runs_after_it_still_counts() -> None:
    """In a loop, or in a function called later, a read above the binding sees it."""
    assert_findings(
        """
        from torch.utils.data import DataLoader

        loader = DataLoader(train_set, batch_size=64, shuffle=True)
        for epoch in range(10):
            for x, y in loader:
                model(x).sum().backward()
                optimizer.step()
            loader = DataLoader(part, batch_size=64)  # expect: NN301

        def fit():
            for x, y in batches:
                model(x).sum().backward()
                optimizer.step()

        batches = DataLoader(part, batch_size=64)  # expect: NN301
        fit()
        """,
        "NN301",
    )


def test_a_loader_in_the_list_an_evaluation_loop_walks_does_not_train() -> None:
    assert_findings(
        """
        import torch
        from torch.utils.data import DataLoader

        train_loader = DataLoader(train_set, batch_size=64, shuffle=False)
        val_loader = DataLoader(val_set, batch_size=64, shuffle=False)

        def validate(model, train_loader, val_loader):
            for name, loader in [("train", train_loader), ("val", val_loader)]:
                with torch.no_grad():
                    for imgs, labels in loader:
                        correct += (model(imgs).argmax(1) == labels).sum()

        validate(model, train_loader, val_loader)
        """,
        "NN301",
    )


def test_a_phase_loop_that_trains_on_one_item_of_its_list() -> None:
    """``for phase, loader in [...]`` trains on one item: the training loader is still
    known by its name, the validation loader is not taken for training."""
    assert_findings(
        """
        from torch.utils.data import DataLoader

        train_loader = DataLoader(train_set, batch_size=64)  # expect: NN301
        val_loader = DataLoader(val_set, batch_size=64)
        for epoch in range(10):
            for phase, loader in [("train", train_loader), ("val", val_loader)]:
                for x, y in loader:
                    loss = criterion(model(x), y)
                    if phase == "train":
                        loss.backward()
                        optimizer.step()
        """,
        "NN301",
    )


def test_batches_through_nested_iterating_wrappers() -> None:
    assert_findings(
        """
        from tqdm import tqdm
        from torch.utils.data import DataLoader

        data = DataLoader(rows, batch_size=16, shuffle=False)  # expect: NN301
        batches = DataLoader(rows, batch_size=16)  # expect: NN301
        peeked = DataLoader(rows, batch_size=16)
        first = next(iter(peeked))
        for epoch in range(20):
            for i, batch in tqdm(enumerate(data)):
                model(batch).sum().backward()
                optimizer.step()
            for x, y in tqdm(list(batches)):
                model(x).sum().backward()
                optimizer.step()
        """,
        "NN301",
    )


def test_a_loop_that_steps_in_a_function_of_the_file_trains() -> None:
    assert_findings(
        """
        from torch.utils.data import DataLoader

        def train(model, x, y, optimizer):
            model.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            return loss

        def score(model, x, y):
            return (model(x).argmax(1) == y).float().mean()

        rows = DataLoader(dataset=data, batch_size=16, shuffle=False)  # expect: NN301
        held = DataLoader(dataset=data, batch_size=16, shuffle=False)
        for epoch in range(200):
            for x, y in rows:
                loss = train(model, x, y, optimizer)
            for x, y in held:
                accuracy = score(model, x, y)
        """,
        "NN301",
    )


def test_a_pass_called_without_an_optimizer_does_not_train() -> None:
    """``run_epoch(model, loader, optimizer=None)``: the steps sit under
    ``if optimizer is not None`` (or ``if train:``), off for that call."""
    assert_findings(
        """
        from torch.utils.data import DataLoader

        def run_epoch(model, data_loader, optimizer=None, train=True):
            for x, y in data_loader:
                loss = criterion(model(x), y)
                if optimizer is not None:
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()

        def other_epoch(model, data_loader, train=False):
            for x, y in data_loader:
                loss = criterion(model(x), y)
                if train:
                    loss.backward()
                    optimizer.step()

        main_loader = DataLoader(pairs, batch_size=32, shuffle=False)  # expect: NN301
        dev_loader = DataLoader(dev_pairs, batch_size=32, shuffle=False)
        third = DataLoader(more, batch_size=32, shuffle=False)
        fourth = DataLoader(more, batch_size=32, shuffle=False)  # expect: NN301
        fifth = DataLoader(more, batch_size=32, shuffle=False)  # expect: NN301
        for epoch in range(20):
            run_epoch(model, main_loader, optimizer)
            run_epoch(model, dev_loader, optimizer=None)
            other_epoch(model, third)
            other_epoch(model, fourth, train=True)
            run_epoch(model, fifth, opt)
        """,
        "NN301",
    )


def test_a_mode_compared_with_a_constant_switches_training_off() -> None:
    """``run_model(..., is_train=3)`` where the steps sit under ``if is_train == 0:`` (or
    ``!=``, ``in``, ``not``, an ``else``): that call does not train; one given the
    training value does, and so does a mode the function rebinds or a value not literal."""
    assert_findings(
        """
        from torch.utils.data import DataLoader

        def run_model(net, optimizer=None, is_train=0, data_loader=None):
            for x, y in data_loader:
                loss = net(x).sum()
                if is_train == 0:
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()

        def run_phase(net, loader, phase="train"):
            for x, y in loader:
                loss = net(x).sum()
                if phase not in ("val", "test"):
                    loss.backward()
                    optimizer.step()

        def run_else(net, loader, mode="train"):
            for x, y in loader:
                if mode != "train" or not loader:
                    print(net(x))
                else:
                    net(x).sum().backward()
                    optimizer.step()

        def run_rebound(net, loader, mode=0):
            mode = mode + 1
            for x, y in loader:
                if mode == 1:
                    net(x).sum().backward()
                    optimizer.step()

        test_loader = DataLoader(test_set, batch_size=32, shuffle=False)
        main_loader = DataLoader(data, batch_size=32, shuffle=False)  # expect: NN301
        eval_rows = DataLoader(rows, batch_size=32, shuffle=False)
        fit_rows = DataLoader(rows, batch_size=32, shuffle=False)  # expect: NN301
        held = DataLoader(rows, batch_size=32, shuffle=False)
        trained = DataLoader(rows, batch_size=32, shuffle=False)  # expect: NN301
        shifted = DataLoader(rows, batch_size=32, shuffle=False)  # expect: NN301
        unknown = DataLoader(rows, batch_size=32, shuffle=False)  # expect: NN301
        for epoch in range(10):
            run_model(net, optimizer, is_train=0, data_loader=main_loader)
            run_model(net, is_train=3, data_loader=test_loader)
            run_phase(net, eval_rows, phase="test")
            run_phase(net, fit_rows)
            run_else(net, held, mode="eval")
            run_else(net, trained, "train")
            run_rebound(net, shifted, mode=3)
            run_model(net, optimizer, is_train=epoch % 2, data_loader=unknown)
        """,
        "NN301",
    )


def test_a_guard_on_something_else_does_not_switch_training_off() -> None:
    assert_findings(
        """
        from torch.utils.data import DataLoader

        def run_epoch(model, data_loader, optimizer=None):
            for x, y in data_loader:
                loss = criterion(model(x), y)
                if use_steps:
                    loss.backward()
                    optimizer.step()

        dev_loader = DataLoader(dev_pairs, batch_size=32, shuffle=False)  # expect: NN301
        run_epoch(model, dev_loader, optimizer=None)
        """,
        "NN301",
    )


def test_a_data_set_of_tensors_drawn_at_random_has_no_order() -> None:
    """i.i.d. samples drawn in the file (``torch.rand``, ``np.random.normal``) come in
    random order already; a tensor loaded, rebound, or only permuted is not a draw."""
    assert_findings(
        """
        import numpy as np
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        x_train = torch.rand(8000, 100)
        y_train = torch.randint(10, (8000,), dtype=torch.long)
        train_dataset = TensorDataset(x_train, y_train)
        train_loader = DataLoader(train_dataset, batch_size=32)
        noise_loader = DataLoader(TensorDataset(torch.randn(64, 3).float(),
                                                torch.from_numpy(np.random.normal(size=64))),
                                  batch_size=8)

        x_real = torch.load("x.pt")
        real_dataset = TensorDataset(x_real, torch.randint(10, (8000,)))
        real_loader = DataLoader(real_dataset, batch_size=32)  # expect: NN301

        x_again = torch.rand(8000, 100)
        x_again = torch.load("x.pt")
        again_loader = DataLoader(TensorDataset(x_again), batch_size=32)  # expect: NN301

        x_perm = np.random.permutation(x_loaded)
        perm_loader = DataLoader(TensorDataset(x_perm), batch_size=32)  # expect: NN301

        for epoch in range(5):
            for x, y in train_loader:
                model(x).sum().backward()
                optimizer.step()
            for x, y in noise_loader:
                model(x).sum().backward()
                optimizer.step()
            for x, y in real_loader:
                model(x).sum().backward()
                optimizer.step()
            for x in again_loader:
                model(x).sum().backward()
                optimizer.step()
            for x in perm_loader:
                model(x).sum().backward()
                optimizer.step()
        """,
        "NN301",
    )


def test_a_helper_that_makes_the_training_loader_without_shuffling() -> None:
    """The loader is built in a helper whose name says nothing; the caller's name (or use)
    says it is the training loader. Reported in the helper, where the fix goes."""
    assert_findings(
        """
        from torch.utils.data import DataLoader

        def create_data_loader(df, tokenizer, batch_size):
            ds = ReviewDataset(df.text.to_numpy(), df.label.to_numpy(), tokenizer)
            return DataLoader(ds, batch_size=batch_size, num_workers=4)  # expect: NN301

        def make_loader(df):
            return DataLoader(ReviewDataset(df), batch_size=8)  # expect: NN301

        def eval_only(df):
            return DataLoader(ReviewDataset(df), batch_size=8)

        def shuffled(df):
            return DataLoader(ReviewDataset(df), batch_size=8, shuffle=True)

        train_data_loader = create_data_loader(df_train, tokenizer, 16)
        val_data_loader = create_data_loader(df_val, tokenizer, 16)
        batches = make_loader(df)
        for epoch in range(3):
            for x, y in batches:
                model(x).sum().backward()
                optimizer.step()
        test_loader = eval_only(df_test)
        loader = eval_only(df)
        first = next(iter(loader))
        train_loader = shuffled(df_train)
        """,
        "NN301",
    )


def test_a_shuffle_attribute_left_at_its_constructor_default() -> None:
    assert_findings(
        """
        import torch.utils.data as data_utils

        class Regressor:
            def __init__(self, epochs=1, batch_size=128, shuffle=False):
                self.epochs = epochs
                self.batch_size = batch_size
                self.shuffle = shuffle

            def fit(self, x, y):
                train = data_utils.TensorDataset(x, y)
                train_loader = data_utils.DataLoader(  # expect: NN301
                    train, batch_size=self.batch_size, shuffle=self.shuffle)
                for epoch in range(self.epochs):
                    for xb, yb in train_loader:
                        loss_fn(self.model(xb), yb).backward()
                        self.optimizer.step()

        first = Regressor(epochs=10)
        second = Regressor(batch_size=64, epochs=5)
        """,
        "NN301",
    )


def test_a_shuffle_attribute_told_otherwise_somewhere() -> None:
    """Overridden at an instantiation, positionally, through ``**kwargs``, set later, in a
    parameter grid, by a subclass, or never instantiated here: not known to be off."""
    template = """
        import torch.utils.data as data_utils

        class Regressor:
            def __init__(self, epochs=1, shuffle=False):
                self.epochs = epochs
                self.shuffle = shuffle

            def fit(self, x, y):
                train_loader = data_utils.DataLoader(
                    data_utils.TensorDataset(x, y), batch_size=32, shuffle=self.shuffle)
                for epoch in range(self.epochs):
                    for xb, yb in train_loader:
                        loss_fn(self.model(xb), yb).backward()
                        self.optimizer.step()

        {}
        """
    for told in (
        "model = Regressor(epochs=10, shuffle=True)",
        "model = Regressor(10, True)",
        "model = Regressor(**settings)",
        "model = Regressor(epochs=10)\nmodel.shuffle = True",
        "model = Regressor(epochs=10)\ngrid = {'shuffle': [True, False]}",
        "model = Regressor(epochs=10)\nclass Shuffled(Regressor):\n    pass",
        "",
    ):
        assert_findings(template.format(told.replace("\n", "\n        ")), "NN301")


def test_a_step_function_called_with_its_steps_switched_off() -> None:
    assert_findings(
        """
        from torch.utils.data import DataLoader

        def step_fn(model, batch, train):
            loss = criterion(model(batch[0]), batch[1])
            if train:
                loss.backward()
                optimizer.step()
            return loss

        held = DataLoader(rows, batch_size=16, shuffle=False)
        fitted = DataLoader(rows, batch_size=16, shuffle=False)  # expect: NN301
        for epoch in range(10):
            for batch in held:
                step_fn(model, batch, train=False)
            for batch in fitted:
                step_fn(model, batch, True)
        """,
        "NN301",
    )


def test_a_helper_whose_data_set_the_caller_picks() -> None:
    """The helper builds whatever data set the caller passes (a factory, possibly an
    iterable data set streamed from disk): not known to need shuffling; a data set passed
    in is judged by what the caller passes."""
    assert_findings(
        """
        from torch.utils.data import DataLoader, IterableDataset

        class Stream(IterableDataset):
            pass

        def get_loader(dataset=labelled_dataset):
            if dataset == test_dataset:
                return DataLoader(dataset(), batch_size=64, collate_fn=collate_eval)
            return DataLoader(dataset(), batch_size=64, collate_fn=collate)

        def wrap(ds):
            return DataLoader(ds, batch_size=64)  # expect: NN301

        train_loader = get_loader()
        stream_loader = wrap(Stream())
        series_loader = wrap(train_series)
        rows_loader = wrap(rows)
        for epoch in range(5):
            for batch in train_loader:
                model(batch).sum().backward()
                optimizer.step()
            for batch in stream_loader:
                model(batch).sum().backward()
                optimizer.step()
            for batch in series_loader:
                model(batch).sum().backward()
                optimizer.step()
            for batch in rows_loader:
                model(batch).sum().backward()
                optimizer.step()
        """,
        "NN301",
    )


def test_consecutive_slices_yielded_by_a_generator_the_epoch_loop_trains_on() -> None:
    """``for xb, yb in batch_data(X_train, y_train, bs): train_step(...)`` where
    ``batch_data`` yields ``X[i:i + bs]`` for ``i`` in a range: the same batches every
    epoch. Not when the generator only feeds evaluation, slices what the caller picked
    by an index, or a loop that does not train."""
    assert_findings(
        """
        def batch_data(X, y, batch_size):
            for i in range(0, len(y), batch_size):  # expect: NN301
                yield X[i:i + batch_size], y[i:i + batch_size]

        def eval_batches(X, y, batch_size):
            for i in range(0, len(y), batch_size):
                yield X[i:i + batch_size], y[i:i + batch_size]

        def picked_batches(X, batch_size):
            for start in range(0, len(X), batch_size):
                yield X[start:start + batch_size]

        def train_model(state, num_epochs, batch_size, order):
            for epoch in range(num_epochs):
                for X_batch, y_batch in batch_data(X_train, y_train, batch_size):
                    state = train_step(state, X_batch, y_batch)
                for X_batch in picked_batches(X_train[order], batch_size):
                    state = train_step(state, X_batch)
                for X_batch, y_batch in eval_batches(X_valid, y_valid, batch_size):
                    print(eval_step(state, X_batch, y_batch))
            for i, (X_batch, y_batch) in enumerate(eval_batches(X_train, y_train, 64)):
                print(eval_step(state, X_batch, y_batch))
            return state
        """,
        "NN301",
    )


def test_a_generator_whose_batches_are_permuted_somewhere_is_left_alone() -> None:
    """A generator that shuffles its indices, or a caller that permutes the data before
    batching it: the file permutes, the order changes."""
    shuffled_inside = """
        import numpy as np

        def batch_data(X, y, batch_size):
            order = np.random.permutation(len(y))
            X, y = X[order], y[order]
            for i in range(0, len(y), batch_size):
                yield X[i:i + batch_size], y[i:i + batch_size]

        for epoch in range(10):
            for X_batch, y_batch in batch_data(X_train, y_train, 128):
                state = train_step(state, X_batch, y_batch)
        """
    permuted_before = """
        import numpy as np

        def batch_data(X, y, batch_size):
            for i in range(0, len(y), batch_size):
                yield X[i:i + batch_size], y[i:i + batch_size]

        rng = np.random.default_rng(0)
        for epoch in range(10):
            perm = rng.permutation(len(y_train))
            X_train, y_train = X_train[perm], y_train[perm]
            for X_batch, y_batch in batch_data(X_train, y_train, 128):
                state = train_step(state, X_batch, y_batch)
        """
    assert_findings(shuffled_inside, "NN301")
    assert_findings(permuted_before, "NN301")
