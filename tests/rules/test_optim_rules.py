"""NN501-NN510: optimization-loop rules, with true positives and tricky negatives."""

from __future__ import annotations

from tests.helpers import assert_findings

HEADER = """
import torch
import torch.nn as nn

model = nn.Linear(4, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
sched = torch.optim.lr_scheduler.StepLR(opt, 10)
crit = nn.CrossEntropyLoss()
"""


def check(body: str, code: str) -> None:
    assert_findings(HEADER + body, code)


# NN501 missing-zero-grad -----------------------------------------------------------


def test_nn501_loop_without_zero_grad() -> None:
    check("""
for x, y in loader:
    loss = crit(model(x), y)
    loss.backward()
    opt.step()  # expect: NN501
""", "NN501")


def test_nn501_zero_grad_only_before_the_loop() -> None:
    check("""
def train(model, optimizer, loader):
    optimizer.zero_grad()
    for x, y in loader:
        loss = crit(model(x), y)
        loss.backward()
        optimizer.step()  # expect: NN501
""", "NN501")


def test_nn501_zero_grad_forms_are_all_accepted() -> None:
    check("""
for x, y in loader:
    crit(model(x), y).backward()
    opt.step()
    model.zero_grad(set_to_none=True)
for x, y in loader:
    crit(model(x), y).backward()
    opt.step()
    for p in model.parameters():
        p.grad = None
for x, y in loader:
    crit(model(x), y).backward()
    opt.step()
    for p in model.parameters():
        p.grad.zero_()
""", "NN501")


def test_nn501_gradient_accumulation_is_fine() -> None:
    check("""
for i, (x, y) in enumerate(loader):
    loss = crit(model(x), y) / 4
    loss.backward()
    if (i + 1) % 4 == 0:
        opt.step()
        opt.zero_grad()
""", "NN501")


def test_nn501_zero_grad_in_a_helper_of_the_same_file() -> None:
    check("""
def reset(optimizer):
    optimizer.zero_grad()

def step(optimizer):
    optimizer.step()
    reset(optimizer)

for x, y in loader:
    crit(model(x), y).backward()
    step(opt)
""", "NN501")


def test_nn501_silent_with_accelerate_or_manual_backward() -> None:
    check("""
for x, y in loader:
    loss = crit(model(x), y)
    accelerator.backward(loss)
    opt.step()

class Module:
    def training_step(self, batch):
        for x, y in batch:
            self.manual_backward(crit(model(x), y))
            opt.step()
""", "NN501")


def test_nn501_silent_when_the_optimizer_goes_to_unseen_code() -> None:
    check("""
from utils import clear
for x, y in loader:
    crit(model(x), y).backward()
    opt.step()
    clear(opt)
""", "NN501")


def test_nn501_lbfgs_closure_is_fine() -> None:
    check("""
lbfgs = torch.optim.LBFGS(model.parameters())
for x, y in loader:
    def closure():
        lbfgs.zero_grad()
        loss = crit(model(x), y)
        loss.backward()
        return loss
    lbfgs.step(closure)
""", "NN501")


def test_nn501_with_grad_scaler() -> None:
    check("""
scaler = torch.cuda.amp.GradScaler()
for x, y in loader:
    scaler.scale(crit(model(x), y)).backward()
    scaler.step(opt)  # expect: NN501
    scaler.update()
""", "NN501")


# NN502 zero-grad-between-backward-and-step -----------------------------------------


def test_nn502_zero_grad_erases_the_gradients() -> None:
    check("""
for x, y in loader:
    loss = crit(model(x), y)
    loss.backward()
    opt.zero_grad()  # expect: NN502
    opt.step()
""", "NN502")


def test_nn502_usual_orders_are_fine() -> None:
    check("""
for x, y in loader:
    opt.zero_grad()
    crit(model(x), y).backward()
    opt.step()
for x, y in loader:
    crit(model(x), y).backward()
    opt.step()
    opt.zero_grad()
""", "NN502")


def test_nn502_gan_with_two_optimizers() -> None:
    check("""
opt_d = torch.optim.Adam(disc.parameters())
opt_g = torch.optim.Adam(gen.parameters())
for x in loader:
    opt_d.zero_grad()
    d_loss = disc(x).mean() - disc(gen(z)).mean()
    d_loss.backward()
    opt_g.zero_grad()
    opt_d.step()
    g_loss = -disc(gen(z)).mean()
    g_loss.backward()
    opt_g.step()
""", "NN502")


def test_nn502_zero_grad_in_another_branch_than_the_step() -> None:
    check("""
for i, (x, y) in enumerate(loader):
    crit(model(x), y).backward()
    if i % 2:
        opt.zero_grad()
    else:
        opt.step()
""", "NN502")


# NN503 backward-without-step -------------------------------------------------------


def test_nn503_backward_never_applied() -> None:
    check("""
for x, y in loader:
    opt.zero_grad()
    loss = crit(model(x), y)
    loss.backward()  # expect: NN503
""", "NN503")


def test_nn503_step_without_backward() -> None:
    check("""
for x, y in loader:
    opt.zero_grad()
    loss = crit(model(x), y)
    opt.step()  # expect: NN503
""", "NN503")


def test_nn503_accumulation_loop_then_step_after_it() -> None:
    check("""
for batch in loader:
    opt.zero_grad()
    for x, y in batch:
        loss = crit(model(x), y)
        loss.backward()
    opt.step()
for x, y in loader:
    opt.zero_grad()
    for chunk in x.chunk(4):
        crit(model(chunk), y).backward()
opt.step()
""", "NN503")


