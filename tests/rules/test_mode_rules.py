"""NN201-NN205: train/eval mode rules."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import assert_findings, lint, lint_project

NET = """
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.fc(self.drop(x))


class Plain(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)
"""


# NN201 ---------------------------------------------------------------------------

def test_nn201_follows_a_parameter_rebound_from_itself_into_a_helper() -> None:
    """``net = net.float()`` keeps the caller's model: the evaluation helper called with it
    is followed to the callers of ``train`` (this once crashed the rule)."""
    assert_findings(NET + """

def rmse(net, x, y):
    with torch.no_grad():  # expect: NN201
        return ((net(x) - y) ** 2).mean().sqrt()


def train(net, loader, x_val, y_val):
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    net = net.float()
    for x, y in loader:
        opt.zero_grad()
        F.mse_loss(net(x), y).backward()
        opt.step()
    return rmse(net, x_val, y_val)


train(Net(), [], None, None)
""", "NN201")


def test_nn201_evaluate_function_called_without_eval() -> None:
    assert_findings(NET + """
def evaluate(model, loader):
    with torch.no_grad():  # expect: NN201
        return sum(model(x).sum() for x in loader)


def main(loader):
    model = Net()
    model.train()
    evaluate(model, loader)
""", "NN201")


def test_nn201_no_grad_block_in_script_and_eval_named_function() -> None:
    assert_findings(NET + """
model = Net().to("cpu")
with torch.no_grad():  # expect: NN201
    out = model(torch.zeros(1, 4))


def predict(x):  # expect: NN201
    return model(x)
""", "NN201")


FUNCTIONAL_DROPOUT = """
import torch
import torch.nn as nn
import torch.nn.functional as F

class ExplicitFlag(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x, training=False):
        return F.dropout(self.fc(x), p=0.5, training=training)

class AlwaysOn(nn.Module):  # F.dropout without its flag: always on, NN203's finding
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return F.dropout(self.fc(x), p=0.5)

class FollowsMode(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return F.dropout(self.fc(x), 0.5, self.training)
"""


def test_nn201_functional_dropout_depends_on_the_mode_only_through_self_training() -> None:
    assert_findings(FUNCTIONAL_DROPOUT + """
explicit, always_on, follows = ExplicitFlag(), AlwaysOn(), FollowsMode()
for x in train_loader:
    explicit(x, training=True).sum().backward()
    always_on(x).sum().backward()
    follows(x).sum().backward()
with torch.no_grad():
    a = explicit(x_test)
with torch.no_grad():
    b = always_on(x_test)
with torch.no_grad():  # expect: NN201
    c = follows(x_test)
""", "NN201")


def test_nn201_sequential_with_batchnorm_and_annotated_parameter() -> None:
    assert_findings(NET + """
seq = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))

@torch.no_grad()
def score(x):  # expect: NN201
    return seq(x)


def validate(model: Net, x):  # expect: NN201
    return model(x)
""", "NN201")


def test_nn201_model_defined_in_another_file(tmp_path: Path) -> None:
    found = lint_project(tmp_path, {
        "models.py": NET,
        "train.py": """
import torch
from models import Net, Plain

def test_model(model, x):
    with torch.no_grad():
        return model(x)

def run(x):
    test_model(Net(), x)
""",
        "other.py": """
import torch
from models import Plain

def test_model(model, x):
    with torch.no_grad():
        return model(x)

def run(x):
    test_model(Plain(), x)
""",
    }, select="NN201")
    assert [(Path(d.filename or '').name, d.location.row) for d in found] == [("train.py", 6)]


def test_nn201_negatives() -> None:
    assert_findings(NET + """
def evaluate(model, loader):
    model.eval()
    with torch.no_grad():
        return [model(x) for x in loader]


def evaluate_false(model, x):
    model.train(False)
    with torch.no_grad():
        return model(x)


def evaluate_plain(x):
    plain = Plain()
    with torch.no_grad():
        return plain(x)


def validate(model, x):
    with torch.no_grad():
        return model(x)


def unknown_model(model, x):
    with torch.no_grad():
        return model(x)


def main(x):
    model = Net()
    model.eval()
    validate(model, x)
""", "NN201")


def test_nn201_mode_switched_by_helpers() -> None:
    assert_findings(NET + """
from contextlib import contextmanager


