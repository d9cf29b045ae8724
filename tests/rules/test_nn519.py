"""NN519 optimizer-rebuilt-every-epoch: true positives and the near misses it must skip."""

from __future__ import annotations

from tests.helpers import assert_findings

HEADER = """
import optax
from sklearn.model_selection import KFold
import torch
import torch.nn as nn
from torch import optim

model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
crit = nn.CrossEntropyLoss()
"""


def check(body: str) -> None:
    assert_findings(HEADER + body, "NN519")


def test_adam_built_at_the_top_of_each_epoch() -> None:
    check("""
for epoch in range(20):
    lr = 1e-3 if epoch < 10 else 1e-4
    opt = torch.optim.Adam(model.parameters(), lr=lr)  # expect: NN519
    for x, y in loader:
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()
""")


def test_sgd_with_momentum_over_filtered_parameters_in_a_counted_loop() -> None:
    check("""
for e in range(epochs):
    opt = optim.SGD(filter(lambda p: p.requires_grad, model.parameters()),  # expect: NN519
                    lr=0.01, momentum=0.9)
    for x, y in loader:
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()
""")


def test_both_arms_of_an_if_build_it_the_stateful_one_is_reported() -> None:
    check("""
for epoch in range(epochs):
    if pretrained:
        opt = optim.SGD(model.parameters(), lr=0.01)
    else:
        opt = optim.Adam(model.parameters(), lr=0.01)  # expect: NN519
    for x, y in loader:
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()
""")


def test_handed_to_a_train_function_each_epoch() -> None:
    check("""
def train_one_epoch(model, opt, loader):
    for x, y in loader:
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()

for epoch in range(30):
    opt = optim.AdamW(model.parameters(), lr=3e-4)  # expect: NN519
    train_one_epoch(model, opt, loader)
""")


def test_model_reloaded_from_its_own_checkpoint_inside_the_loop_still_continues() -> None:
    check("""
for epoch in range(epochs):
    opt = optim.RMSprop(model.parameters(), lr=0.01)  # expect: NN519
    for x, y in loader:
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()
    torch.save(model.state_dict(), "ckpt.pt")
    model = Net()
    model.load_state_dict(torch.load("ckpt.pt"))
    model = model.cuda()
""")


def test_optax_state_initialised_again_every_epoch() -> None:
    check("""
tx = optax.adam(1e-3)
for epoch in range(10):
    opt_state = tx.init(params)  # expect: NN519
    for batch in batches:
        grads = grad_fn(params, batch)
        updates, opt_state = tx.update(grads, opt_state)
        params = optax.apply_updates(params, updates)
""")


# --- near misses ------------------------------------------------------------------------


def test_built_once_before_the_epoch_loop() -> None:
    check("""
opt = optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(20):
    for g in opt.param_groups:
        g["lr"] = 1e-3 * 0.9 ** epoch
    for x, y in loader:
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()
""")


def test_plain_sgd_has_no_state_to_lose() -> None:
    check("""
for epoch in range(20):
    opt = optim.SGD(model.parameters(), lr=0.1 * 0.95 ** epoch)
    for x, y in loader:
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()
""")


def test_a_fresh_model_each_turn_is_a_new_training() -> None:
    check("""
for epoch in range(3):
    model = nn.Linear(4, 2)
    opt = optim.Adam(model.parameters())
    for x, y in loader:
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()
""")


def test_an_optimizer_switch_at_one_milestone() -> None:
    check("""
opt = optim.Adam(model.parameters())
for epoch in range(40):
    if epoch == 20:
        opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    for x, y in loader:
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()
""")


def test_state_restored_after_it_is_built() -> None:
    check("""
for epoch in range(start, epochs):
    opt = optim.Adam(model.parameters())
    opt.load_state_dict(torch.load("opt.pt"))
    for x, y in loader:
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()
    torch.save(opt.state_dict(), "opt.pt")
""")


def test_a_loop_over_folds_or_stages_is_not_a_loop_over_epochs() -> None:
    check("""
for train_idx, val_idx in KFold(5).split(X):
    opt = optim.Adam(model.parameters())
    for x, y in loader:
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()

for stage in ("head", "all"):
    opt = optim.Adam(model.parameters())
    fit(model, opt, loader)
""")


def test_stateless_optax_sgd_initialised_per_epoch() -> None:
    check("""
tx = optax.sgd(0.1)
for epoch in range(10):
    opt_state = tx.init(params)
    for batch in batches:
        grads = grad_fn(params, batch)
        updates, opt_state = tx.update(grads, opt_state)
        params = optax.apply_updates(params, updates)
""")


def test_one_optimizer_per_run_of_a_counted_repeat_loop() -> None:
    check("""
for run in range(5):
    opt = optim.Adam(model.parameters())
    for epoch in range(epochs):
        for x, y in loader:
            opt.zero_grad()
            crit(model(x), y).backward()
            opt.step()
""")