def test_nn503_closure_and_unseen_backward() -> None:
    check("""
lbfgs = torch.optim.LBFGS(model.parameters())
for x, y in loader:
    def closure():
        lbfgs.zero_grad()
        loss = crit(model(x), y)
        loss.backward()
        return loss
    lbfgs.step(closure)
for x, y in loader:
    opt.zero_grad()
    loss = crit(model(x), y)
    backprop(loss)
    opt.step()
for x, y in loader:
    opt.zero_grad()
    loss = crit(model(x), y)
    grads = torch.autograd.grad(loss, list(model.parameters()))
    for p, g in zip(model.parameters(), grads):
        p.grad = g
    opt.step()
""", "NN503")


def test_nn503_gradients_for_analysis_have_no_optimizer() -> None:
    check("""
saliency = []
for x, y in loader:
    x.requires_grad_(True)
    crit(model(x), y).backward()
    saliency.append(x.grad.abs())
""", "NN503")


# NN504 scheduler-step-before-optimizer-step -----------------------------------------


def test_nn504_scheduler_first() -> None:
    check("""
for x, y in loader:
    opt.zero_grad()
    sched.step()  # expect: NN504
    crit(model(x), y).backward()
    opt.step()
""", "NN504")


def test_nn504_per_epoch_scheduler_and_plateau() -> None:
    check("""
plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt)
for epoch in range(10):
    for x, y in loader:
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()
    sched.step()
    val_loss = evaluate(model)
    plateau.step(val_loss)
for x, y in loader:
    opt.zero_grad()
    crit(model(x), y).backward()
    opt.step()
    sched.step()
""", "NN504")


def test_nn504_scheduler_of_another_optimizer() -> None:
    check("""
opt_d = torch.optim.Adam(disc.parameters())
opt_g = torch.optim.Adam(gen.parameters())
sched_d = torch.optim.lr_scheduler.StepLR(opt_d, 10)
for x in loader:
    opt_d.zero_grad()
    disc(x).mean().backward()
    opt_d.step()
    sched_d.step()
    opt_g.zero_grad()
    gen(x).mean().backward()
    opt_g.step()
""", "NN504")


# NN505 clip-grad-outside-backward-step ---------------------------------------------


def test_nn505_clip_after_step_and_before_backward() -> None:
    check("""
for x, y in loader:
    opt.zero_grad()
    crit(model(x), y).backward()
    opt.step()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # expect: NN505
for x, y in loader:
    opt.zero_grad()
    torch.nn.utils.clip_grad_value_(model.parameters(), 1.0)  # expect: NN505
    crit(model(x), y).backward()
    opt.step()
""", "NN505")


def test_nn505_clip_between_backward_and_step() -> None:
    check("""
scaler = torch.cuda.amp.GradScaler()
for i, (x, y) in enumerate(loader):
    scaler.scale(crit(model(x), y)).backward()
    if (i + 1) % 4 == 0:
        scaler.unscale_(opt)
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(opt)
        scaler.update()
        opt.zero_grad()
""", "NN505")


def test_nn505_delayed_step_order_is_still_between() -> None:
    check("""
for x, y in loader:
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    opt.zero_grad()
    crit(model(x), y).backward()
""", "NN505")


# NN506 loss-accumulated-as-tensor --------------------------------------------------


def test_nn506_tensor_accumulation() -> None:
    check("""
total = 0
history = []
for x, y in loader:
    opt.zero_grad()
    loss = crit(model(x), y)
    loss.backward()
    opt.step()
    total += loss  # expect: NN506
    history.append(loss)  # expect: NN506
""", "NN506")


def test_nn506_item_detach_and_no_grad_are_fine() -> None:
    check("""
total = 0
seen = 0
history = []
for x, y in loader:
    opt.zero_grad()
    loss = crit(model(x), y)
    loss.backward()
    opt.step()
    total += loss.item()
    history.append(loss.detach())
    with torch.no_grad():
        seen = seen + loss
""", "NN506")


def test_nn506_accumulated_loss_that_is_backpropagated() -> None:
    check("""
for batch in loader:
    opt.zero_grad()
    accumulated = 0
    for x, y in batch:
        loss = crit(model(x), y) / len(batch)
        accumulated += loss
    accumulated.backward()
    opt.step()
""", "NN506")


def test_nn506_loss_rebound_to_a_float() -> None:
    check("""
total = 0
for x, y in loader:
    opt.zero_grad()
    loss = crit(model(x), y)
    loss.backward()
    opt.step()
    loss = loss.item()
    total += loss
""", "NN506")


def test_nn506_loss_name_reused_after_the_accumulation() -> None:
    """A GAN step reuses ``loss`` for the second network after the first one's sum took
    it: the first sum holds the tensor; a rebinding between backward and the sum
    (or a sum before the backward of the same name) still counts as unsure."""
    check("""
loss_d = loss_g = 0
for real in loader:
    loss = -torch.mean(torch.log(1 - d(g(z))) + torch.log(d(real)))
    opt_d.zero_grad()
    loss.backward()
    opt_d.step()
    loss_d += loss  # expect: NN506
    loss = -torch.mean(torch.log(d(g(z))))
    opt_g.zero_grad()
    loss.backward()
    opt_g.step()
    loss_g += loss.item()

earlier = 0
for x, y in loader:
    earlier += loss
    opt.zero_grad()
    loss = crit(model(x), y)
    loss.backward()
    opt.step()
    loss = loss.item()
""", "NN506")


