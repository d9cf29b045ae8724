"""Negatives met when running the data rules (NN301-NN306) on installed packages
(transformers, lightning, flax, keras, optax), each reduced to a minimal example."""

from __future__ import annotations

from tests.helpers import assert_findings


def test_nn301_unit_tests_pin_the_order_on_purpose() -> None:
    # A test asserting exact per-epoch losses needs a fixed order.
    assert_findings(
        """
        import keras
        import numpy as np

        def test_schedule(model):
            x = np.arange(32).reshape((16, 2))
            history = model.fit(x, x, epochs=3, batch_size=4, shuffle=False)
            assert history.history["loss"][0] > 0
        """,
        "NN301",
        filename="learning_rate_schedule_test.py",
    )


def test_nn301_random_data_has_no_order() -> None:
    assert_findings(
        """
        from torch.utils.data import DataLoader, Dataset

        class RandomDataset(Dataset):
            pass

        class Module:
            def train_dataloader(self):
                return DataLoader(RandomDataset(32, 64))

            def other_train_dataloader(self):
                return DataLoader(self.random_train)
        """,
        "NN301",
    )


def test_nn301_local_iterable_dataset_subclass() -> None:
    assert_findings(
        """
        from torch.utils.data import DataLoader, IterableDataset

        class Stream(IterableDataset):
            def __iter__(self):
                yield from range(10)

        def train_dataloader():
            return DataLoader(Stream())
        """,
        "NN301",
    )


def test_nn301_loader_built_in_a_lambda_over_unknown_datasets() -> None:
    assert_findings(
        """
        from torch.utils.data import DataLoader

        def train_dataloader(datasets):
            return map(lambda x: DataLoader(x), datasets)
        """,
        "NN301",
    )


def test_nn306_unit_tests_train_on_one_batch_on_purpose() -> None:
    assert_findings(
        """
        def test_step(model, loader, opt):
            batch = next(iter(loader))
            for _ in range(3):
                model(batch).backward()
                opt.step()
        """,
        "NN306",
        filename="tests/test_training.py",
    )