@contextmanager
def inference(model):
    was = model.training
    model.eval()
    yield
    model.train(was)


def set_eval(model):
    model.eval()


def evaluate_ctx(x):
    model = Net()
    with inference(model), torch.no_grad():
        return model(x)


def evaluate_helper(x):
    model = Net()
    set_eval(model)
    with torch.no_grad():
        return model(x)


def evaluate_imported(x, utils):
    model = Net()
    utils.eval_mode(model)
    with torch.no_grad():
        return model(x)
""", "NN201")


def test_nn201_weight_update_and_framework_hooks_are_silent() -> None:
    assert_findings(NET + """
import lightning as L


def ema_update(ema, model, decay=0.99):
    with torch.no_grad():
        for e, p in zip(ema.parameters(), model.parameters()):
            e.copy_(decay * e + (1 - decay) * p)


class Lit(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = Net()

    def validation_step(self, batch, idx):
        return self.net(batch)

    def predict(self, x):
        with torch.no_grad():
            return self.net(x)


class Wrapper(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = Net()

    def forward(self, x):
        with torch.no_grad():
            return self.net(x)
""", "NN201")


def test_nn201_global_model_put_in_eval_elsewhere() -> None:
    assert_findings(NET + """
model = Net()
model.load_state_dict({})
model.eval()


def predict(x):
    with torch.no_grad():
        return model(x)


class Service:
    def __init__(self):
        self.model = Net()
        self.model.eval()

    def predict(self, x):
        return self.model(x)
""", "NN201")


def test_nn201_pytest_functions_are_not_evaluation() -> None:
    assert_findings(NET + """
def test_forward_shape():
    model = Net()
    assert model(torch.zeros(2, 4)).shape == (2, 2)
""", "NN201")


# NN202 ---------------------------------------------------------------------------

TRAIN_HEAD = NET + """
model = Net()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
"""


def test_nn202_eval_at_end_of_epoch_leaks() -> None:
    assert_findings(TRAIN_HEAD + """
def fit(loader, val):
    model.train()
    for epoch in range(10):
        for x, y in loader:
            opt.zero_grad()
            F.mse_loss(model(x), y).backward()
            opt.step()
        model.eval()  # expect: NN202
        with torch.no_grad():
            print(sum(model(x).sum() for x, _ in val))


def fit_periodic(loader):
    model.train()
    for step, (x, y) in enumerate(loader):
        F.mse_loss(model(x), y).backward()
        opt.step()
        if step % 100 == 0:
            model.eval()  # expect: NN202
""", "NN202")


def test_nn202_through_local_training_function() -> None:
    assert_findings(TRAIN_HEAD + """
def train_one_epoch(loader):
    for x, y in loader:
        F.mse_loss(model(x), y).backward()
        opt.step()


def fit(loader):
    model.train()
    for epoch in range(3):
        train_one_epoch(loader)
        model.eval()  # expect: NN202
""", "NN202")


def test_nn202_negatives() -> None:
    assert_findings(TRAIN_HEAD + """
teacher = Net()


def fit(loader, val):
    for epoch in range(10):
        model.train()
        for x, y in loader:
            F.mse_loss(model(x), y).backward()
            opt.step()
        model.eval()


def fit_if(loader):
    for step, (x, y) in enumerate(loader):
        F.mse_loss(model(x), y).backward()
        opt.step()
        if step % 100 == 0:
            model.eval()
            print(model(x))
            model.train()


def fit_before(loader):
    model.eval()
    for x, y in loader:
        model.train()
        F.mse_loss(model(x), y).backward()
        opt.step()


def distill(loader):
    for x, y in loader:
        teacher.eval()
        F.mse_loss(model(x), teacher(x)).backward()
        opt.step()


def fit_phases(loaders):
    for epoch in range(3):
        for phase in ("train", "val"):
            if phase == "train":
                model.train()
            else:
                model.eval()
            for x, y in loaders[phase]:
                loss = F.mse_loss(model(x), y)
                if phase == "train":
                    loss.backward()
                    opt.step()


def fit_until(loader):
    for x, y in loader:
        F.mse_loss(model(x), y).backward()
        opt.step()
        if y.sum() > 3:
            model.eval()
            break
""", "NN202")


# NN203 ---------------------------------------------------------------------------

def test_nn203_flags_and_fixes() -> None:
    found = assert_findings("""
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def forward(self, x):
        x = F.dropout(x, 0.5)  # expect: NN203
        return F.dropout2d(x, p=0.1)  # expect: NN203
""", "NN203")
    edits = [d.fix.edits[0].content for d in found]  # type: ignore[union-attr]
    assert edits == ["F.dropout(x, 0.5, training=self.training)",
                     "F.dropout2d(x, p=0.1, training=self.training)"]


def test_nn203_negatives() -> None:
    assert_findings("""
import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp(x, params, train):
    return F.dropout(x @ params, 0.5, training=train)


def augment(x):
    return F.dropout(x, 0.1)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)

    def forward(self, x, mc=False):
        a = F.dropout(x, 0.5, training=self.training)
        b = F.dropout(x, 0.5, self.training)
        c = F.dropout(x, 0.5, training=False)
        d = F.dropout(x, 0.5, training=mc)
        e = torch.dropout(x, 0.5, self.training)
        return self.drop(a + b + c + d + e)


class NotAModule:
    def forward(self, x):
        return F.dropout(x, 0.5, training=True)
""", "NN203")


# NN204 ---------------------------------------------------------------------------

def test_nn204_flax_eval_step_and_hard_coded_layer() -> None:
    assert_findings("""
import jax
import flax.linen as nn


class CNN(nn.Module):
    @nn.compact
    def __call__(self, x, train: bool):
        x = nn.Dense(8)(x)
        x = nn.BatchNorm(use_running_average=not train)(x)
        x = nn.Dropout(0.5, deterministic=False)(x)  # expect: NN204
        return nn.Dense(2)(x)


model = CNN()


@jax.jit
def eval_step(state, batch):
    logits = state.apply_fn({"params": state.params}, batch, train=True)  # expect: NN204
    return logits.argmax(-1)


def predict(params, x):
    return model.apply(params, x, deterministic=False)  # expect: NN204


@jax.jit
def train_step(state, batch, rng):
    return state.apply_fn({"params": state.params}, batch, train=True, rngs={"dropout": rng})
""", "NN204")


def test_nn204_keras_training_true_in_evaluation() -> None:
    assert_findings("""
import keras


model = keras.Sequential([keras.layers.Dense(4), keras.layers.Dropout(0.5)])


def evaluate(x):
    return model(x, training=True)  # expect: NN204


class Block(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.drop = keras.layers.Dropout(0.2)

    def call(self, x):
        return self.drop(x, training=True)  # expect: NN204
""", "NN204")


def test_nn204_negatives() -> None:
    assert_findings("""
import jax
import keras
import flax.linen as nn


class CNN(nn.Module):
    @nn.compact
    def __call__(self, x, train: bool):
        x = nn.Dropout(0.5, deterministic=not train)(x)
        return nn.BatchNorm(use_running_average=not train)(x)


class MCDropout(keras.layers.Dropout):
    def call(self, x):
        return super().call(x, training=True)


model = CNN()


def evaluate(params, x, train):
    return model.apply(params, x, train=train)


def eval_step(params, x):
    return model.apply(params, x, train=False)


def train_epoch(params, x):
    return model.apply(params, x, train=True)


def predict_with_uncertainty(params, x):
    return model.apply(params, x, train=True)


def evaluate_data(loader_fn):
    return loader_fn.load(train=True)
""", "NN204")


# NN205 ---------------------------------------------------------------------------

def test_nn205_backward_after_eval() -> None:
    assert_findings(TRAIN_HEAD + """
def fit(loader):
    model.eval()
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()  # expect: NN205
        opt.step()


def step(x, y):
    model.eval()
    F.mse_loss(model(x), y).backward()  # expect: NN205
    opt.step()
""", "NN205")


def test_nn205_negatives() -> None:
    assert_findings(TRAIN_HEAD + """
backbone = Net()


def fit(loader):
    model.eval()
    model.train()
    for x, y in loader:
        F.mse_loss(model(x), y).backward()


def finetune_frozen_bn(loader):
    model.eval()
    model.fc.train()
    for x, y in loader:
        F.mse_loss(model(x), y).backward()


def frozen_backbone(loader):
    backbone.eval()
    for x, y in loader:
        F.mse_loss(model(backbone(x)), y).backward()


def evaluate_then_train(loader, check):
    if check:
        model.eval()
    for x, y in loader:
        F.mse_loss(model(x), y).backward()
""", "NN205")


def test_rules_are_silent_without_their_framework() -> None:
    source = """
def evaluate(model, x):
    model.train()
    return model(x, training=True)
"""
    assert not [d for d in lint(source) if d.code.startswith("NN2")]


def test_nn201_no_grad_inside_a_training_step_is_not_evaluation() -> None:
    assert_findings(NET + """
def fit(loader, val, opt):
    gen, disc = Net(), Net()
    for epoch in range(3):
        for x, y in loader:
            with torch.no_grad():
                fake = gen(x)
            disc(fake).mean().backward()
            opt.step()
        with torch.no_grad():  # expect: NN201
            print(disc(val))
""", "NN201")


def test_nn205_input_gradients_in_eval_mode_are_not_training() -> None:
    assert_findings(TRAIN_HEAD + """
def fgsm(x, y, eps):
    model.eval()
    x.requires_grad_(True)
    F.cross_entropy(model(x), y).backward()
    return x + eps * x.grad.sign()


def amp_step(x, y, scaler):
    model.eval()
    scaler.scale(F.mse_loss(model(x), y)).backward()  # expect: NN205
    scaler.step(opt)
""", "NN205")



def test_nn205_a_saliency_map_after_training_updates_nothing() -> None:
    """Real-world (a course notebook, top-level cells): the model is trained, then put in
    eval mode for a saliency map; ``optimizer.zero_grad()`` and ``loss.backward()`` run,
    the input's gradient is read, and no step follows. A step after the backward (or in
    the loop around it, for the next iteration) is training, and is reported."""
    assert_findings(TRAIN_HEAD + """
for epoch in range(3):
    for x, y in loader:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

model.eval()
images.requires_grad_(True)
loss = F.cross_entropy(model(images), labels)
opt.zero_grad()
loss.backward()
saliency = images.grad.abs()
""", "NN205")
    assert_findings(TRAIN_HEAD + """
model.eval()
loss = F.cross_entropy(model(images), labels)
loss.backward()  # expect: NN205
opt.step()
""", "NN205")
    assert_findings(TRAIN_HEAD + """
for x, y in loader:
    if accumulated:
        opt.step()
        opt.zero_grad()
    model.eval()
    F.cross_entropy(model(x), y).backward()  # expect: NN205
""", "NN205")

def test_nn203_fix_keeps_a_multiline_layout() -> None:
    source = """
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def forward(self, x):
        return F.dropout(  # expect: NN203
            x,
            p=0.1,
        )
"""
    (found,) = assert_findings(source, "NN203")
    assert found.fix is not None
    content = found.fix.edits[0].content
    # One argument per line, trailing comma kept (the engine renders the node without
    # its block indentation, which is cosmetic inside parentheses).
    assert "p=0.1,\n" in content
    assert content.endswith("training=self.training,\n        )")  # rendered in place
    compile(content, "<fix>", "eval")


def test_mode_switches_of_a_model_without_dropout_or_batch_norm_are_harmless() -> None:
    """Real-world (a course notebook): eval() in the loop of a model of Linear and ReLU
    layers changes nothing, so neither NN202 nor NN205 has a bug to report."""
    source = NET + """
plain = Plain()
opt = torch.optim.SGD(plain.parameters(), lr=0.1)
seq = nn.Sequential(nn.Linear(4, 4), nn.ReLU())
seq_opt = torch.optim.SGD(seq.parameters(), lr=0.1)


def fit(loader, val):
    for epoch in range(10):
        plain.train()
        for x, y in loader:
            opt.zero_grad()
            F.mse_loss(plain(x), y).backward()
            opt.step()
            plain.eval()


def fit_seq(x, y):
    for epoch in range(10):
        seq.eval()
        F.mse_loss(seq(x), y).backward()
        seq_opt.step()
"""
    assert_findings(source, "NN202")
    assert_findings(source, "NN205")


def test_nn202_and_nn205_ask_the_project_model_when_it_is_defined_elsewhere(
        tmp_path) -> None:
    files = {
        "models.py": """
            import torch.nn as nn
            class WithDropout(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.drop = nn.Dropout(0.5)
                def forward(self, x):
                    return self.drop(x)
            class Linear(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = nn.Linear(4, 4)
                def forward(self, x):
                    return self.fc(x)
        """,
        "train.py": """
            import torch
            import torch.nn.functional as F
            from models import Linear, WithDropout
            for cls in (WithDropout, Linear):
                pass
            a, b = WithDropout(), Linear()
            opt_a = torch.optim.SGD(a.parameters(), lr=0.1)
            opt_b = torch.optim.SGD(b.parameters(), lr=0.1)
            def fit(x, y):
                for epoch in range(3):
                    a.eval()
                    F.mse_loss(a(x), y).backward()
                    opt_a.step()
                    b.eval()
                    F.mse_loss(b(x), y).backward()
                    opt_b.step()
        """,
    }
    found = [(d.code, d.location.row) for d in lint_project(tmp_path, files)
             if d.code in ("NN202", "NN205")]
    assert found == [("NN205", 13)]


def test_nn205_blames_the_model_that_trains_in_the_step() -> None:
    """Real-world (a notebook): ``model_2.eval()`` in an earlier cell, then a training step of
    ``model_3``: ``model_2``'s mode says nothing about this backward()."""
    assert_findings(NET + """
model_2, model_3 = Net(), Net()
opt = torch.optim.SGD(model_3.parameters(), lr=0.1)
opt_2 = torch.optim.SGD(model_2.parameters(), lr=0.1)
model_2.eval()
for x, y in []:
    F.mse_loss(model_3(x), y).backward()
    opt.step()
""", "NN205")


def test_nn201_evaluation_on_test_data_inside_the_training_iteration() -> None:
    """Use outweighs place: a no_grad block that runs the model on test data inside the
    training iteration is an evaluation, while one that makes targets (a GAN's fakes) is
    part of the step."""
    assert_findings(NET + """
def fit(loader, test_loader, opt):
    model, gen = Net(), Net()
    for epoch in range(3):
        for x, y in loader:
            with torch.no_grad():
                fake = gen(x)
            opt.zero_grad()
            model(torch.cat([x, fake])).sum().backward()
            opt.step()
            with torch.no_grad():  # expect: NN201
                acc = sum((model(xt).argmax(1) == yt).sum() for xt, yt in test_loader)


def fit_epochs(loader, opt):
    model = Net()
    for x, y in loader:
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()
        with torch.no_grad():  # expect: NN201
            val_out = model(X_val)
""", "NN201")


def test_nn202_and_nn201_mode_changes_inside_helpers() -> None:
    """The issue's two helper shapes: a ``test()`` that calls ``model.eval()``, called in
    the training loop with no ``train()`` after it (NN202, at the call); an
    ``accuracy()`` that runs the global model under no_grad without ``eval()`` (NN201)."""
    source = NET + """
model = Net()
opt = torch.optim.SGD(model.parameters(), lr=0.1)


def test(loader):
    model.eval()
    with torch.no_grad():
        return sum((model(x).argmax(1) == y).sum().item() for x, y in loader)


for epoch in range(10):
    for x, y in train_loader:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    print(test(val_loader))  # expect: NN202
"""
    assert_findings(source, "NN202")
    assert_findings(NET + """
model = Net()
opt = torch.optim.SGD(model.parameters(), lr=0.1)


def accuracy(loader):
    correct = 0
    with torch.no_grad():  # expect: NN201
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
    return correct


for epoch in range(10):
    for x, y in train_loader:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    print(accuracy(val_loader))
""", "NN201")


def test_nn202_and_nn201_helper_negatives() -> None:
    """``train()`` at the top of every epoch undoes the helper's ``eval()``; an
    ``accuracy()`` whose caller switched the model to eval mode first."""
    source = NET + """
model = Net()
opt = torch.optim.SGD(model.parameters(), lr=0.1)


def test(loader):
    model.eval()
    with torch.no_grad():
        return sum((model(x).argmax(1) == y).sum().item() for x, y in loader)


def accuracy(loader):
    with torch.no_grad():
        return sum((model(x).argmax(1) == y).sum().item() for x, y in loader)


for epoch in range(10):
    model.train()
    for x, y in train_loader:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    print(test(val_loader))
    print(accuracy(val_loader))
"""
    assert_findings(source, "NN202")
    assert_findings(source, "NN201")