def test_nn506_a_reset_every_few_batches_still_holds_the_graphs_between() -> None:
    check("""
train_loss = 0
for batch_idx, (x, y) in enumerate(loader):
    opt.zero_grad()
    loss = crit(model(x), y)
    loss.backward()
    opt.step()
    train_loss += loss  # expect: NN506
    if batch_idx % 100 == 0:
        print(train_loss.item() / 100)
        train_loss = 0
""", "NN506")


def test_nn506_resets_that_run_whenever_the_sum_grows_are_fine() -> None:
    check("""
for epoch in range(3):
    for x, y in loader:
        running = 0
        opt.zero_grad()
        loss = crit(model(x), y)
        loss.backward()
        opt.step()
        try:
            window = 0
        except RuntimeError:
            pass
        window += loss
        if x.numel() > 0:
            recent = 0
            recent += loss
        running += loss
""", "NN506")


def test_nn506_accumulator_on_self() -> None:
    check("""
class Trainer:
    def fit(self, loader):
        self.running = 0
        self.history = []
        for x, y in loader:
            self.opt.zero_grad()
            loss = self.crit(self.model(x), y)
            loss.backward()
            self.opt.step()
            self.running += loss  # expect: NN506
            self.history.append(loss)  # expect: NN506
            self.total = self.total + loss  # expect: NN506
""", "NN506")


def test_nn506_self_accumulators_that_are_safe() -> None:
    """Reset every iteration, a float by then, another object's attribute, or backpropagated."""
    check("""
class Trainer:
    def fit(self, loader, other):
        for x, y in loader:
            self.opt.zero_grad()
            self.step_loss = 0
            loss = self.crit(self.model(x), y)
            loss.backward()
            self.opt.step()
            self.step_loss += loss
            self.seen += loss.item()
            other.total += loss
        for batch in loader:
            self.opt.zero_grad()
            self.acc = 0
            for x, y in batch:
                loss = self.crit(self.model(x), y)
                self.acc += loss
            self.acc.backward()
            self.opt.step()
""", "NN506")


def test_nn506_a_loss_tensor_returned_by_the_step_helper() -> None:
    check("""
class Trainer:
    def train(self, loader):
        epoch_loss = 0
        for x, y in loader:
            epoch_loss += self.train_batch(x, y)  # expect: NN506
        return epoch_loss / len(loader)

    def train_batch(self, x, y):
        self.opt.zero_grad()
        loss = self.crit(self.model(x), y)
        loss.backward()
        self.opt.step()
        return loss


def step(x, y):
    opt.zero_grad()
    loss = crit(model(x), y)
    loss.backward()
    opt.step()
    return loss


total = 0
losses = []
for x, y in loader:
    batch_loss = step(x, y)
    total = total + batch_loss  # expect: NN506
    losses.append(batch_loss)  # expect: NN506
""", "NN506")


def test_nn506_helpers_that_return_a_number_or_another_value() -> None:
    check("""
def step_item(x, y):
    opt.zero_grad()
    loss = crit(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


def step_rebound(x, y):
    opt.zero_grad()
    loss = crit(model(x), y)
    loss.backward()
    opt.step()
    loss = loss.detach()
    return loss


def step_other(x, y):
    opt.zero_grad()
    loss = crit(model(x), y)
    loss.backward()
    opt.step()
    out = model(x).argmax(1)
    return out


def step_two(x, y):
    opt.zero_grad()
    loss = crit(model(x), y)
    loss.backward()
    opt.step()
    if loss.item() > 10:
        return None
    return loss


a = b = c = d = 0
for x, y in loader:
    a += step_item(x, y)
    b += step_rebound(x, y)
    c += step_other(x, y).sum()
    d += step_two(x, y)
for x, y in loader:
    e = 0
    e += step_two(x, y)
""", "NN506")


# NN507 optimizer-on-stale-model ----------------------------------------------------


def test_nn507_model_rebuilt_after_the_optimizer() -> None:
    check("""
class Net(nn.Module):
    pass

net = Net()
optimizer = torch.optim.Adam(net.parameters())
net = Net()  # expect: NN507
for x, y in loader:
    optimizer.zero_grad()
    crit(net(x), y).backward()
    optimizer.step()
""", "NN507")


def test_nn507_wrappers_share_parameters() -> None:
    check("""
import copy
from torch.nn.parallel import DistributedDataParallel as DDP

class Net(nn.Module):
    pass

def train():
    net = Net()
    optimizer = torch.optim.Adam(net.parameters())
    net = net.to("cuda")
    net = torch.compile(net)
    net = DDP(net)
    fit(net, optimizer)

def folds():
    for fold in range(5):
        net = Net()
        optimizer = torch.optim.Adam(net.parameters())
        fit(net, optimizer)

def rebuilt_with_optimizer():
    net = Net()
    optimizer = torch.optim.Adam(net.parameters())
    net = Net()
    optimizer = torch.optim.Adam(net.parameters())
    fit(net, optimizer)

def exclusive(resume):
    if resume:
        net = Net()
        optimizer = torch.optim.Adam(net.parameters())
    else:
        net = Net()
    fit(net)
""", "NN507")


def test_nn507_deepcopy_is_a_new_model() -> None:
    check("""
import copy
net = nn.Linear(3, 3)
optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
net = copy.deepcopy(other)  # expect: NN507
optimizer.step()
""", "NN507")



