"""``lintnn.transformers.MonitorCallback`` with the real transformers Trainer on CPU (a tiny
GPT-2 built from a config: no download)."""

from __future__ import annotations

import math

import pytest
import torch

transformers = pytest.importorskip("transformers")
pytest.importorskip("accelerate")

from lintnn.runtime.torch import losstap  # noqa: E402
from lintnn.transformers import MonitorCallback  # noqa: E402

VOCAB, LENGTH = 64, 16


class Sequences(torch.utils.data.Dataset):
    """Counting sequences (learnable) or random tokens (nothing to learn)."""

    def __init__(self, n: int, random: bool, seed: int = 0) -> None:
        gen = torch.Generator().manual_seed(seed)
        if random:
            self.ids = torch.randint(0, VOCAB, (n, LENGTH), generator=gen)
        else:
            start = torch.randint(0, VOCAB, (n, 1), generator=gen)
            self.ids = (start + torch.arange(LENGTH)) % VOCAB

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        # The first label is never predicted: masked, the Trainer's token count (its loss's
        # denominator) matches the predicted tokens, and the loss starts at ln(VOCAB).
        labels = self.ids[i].clone()
        labels[0] = -100
        return {"input_ids": self.ids[i], "labels": labels}


def train(tmp_path: object, callback: MonitorCallback, steps: int, random: bool = False,
          **args: object) -> None:
    torch.manual_seed(0)
    config = transformers.GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=VOCAB,
                                      n_positions=LENGTH, bos_token_id=0, eos_token_id=0)
    model = transformers.GPT2LMHeadModel(config)
    arguments = transformers.TrainingArguments(
        output_dir=str(tmp_path), max_steps=steps, per_device_train_batch_size=16,
        learning_rate=3e-3, report_to=[], save_strategy="no", use_cpu=True,
        disable_tqdm=True, eval_strategy="steps", eval_steps=50, logging_strategy="no",
        **args)
    trainer = transformers.Trainer(model=model, args=arguments, callbacks=[callback],
                                   train_dataset=Sequences(4000, random),
                                   eval_dataset=Sequences(64, random, seed=1))
    trainer.train()


pytestmark = pytest.mark.usefixtures("quiet_single_thread")


@pytest.fixture(autouse=True, scope="module")
def _transformers_quiet() -> object:
    level = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()
    yield
    transformers.logging.set_verbosity(level)


def test_healthy_200_steps_give_no_finding(tmp_path: object) -> None:
    callback = MonitorCallback(num_classes=VOCAB)
    train(tmp_path, callback, 200)
    rep = callback.report
    assert rep.findings == []
    timeline = rep.data["timeline"]
    assert len(timeline["loss"]) == 200 and timeline["loss"][-1] < 0.5 * math.log(VOCAB)
    assert [s for s, _ in timeline["val"]] == [50, 100, 150, 200]
    assert losstap.active() == 0


def test_random_tokens_sit_at_chance(tmp_path: object) -> None:
    callback = MonitorCallback(num_classes=VOCAB)
    train(tmp_path, callback, 120, random=True)
    assert "NR405" in callback.report.codes()
    f = next(f for f in callback.report.findings if f.code == "NR405")
    assert f.extra["step"] <= 110


def test_accumulated_micro_batches_add_up_to_the_step_loss(tmp_path: object) -> None:
    callback = MonitorCallback(num_classes=VOCAB)
    train(tmp_path, callback, 12, random=True, gradient_accumulation_steps=2)
    first = callback.report.data["timeline"]["loss"][0]
    assert first == pytest.approx(math.log(VOCAB), rel=0.1)  # not halved
