"""JAX, flax and optax: qualified names and their roles."""

from __future__ import annotations

from lintnn.static.knowledge import roles as R
from lintnn.static.knowledge.base import Arg, Entry, cls, expand, fn

FRAMEWORK = "jax"
ROOTS = ("jax", "flax", "optax")

_LOGITS = Arg(0, "logits")
_AXIS = Arg(1, "axis")

ENTRIES: dict[str, Entry] = {
    **expand(
        "jax.nn.softmax flax.linen.softmax flax.nnx.softmax jax.scipy.special.softmax",
        fn(R.SOFTMAX, dim=_AXIS),
    ),
    **expand(
        "jax.nn.log_softmax flax.linen.log_softmax flax.nnx.log_softmax "
        "jax.scipy.special.log_softmax",
        fn(R.LOG_SOFTMAX, dim=_AXIS),
    ),
    **expand(
        "jax.nn.sigmoid flax.linen.sigmoid flax.nnx.sigmoid jax.scipy.special.expit",
        fn(R.SIGMOID),
    ),
    **expand("jax.nn.log_sigmoid flax.linen.log_sigmoid flax.nnx.log_sigmoid", fn(R.LOG_SIGMOID)),
    **expand("jax.numpy.log jax.numpy.log2 jax.numpy.log10", fn(R.LOG)),
    **expand(
        "jax.nn.relu jax.nn.gelu jax.nn.silu jax.nn.elu jax.nn.leaky_relu jax.numpy.tanh "
        "flax.linen.relu flax.linen.gelu flax.linen.silu flax.linen.tanh flax.nnx.relu "
        "flax.nnx.gelu",
        fn(R.ACTIVATION),
    ),
    **expand(
        "optax.softmax_cross_entropy optax.softmax_cross_entropy_with_integer_labels "
        "optax.losses.softmax_cross_entropy "
        "optax.losses.softmax_cross_entropy_with_integer_labels",
        fn(R.LOSS_SOFTMAX_LOGITS, prediction=_LOGITS, target=Arg(1, "labels")),
    ),
    **expand(
        "optax.sigmoid_binary_cross_entropy optax.losses.sigmoid_binary_cross_entropy",
        fn(R.LOSS_SIGMOID_LOGITS, prediction=_LOGITS, target=Arg(1, "labels")),
    ),
    # Modules.
    **expand("flax.linen.Module flax.nnx.Module", cls(R.MODULE_BASE)),
    **expand("flax.linen.Sequential flax.nnx.Sequential", cls(R.SEQUENTIAL, R.MODULE_BASE)),
    **expand("flax.linen.Dropout flax.nnx.Dropout", cls(R.DROPOUT)),
    **expand("flax.linen.BatchNorm flax.nnx.BatchNorm", cls(R.BATCHNORM)),
    **expand("flax.linen.Dense flax.nnx.Linear", cls(R.LINEAR, R.LINEAR_OUTPUT)),
    **expand("flax.linen.Conv flax.nnx.Conv", cls(R.CONV, R.LINEAR_OUTPUT)),
    # stax (jax.example_libraries, formerly jax.experimental): layers are (init, apply)
    # pairs; ``serial(...)`` chains them like a Sequential.
    **expand("jax.example_libraries.stax.serial jax.experimental.stax.serial",
             cls(R.SEQUENTIAL)),
    **expand(
        "jax.example_libraries.stax.Conv jax.example_libraries.stax.GeneralConv "
        "jax.example_libraries.stax.ConvTranspose jax.example_libraries.stax.Conv1DTranspose "
        "jax.experimental.stax.Conv jax.experimental.stax.GeneralConv",
        cls(R.CONV),
    ),
    **expand("jax.example_libraries.stax.Dense jax.experimental.stax.Dense", cls(R.LINEAR)),
    **expand("jax.example_libraries.stax.BatchNorm jax.experimental.stax.BatchNorm",
             cls(R.BATCHNORM)),
    # Data.
    **expand("jax.random.permutation jax.random.shuffle", fn(R.PERMUTATION)),
    # --- optim ---
    **expand(
        "optax.sgd optax.adam optax.adamw optax.adagrad optax.adadelta optax.adamax "
        "optax.adamaxw optax.adafactor optax.amsgrad optax.fromage optax.lamb optax.lars "
        "optax.lion optax.nadam optax.nadamw optax.noisy_sgd optax.novograd optax.radam "
        "optax.rmsprop optax.sm3 optax.yogi optax.adabelief optax.lbfgs optax.chain "
        "optax.multi_transform optax.MultiSteps optax.contrib.muon optax.contrib.prodigy",
        fn(R.OPTIMIZER),
    ),
    **expand("flax.nnx.Optimizer flax.nnx.ModelAndOptimizer flax.nnx.optimizer.Optimizer",
             cls(R.IN_PLACE_OPTIMIZER)),
    **expand(
        "flax.linen.LayerNorm flax.linen.GroupNorm flax.linen.RMSNorm flax.nnx.LayerNorm "
        "flax.nnx.GroupNorm flax.nnx.RMSNorm",
        cls(R.NORM),
    ),
    **expand("flax.linen.Embed flax.nnx.Embed", cls(R.EMBEDDING)),
    **expand("flax.linen.avg_pool flax.nnx.avg_pool", fn(R.WEIGHTLESS_LINEAR)),
    # --- loss rules ---
}

METHODS: dict[str, Entry] = {}