def test_nn507_wrapped_parameters_and_param_groups() -> None:
    check("""
class Net(nn.Module):
    pass

def frozen_backbone():
    net = Net()
    optimizer = torch.optim.Adam(filter(lambda p: p.requires_grad, net.parameters()))
    net = Net()  # expect: NN507
    fit(net, optimizer)

def groups():
    net = Net()
    optimizer = torch.optim.Adam([{"params": net.parameters(), "lr": 1e-3}])
    net = Net()  # expect: NN507
    fit(net, optimizer)
""", "NN507")


def test_nn507_an_attribute_model_is_not_the_local_name() -> None:
    # The optimizer is built on ``self.net``: rebinding a local ``net`` replaces nothing
    # it updates; the owner of ``self.net.parameters()`` is not the name ``net``.
    check("""
class Net(nn.Module):
    pass

class Trainer:
    def setup(self):
        self.net = Net()
        self.optimizer = torch.optim.Adam(self.net.parameters())
        net = Net()
        optimizer = torch.optim.Adam(self.net.parameters())
        net = Net()
        optimizer.step()
""", "NN507")

# NN508 optax-result-discarded ------------------------------------------------------

OPTAX = """
import jax
import optax

tx = optax.adam(1e-3)
"""


def test_nn508_discarded_results() -> None:
    assert_findings(OPTAX + """
def step(params, opt_state, grads):
    updates, _ = tx.update(grads, opt_state, params)  # expect: NN508
    optax.apply_updates(params, updates)  # expect: NN508
    tx.update(grads, opt_state)  # expect: NN508
    return params, opt_state
""", "NN508")


def test_nn508_parameter_named_optimizer() -> None:
    assert_findings(OPTAX + """
def step(optimizer, params, opt_state, grads):
    updates, _ = optimizer.update(grads, opt_state, params)  # expect: NN508
    return optax.apply_updates(params, updates), opt_state
""", "NN508")


def test_nn508_state_dropped_but_never_needed_again() -> None:
    assert_findings(OPTAX + """
def step(optimizer, params, opt_state, grads):
    updates, _ = optimizer.update(grads, opt_state, params)
    return optax.apply_updates(params, updates)
""", "NN508")


def test_nn508_correct_step_and_other_updates() -> None:
    assert_findings(OPTAX + """
def step(params, opt_state, grads, metrics, cfg):
    updates, opt_state = tx.update(grads, opt_state, params)
    params = optax.apply_updates(params, updates)
    metrics.update(loss=1.0)
    cfg.update({"lr": 1e-3})
    stateless, _ = optax.scale(-1.0).update(grads, None)
    return params, opt_state
""", "NN508")


def test_nn508_nnx_optimizer_updates_in_place() -> None:
    # flax nnx.Optimizer.update(model, grads) changes the model in place: nothing to keep.
    assert_findings(OPTAX + """
from flax import nnx

optimizer = nnx.Optimizer(model, optax.sgd(0.1, momentum=0.9), wrt=nnx.Param)

@nnx.jit
def train_step(model, optimizer, batch):
    loss, grads = nnx.value_and_grad(loss_fn)(model, batch)
    optimizer.update(model, grads)
    return loss

for batch in loader:
    train_step(model, optimizer, batch)
optimizer.update(model, grads)
""", "NN508")


def test_nn508_a_parameter_given_an_optax_transformation_is_still_optax() -> None:
    assert_findings(OPTAX + """
from flax import nnx

nnx_optimizer = nnx.Optimizer(model, optax.adam(1e-3))

def train_step(params, optimizer, opt_state, batch):
    grads = jax.grad(loss_fn)(params, batch)
    optimizer.update(grads, opt_state, params)  # expect: NN508
    return params, opt_state

for batch in loader:
    train_step(params, tx, opt_state, batch)
""", "NN508")


# NN509 prng-key-reused -------------------------------------------------------------


def test_nn509_key_reused_in_a_loop_and_twice() -> None:
    assert_findings("""
import jax

key = jax.random.PRNGKey(0)
for step in range(100):
    noise = jax.random.normal(key, (3,))  # expect: NN509
    out = model.apply(params, x, rngs={"dropout": key})  # expect: NN509

def init(key):
    w = jax.random.normal(key, (3, 3))
    b = jax.random.uniform(key, (3,))  # expect: NN509
    return w, b
""", "NN509")


def test_nn509_split_and_fold_in_are_fine() -> None:
    assert_findings("""
import jax

def train(key, steps):
    for step in range(steps):
        key, sub = jax.random.split(key)
        noise = jax.random.normal(sub, (3,))
    for step in range(steps):
        k = jax.random.fold_in(key, step)
        noise = jax.random.normal(k, (3,))
    for k in jax.random.split(key, steps):
        noise = jax.random.normal(k, (3,))

def branches(key, train):
    if train:
        x = jax.random.normal(key, (3,))
    else:
        x = jax.random.uniform(key, (3,))
    k1, k2 = jax.random.split(key)
    return jax.random.normal(k1, (2,)), jax.random.normal(k2, (2,))

def rebound(key):
    a = jax.random.normal(key, (2,))
    key = jax.random.fold_in(key, 1)
    b = jax.random.normal(key, (2,))
    return a, b
""", "NN509")


