"""Round 5 of the corpus: NN509 across calls of functions of the same file."""

from __future__ import annotations

from tests.helpers import assert_findings


def test_nn509_one_key_given_to_two_consuming_functions() -> None:
    """The data are drawn from the key and the weights split from it: used twice."""
    assert_findings("""
import jax

def generate(n, key):
    return jax.random.uniform(key, (n, 1))

def init_network(sizes, init_key):
    keys = jax.random.split(init_key, len(sizes))
    return [jax.random.normal(k, (s,)) for k, s in zip(keys, sizes)]

def main(seed):
    key = jax.random.PRNGKey(seed)
    x = generate(100, key)
    params = init_network([3, 1], key)  # expect: NN509
    return x, params
""", "NN509")


def test_nn509_a_key_drawn_from_then_handed_to_a_step() -> None:
    """The step rebinds the key it returns, but its first call gets the key already
    drawn from; the rebinding by the call's own statement happens after the call."""
    assert_findings("""
import jax

@jax.jit
def train_step(state, key):
    key, sub = jax.random.split(key)
    return state, key

def train(state, loader, key):
    key, k1 = jax.random.split(key)
    fixed_noise = jax.random.normal(key, (16, 64))
    for batch in loader:
        state, key = train_step(state, key)  # expect: NN509
    return state, fixed_noise
""", "NN509")


def test_nn509_a_key_handed_on_to_a_function_that_gives_it_as_rngs() -> None:
    """The step hands the key to a loss function of the file that gives it to flax as
    ``rngs=``; the epoch passes the same key to every step (also by keyword)."""
    assert_findings("""
import jax

def loss_fn(params, batch, dropout_rng):
    return model.apply(params, batch, rngs={"dropout": dropout_rng}).mean()

@jax.jit
def train_step(state, batch, dropout_rng):
    loss = loss_fn(state.params, batch, dropout_rng)
    return state, loss

def train_epoch(state, batches, dropout_rng):
    for batch in batches:
        state, loss = train_step(state, batch, dropout_rng)  # expect: NN509
    for batch in batches:
        state, loss = train_step(state, batch, dropout_rng=dropout_rng)  # expect: NN509
    return state
""", "NN509")


def test_nn509_calls_that_do_not_reuse_the_key() -> None:
    """Functions that only store or return the key, a split between the calls, a loop
    that folds in or splits per iteration, the key rebound by the first call's result, a
    function that rebinds its parameter before handing it on, and a recursive one."""
    assert_findings("""
import jax

def keep(config, key):
    return {"config": config, "key": key}

def draw(key, shape):
    return jax.random.normal(key, shape)

def init(key):
    key, sub = jax.random.split(key)
    return draw(sub, (3,)), key

def folded(key, step):
    key = jax.random.fold_in(key, step)
    return draw(key, (3,))

def walk(key, depth):
    if depth:
        return walk(key, depth - 1)
    return key

def main(seed, loader):
    key = jax.random.PRNGKey(seed)
    a = keep("a", key)
    b = keep("b", key)
    x = draw(key, (3,))
    key, sub = jax.random.split(key)
    y = draw(sub, (3,))
    params, key = init(key)
    z = draw(key, (3,))
    for step, batch in enumerate(loader):
        w = draw(jax.random.fold_in(key, step), (3,))
        v = folded(key, step)
    for batch in loader:
        key, sub = jax.random.split(key)
        u = draw(sub, (3,))
    walk(key, 3)
    walk(key, 3)
    if seed:
        t = draw(key, (3,))
    else:
        t = draw(key, (4,))
    return a, b, x, y, params, z, w, u, v, t
""", "NN509")


def test_nn509_the_same_function_called_again_with_the_same_key() -> None:
    """``init_mlp(sizes, key)`` called again recomputes the same weights on purpose (a
    restart, a demo redone); in a loop it is still a reuse."""
    assert_findings("""
import jax

def init_mlp(sizes, key):
    keys = jax.random.split(key, len(sizes))
    return [jax.random.normal(k, (s,)) for k, s in zip(keys, sizes)]

key = jax.random.PRNGKey(0)
demo = init_mlp([2, 2], key)
params = init_mlp([784, 10], key)
for batch in range(10):
    noise = init_mlp([784, 10], key)  # expect: NN509
""", "NN509")