def test_nn509_key_handed_unchanged_to_a_step_that_draws_from_it() -> None:
    """The step splits its key parameter but the caller passes the same key on every
    iteration (directly, or through ``jax.pmap(partial(step, ...))``); a key split twice
    without being rebound gives the same subkeys twice."""
    assert_findings("""
import functools
import jax
from jax import random

def train_step(key, state, batch, lr):
    key, noise_key, t_key = random.split(key, num=3)
    noise = random.normal(noise_key, batch.shape)
    return state, noise.mean()

def run(state, loader, lr):
    key = random.PRNGKey(0)
    p_train_step = jax.pmap(functools.partial(train_step, lr=lr), axis_name="batch")
    for batch in loader:
        state, metrics = p_train_step(key, state, batch)  # expect: NN509
    for batch in loader:
        state, metrics = train_step(key, state, batch, lr)  # expect: NN509

def init_func(rng, shape):
    k1, k2 = random.split(rng)
    w = random.normal(k1, shape)
    k1, k2 = random.split(rng)  # expect: NN509
    u = random.normal(k1, shape)
    return w, u
""", "NN509")


def test_nn509_key_handed_to_a_step_negatives() -> None:
    """The new key is returned and rebound, a fresh subkey is split in the loop, the step
    folds the step number in before drawing, or does not draw from the key at all; a
    key split again after it was rebound."""
    assert_findings("""
import jax
from jax import random

def train_step(key, state, batch):
    key, sub = random.split(key)
    return state, key

def folded_step(key, state, batch):
    key = random.fold_in(key, state.step)
    noise = random.normal(key, batch.shape)
    return state

def logging_step(key, state, batch):
    print(key)
    return state

def run(state, loader):
    key = random.PRNGKey(0)
    for batch in loader:
        state, key = train_step(key, state, batch)
    for batch in loader:
        key, sub = random.split(key)
        state, _ = train_step(sub, state, batch)
    for batch in loader:
        state = folded_step(key, state, batch)
        state = logging_step(key, state, batch)

def init_func(rng, shape):
    rng, k1 = random.split(rng)
    w = random.normal(k1, shape)
    rng, k1 = random.split(rng)
    dropout_rngs = random.split(rng, 8)
    return w, random.normal(k1, shape), dropout_rngs
""", "NN509")


# NN510 fp16-autocast-without-grad-scaler -------------------------------------------


def test_nn510_fp16_autocast_in_training() -> None:
    check("""
for x, y in loader:
    opt.zero_grad()
    with torch.autocast(device_type="cuda", dtype=torch.float16):  # expect: NN510
        loss = crit(model(x), y)
    loss.backward()
    opt.step()

def legacy(x, y):
    with torch.cuda.amp.autocast():  # expect: NN510
        loss = crit(model(x), y)
    loss.backward()
""", "NN510")


def test_nn510_bf16_scaler_and_eval_are_fine() -> None:
    check("""
def bf16(x, y):
    with torch.autocast("cuda", dtype=torch.bfloat16):
        loss = crit(model(x), y)
    loss.backward()

def cpu(x, y):
    with torch.autocast("cpu"):
        loss = crit(model(x), y)
    loss.backward()

def evaluate(x):
    with torch.autocast("cuda", dtype=torch.float16):
        return model(x)

def disabled(x, y):
    with torch.cuda.amp.autocast(enabled=False):
        loss = crit(model(x), y)
    loss.backward()
""", "NN510")


def test_nn510_scaler_in_the_file() -> None:
    check("""
scaler = torch.amp.GradScaler("cuda")
for x, y in loader:
    opt.zero_grad()
    with torch.autocast(device_type="cuda", dtype=torch.float16):
        loss = crit(model(x), y)
    scaler.scale(loss).backward()
    scaler.step(opt)
    scaler.update()
""", "NN510")


def test_nn509_same_seed_for_two_displacement_fields() -> None:
    # Reduced from a real bug: both fields drawn from one key are identical.
    assert_findings("""
import jax

def elastic_transform(images, seed, sigma):
    seed = draw_seed(seed)
    dx = jax.random.normal(seed, images.shape) * sigma
    dy = jax.random.normal(seed, images.shape) * sigma  # expect: NN509
    return dx, dy
""", "NN509")


def test_nn504_epoch_scheduler_before_the_batch_loop() -> None:
    """Real-world (a Kaggle notebook, a course): the epoch loop steps the scheduler first,
    then its batch loop (here, or in a helper of the file) steps the optimizer: the
    schedule's first learning rate is never used."""
    check("""
def train_epoch(model, loader, opt):
    for x, y in loader:
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()

for epoch in range(10):
    sched.step()  # expect: NN504
    for x, y in loader:
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()

for epoch in range(10):
    scheduler.step()  # expect: NN504
    train_epoch(model, loader, opt)

opt_a = torch.optim.Adam(model.parameters())
opt_b = torch.optim.Adam(model.parameters())
sched_a = torch.optim.lr_scheduler.StepLR(opt_a, 8)
for epoch in range(10):
    sched_a.step()  # expect: NN504
    train_epoch(model, loader, opt_a)
for epoch in range(10):
    sched_a.step()
    train_epoch(model, loader, opt_b)

for epoch in range(10):
    for x, y in loader:
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()
        warmup.step()

for epoch in range(10):
    train_epoch(model, loader, opt)
    scheduler.step()
""", "NN504")


def test_nn503_a_wrapper_steps_with_its_own_method() -> None:
    """Real-world (a paper's re-implementation): ``ScheduledOptim`` wraps Adam, and its
    ``step_and_update_lr()`` steps it."""
    check("""
for x, y in loader:
    optimizer.zero_grad()
    crit(model(x), y).backward()
    optimizer.step_and_update_lr()
for x, y in loader:
    optimizer.zero_grad()
    crit(model(x), y).backward()  # expect: NN503
    logger.step_count()
""", "NN503")


def test_nn509_keys_made_from_the_same_seed() -> None:
    """A key made from a constant seed inside a loop, and two keys made from one seed
    expression, give the same numbers; seeds that differ, or that the loop changes, do not."""
    assert_findings("""
import jax

for step in range(10):
    key = jax.random.PRNGKey(0)  # expect: NN509
    noise = jax.random.normal(key, (3,))
    fresh = jax.random.PRNGKey(1000 + step)
    ok = jax.random.normal(fresh, (3,))
    k1 = jax.random.key(step)
    k2 = jax.random.key(step)  # expect: NN509
    a = jax.random.normal(k1, (2,))
    b = jax.random.normal(k2, (2,))

def init(seed):
    k1 = jax.random.key(seed)
    k2 = jax.random.key(seed + 1)
    seed = seed + 2
    k3 = jax.random.key(seed)
    return jax.random.normal(k1, ()), jax.random.normal(k2, ()), jax.random.normal(k3, ())

# A notebook's demo cells, each starting the stream over under the same name.
rng = jax.random.PRNGKey(0)
print(jax.random.normal(rng, (64, 28)).shape)
rng = jax.random.PRNGKey(0)
print(jax.random.normal(rng, (128, 14)).std())
""", "NN509")


def test_nn509_keys_made_where_they_are_drawn_from_one_seed() -> None:
    assert_findings("""
import jax

params = {
    "h1": jax.random.normal(shape=[8, 32], key=jax.random.PRNGKey(0)),
    "out": jax.random.normal(shape=[32, 2], key=jax.random.PRNGKey(0)),  # expect: NN509
}

def init(shape):
    w = jax.random.normal(jax.random.PRNGKey(1), shape)
    b = jax.random.uniform(jax.random.PRNGKey(1), shape)  # expect: NN509
    return w, b

for step in range(10):
    noise = jax.random.normal(jax.random.PRNGKey(0), (3,))  # expect: NN509
""", "NN509")


def test_nn509_keys_made_where_they_are_drawn_near_misses() -> None:
    assert_findings("""
import jax

# A notebook's demo cells, each drawing from a fresh PRNGKey(0): separate statements.
x = jax.random.normal(jax.random.PRNGKey(0), (3,))
y = jax.random.uniform(jax.random.PRNGKey(0), (3,))

def init(shape, seed):
    w = jax.random.normal(jax.random.PRNGKey(seed), shape)
    b = jax.random.normal(jax.random.PRNGKey(seed + 1), shape)
    return w, b

def other(shape):
    return jax.random.normal(jax.random.PRNGKey(1), shape)

def branches(shape, flag):
    if flag:
        return jax.random.normal(jax.random.PRNGKey(1), shape)
    return jax.random.uniform(jax.random.PRNGKey(1), shape)

for step in range(10):
    noise = jax.random.normal(jax.random.PRNGKey(step), (3,))
""", "NN509")


def test_nn509_a_key_drawn_twice_through_initializers() -> None:
    assert_findings("""
import jax
import jax.numpy as jnp
from jax.nn import initializers

def init(rng_key):
    initer = jax.nn.initializers.uniform(2)
    w = initer(rng_key, (2, 2), jnp.float32)
    b = initer(rng_key, (2,), jnp.float32)  # expect: NN509
    return w, b

def init_glorot(key):
    w1 = initializers.glorot_normal()(key, (4, 4))
    w2 = initializers.glorot_normal()(key, (4, 4))  # expect: NN509
    return w1, w2
""", "NN509")


def test_nn509_initializers_that_draw_nothing_or_draw_once() -> None:
    assert_findings("""
import jax
import jax.numpy as jnp

def init(key):
    zeros = jax.nn.initializers.constant(0.0)
    w = zeros(key, (2, 2))
    b = zeros(key, (2,))
    k1, k2 = jax.random.split(key)
    initer = jax.nn.initializers.normal(0.02)
    return w, b, initer(k1, (3,)), initer(k2, (3,))

def plain(key, fn):
    a = fn(key, (2,))
    b = fn(key, (2,))
    return a, b
""", "NN509")


# NN513 mean-loss-divided-by-sample-count -------------------------------------------


def test_nn513_batch_means_summed_then_divided_by_the_dataset_size() -> None:
    check("""
def test(model, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            output = model(data)
            test_loss += crit(output, target).item()
            correct += (output.argmax(1) == target).sum().item()
    test_loss /= len(test_loader.dataset)  # expect: NN513
    return test_loss, correct / len(test_loader.dataset)


def test_bce(model, loader):
    size = len(loader.dataset)
    criterion = nn.BCELoss()
    total = 0
    for x, y in loader:
        total += criterion(model(x), y).sum().item()
    total /= size  # expect: NN513
    return total


def train_epoch(loader):
    running = 0.0
    for x, y in loader:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        running = running + float(loss.item())
    print(running / len(loader.dataset))  # expect: NN513
""".replace("F.cross_entropy", "torch.nn.functional.cross_entropy"), "NN513")


def test_nn513_one_finding_per_total_divided_twice() -> None:
    # Printed, then logged: the same wrong average twice is one bug, at its first division;
    # another total of the same function is another bug.
    check("""
def evaluate(model, test_loader, writer, epoch):
    test_loss = 0.0
    val_loss = 0.0
    for x, y in test_loader:
        test_loss += crit(model(x), y).item()
        val_loss += crit(model(x), y).item()
    print(test_loss / len(test_loader.dataset))  # expect: NN513
    writer.add_scalar("loss", test_loss / len(test_loader.dataset), epoch)
    return val_loss / len(test_loader.dataset)  # expect: NN513
""", "NN513")


def test_nn513_pytorch_03_reads_the_loss_as_data_index_zero() -> None:
    check("""
def evaluate(model, loader):
    total, seen = 0.0, 0
    for x, y in loader:
        loss = crit(model(x), y)
        total += loss.data[0]
        seen += x.size(0)
    return total / seen  # expect: NN513


def first_outputs(model, loader):
    total, seen = 0.0, 0
    for x, y in loader:
        out = model(x)
        total += out.data[1]
        seen += x.size(0)
    return total / seen
""", "NN513")


def test_nn513_sums_per_sample_and_divisions_by_the_batch_count_are_fine() -> None:
    check("""
summed = nn.CrossEntropyLoss(reduction="sum")


def evaluate(loader):
    a = b = c = d = e = 0
    for x, y in loader:
        out = model(x)
        a += crit(out, y).item() * x.size(0)
        b += summed(out, y).item()
        c += torch.nn.functional.nll_loss(out, y, reduction="sum").item()
        d += crit(out, y).item()
        e += (out.argmax(1) == y).sum().item()
    print(a / len(loader.dataset), b / len(loader.dataset), c / len(loader.dataset))
    print(d / len(loader), e / len(loader.dataset))


def unreduced(loader):
    criterion = nn.BCELoss(reduction="none")
    size = len(loader.dataset)
    total = 0
    for x, y in loader:
        total += criterion(model(x), y).sum().item()
    size = len(loader)
    return total / size


def mixed(loader, other):
    f = 0
    for x, y in loader:
        f += crit(model(x), y).item()
    f += 1.0
    g = 0
    for x, y in loader:
        g += crit(model(x), y).item()
    return f / len(loader.dataset), g / len(other.dataset)
""", "NN513")


def test_nn513_a_sample_count_counted_in_the_loop() -> None:
    check("""
criterion = nn.MSELoss()


def test_loss(loader):
    total_loss = 0
    total_samples = 0
    for images, labels in loader:
        loss = criterion(model(images), images)
        total_samples += labels.size(0)
        total_loss += loss
    return total_loss / total_samples  # expect: NN513


def other_forms(loader):
    total, n = 0.0, 0
    for i, (x, y) in enumerate(loader):
        total += criterion(model(x), y).item()
        n = n + len(y)
    total /= n  # expect: NN513
    seen, m = 0.0, 0
    for batch in loader:
        seen += criterion(model(batch), batch).item()
        m += batch.shape[0]
    return total, seen / m  # expect: NN513
""", "NN513")


def test_nn513_counts_that_are_not_the_samples_of_the_summed_batches() -> None:
    check("""
criterion = nn.MSELoss()


def near_misses(loader, other):
    a = b = c = d = e = 0.0
    na = nb = nc = nd = ne = 0
    for x, y in loader:
        a += criterion(model(x), y).item()
        na += 1  # a count of batches
        b += criterion(model(x), y).item() * x.size(0)  # per-sample sums
        nb += x.size(0)
        c += criterion(model(x), y).item()
        nc += y.size(1)  # not the batch dimension
    for batch in loader:
        d += criterion(model(batch[0]), batch[1]).item()
        nd += len(batch)  # the parts of an (x, y) batch
    for x, y in other:
        ne += len(y)
    for x, y in loader:
        e += criterion(model(x), y).item()
    print(a / na, b / nb, c / nc, d / nd, e / ne)


def counted_before(loader):
    total, n = 0.0, len(loader.dataset) // 2
    for x, y in loader:
        total += criterion(model(x), y).item()
        n += x.size(0)
    return total / n
""", "NN513")


def test_nn513_divided_by_the_data_set_the_loader_was_built_from() -> None:
    check("""
from torch.utils.data import DataLoader


def main(datasets, train_set):
    train_loader = DataLoader(datasets["train"], batch_size=32, shuffle=True)
    loader = DataLoader(train_set, batch_size=32)
    total = other = 0.0
    for i, data in enumerate(train_loader):
        total += crit(model(data[0]), data[1]).item()
    for x, y in loader:
        other += crit(model(x), y).item()
    total = total / datasets["train"].__len__()  # expect: NN513
    other = other / len(train_set)  # expect: NN513
    return total, other
""", "NN513")


def test_nn513_near_misses_of_the_data_set_of_a_loader() -> None:
    check("""
from torch.utils.data import DataLoader


def main(datasets):
    train_loader = DataLoader(datasets["train"], batch_size=32)
    total = batches = 0.0
    for data in train_loader:
        total += crit(model(data[0]), data[1]).item()
        batches += crit(model(data[0]), data[1]).item()
    a = total / train_loader.__len__()  # the number of batches
    b = batches / datasets["eval"].__len__()  # another split's data set
    return a, b


def rebound(data):
    data = load()
    loader = DataLoader(data, batch_size=32)
    total = 0.0
    for x, y in loader:
        total += crit(model(x), y).item()
    data = data[:100]  # no longer the loader's data set
    return total / len(data)
""", "NN513")


def test_nn513_criterion_bound_under_the_main_guard() -> None:
    assert_findings("""
import torch


def evaluate():
    total = 0
    for x, y in test_loader:
        loss = criterion(model(x), y)
        total += loss.item()
    total /= len(test_loader.dataset)  # expect: NN513
    return total


if __name__ == "__main__":
    model = torch.nn.Linear(4, 2)
    test_loader = torch.utils.data.DataLoader(data, batch_size=8)
    criterion = torch.nn.CrossEntropyLoss()
    evaluate()
""", "NN513")


def test_nn513_main_guard_does_not_override_an_earlier_binding() -> None:
    assert_findings("""
import torch

criterion = make_loss()


def evaluate():
    total = 0
    for x, y in test_loader:
        total += criterion(model(x), y).item()
    total /= len(test_loader.dataset)
    return total


if __name__ == "__main__":
    criterion = torch.nn.CrossEntropyLoss()
    evaluate()
""", "NN513")



def test_nn513_main_guard_yields_to_bindings_that_are_not_assignments() -> None:
    # ``criterion`` is bound elsewhere by a ``for`` target, by an import, by ``with ... as``
    # or by a ``def``: a function reading it may see that value, not the guarded one.
    for elsewhere in ("for criterion in make_losses():\n    pass\n",
                      "from losses import criterion\n",
                      "with make_loss() as criterion:\n    pass\n",
                      "def criterion(out, y):\n    return (out - y).abs().sum()\n"):
        assert_findings(f"""
import torch

{elsewhere}

def evaluate():
    total = 0
    for x, y in test_loader:
        total += criterion(model(x), y).item()
    total /= len(test_loader.dataset)
    return total


if __name__ == "__main__":
    criterion = torch.nn.CrossEntropyLoss()
    evaluate()
""", "NN513")

# NN515 accumulated-loss-not-scaled -------------------------------------------------


def test_nn515_backward_every_batch_step_every_kth_loss_not_divided() -> None:
    check("""
accum = 4
for i, (x, y) in enumerate(loader):
    loss = crit(model(x), y)
    loss.backward()  # expect: NN515
    if (i + 1) % accum == 0:
        opt.step()
        opt.zero_grad()

for step, (x, y) in enumerate(loader):
    loss = crit(model(x), y)
    loss.backward()  # expect: NN515
    if (step + 1) % accum == 0 or (step + 1) == len(loader):
        opt.step()
        opt.zero_grad()


class Trainer:
    def __init__(self, model, update_rate):
        self.model = model
        self.criterion = nn.CrossEntropyLoss()
        self.optimizer = torch.optim.Adam(model.parameters())
        self.scaler = torch.cuda.amp.GradScaler()
        self.update_rate = update_rate
        self.steps = 0

    def iteration(self, x, y):
        self.steps += 1
        loss = self.criterion(self.model(x), y)
        self.scaler.scale(loss).backward()  # expect: NN515
        if self.steps % self.update_rate == 0:
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.optimizer.zero_grad()
""", "NN515")


def test_nn515_divided_losses_every_step_and_logging_branches_are_fine() -> None:
    check("""
accum = 4
for i, (x, y) in enumerate(loader):
    loss = crit(model(x), y) / accum
    loss.backward()
    if (i + 1) % accum == 0:
        opt.step()
        opt.zero_grad()

for i, (x, y) in enumerate(loader):
    loss = crit(model(x), y)
    loss /= accum
    loss.backward()
    if (i + 1) % accum == 0:
        opt.step()

for i, (x, y) in enumerate(loader):
    loss = crit(model(x), y)
    (loss / accum).backward()
    if i % accum == 0:
        opt.step()

for i, (x, y) in enumerate(loader):
    opt.zero_grad()
    loss = crit(model(x), y)
    loss.backward()
    opt.step()
    if i % 100 == 0:
        print(loss.item())
        sched.step()

for i, (x, y) in enumerate(loader):
    loss = compute_loss(model, x, y)
    loss.backward()
    if (i + 1) % accum == 0:
        opt.step()
        opt.zero_grad()

for i, (x, y) in enumerate(loader):
    loss = crit(model(x), y)
    if i % 2 == 0:
        loss.backward()
    if i % 1 == 0:
        opt.step()
""", "NN515")


def test_nn515_a_guarded_step_beside_an_unconditional_one_accumulates_nothing() -> None:
    check("""
accum = 4
for epoch in range(10):
    for x, y in loader:
        loss = crit(model(x), y)
        loss.backward()
        if (epoch + 1) % accum == 0:
            opt.step()
            opt.zero_grad()
        opt.step()
        opt.zero_grad()


class Trainer:
    def __init__(self, model, update_rate):
        self.model = model
        self.criterion = nn.CrossEntropyLoss()
        self.optimizer = torch.optim.Adam(model.parameters())
        self.update_rate = update_rate
        self.steps = 0

    def iteration(self, x, y):
        self.steps += 1
        loss = self.criterion(self.model(x), y)
        loss.backward()
        if self.steps % self.update_rate == 0:
            self.optimizer.step()
        self.optimizer.step()
""", "NN515")


def test_nn515_guarded_steps_only_still_accumulate() -> None:
    check("""
accum = 4
for i, (x, y) in enumerate(loader):
    loss = crit(model(x), y)
    loss.backward()  # expect: NN515
    if (i + 1) % accum == 0:
        opt.step()
        opt.zero_grad()
    if i == len(loader) - 1:
        opt.step()
    for _ in range(2):
        other_opt.step()
opt.step()
""", "NN515")
