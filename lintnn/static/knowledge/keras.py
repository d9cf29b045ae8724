"""Keras and TensorFlow: qualified names and their roles.

``tensorflow.keras.*``, ``tf_keras.*`` and ``keras.src.*`` are folded onto ``keras.*``
by :func:`lintnn.static.syntax.imports.canonical`.
"""

from __future__ import annotations

from lintnn.static.knowledge import roles as R
from lintnn.static.knowledge.base import Arg, Entry, cls, expand, fn

FRAMEWORK = "keras"
ROOTS = ("keras", "tensorflow", "tf_keras")

_TF_LOGITS = Arg(1, "logits")

ENTRIES: dict[str, Entry] = {
    **expand(
        "keras.preprocessing.image.ImageDataGenerator "
        "keras.legacy.preprocessing.image.ImageDataGenerator",
        cls(R.AUGMENTING_GENERATOR),
    ),
    **expand(
        "keras.activations.softmax keras.ops.softmax tensorflow.nn.softmax "
        "tensorflow.math.softmax",
        fn(R.SOFTMAX, dim=Arg(1, "axis")),
    ),
    **expand(
        "keras.activations.sigmoid keras.ops.sigmoid tensorflow.nn.sigmoid "
        "tensorflow.math.sigmoid tensorflow.sigmoid",
        fn(R.SIGMOID),
    ),
    **expand(
        "keras.ops.log_softmax tensorflow.nn.log_softmax tensorflow.math.log_softmax",
        fn(R.LOG_SOFTMAX, dim=Arg(1, "axis")),
    ),
    **expand("tensorflow.math.log tensorflow.log keras.ops.log", fn(R.LOG)),
    "keras.layers.Softmax": cls(R.SOFTMAX),
    "keras.layers.Activation": cls(R.KERAS_ACTIVATION_LAYER),
    "keras.layers.Dense": cls(R.KERAS_DENSE, R.LINEAR),
    # Losses with a from_logits= switch (default False: they expect probabilities).
    **expand(
        "keras.losses.CategoricalCrossentropy keras.losses.SparseCategoricalCrossentropy "
        "keras.losses.BinaryCrossentropy keras.losses.BinaryFocalCrossentropy "
        "keras.losses.CategoricalFocalCrossentropy",
        cls(R.LOSS_KERAS_FROM_LOGITS, prediction=Arg(1, "y_pred"), target=Arg(0, "y_true")),
    ),
    **expand(
        "keras.losses.categorical_crossentropy keras.losses.sparse_categorical_crossentropy "
        "keras.losses.binary_crossentropy",
        fn(R.LOSS_KERAS_FROM_LOGITS, prediction=Arg(1, "y_pred"), target=Arg(0, "y_true")),
    ),
    # tf.nn losses take labels first, logits second.
    **expand(
        "tensorflow.nn.softmax_cross_entropy_with_logits "
        "tensorflow.nn.sparse_softmax_cross_entropy_with_logits",
        fn(R.LOSS_SOFTMAX_LOGITS, prediction=_TF_LOGITS, target=Arg(0, "labels")),
    ),
    "tensorflow.nn.sigmoid_cross_entropy_with_logits": fn(
        R.LOSS_SIGMOID_LOGITS, prediction=_TF_LOGITS, target=Arg(0, "labels")
    ),
    # Models and layers.
    **expand("keras.Model keras.models.Model keras.layers.Layer keras.Layer", cls(R.MODULE_BASE)),
    **expand("keras.Sequential keras.models.Sequential", cls(R.SEQUENTIAL, R.MODULE_BASE)),
    **expand(
        "keras.layers.Dropout keras.layers.SpatialDropout1D keras.layers.SpatialDropout2D "
        "keras.layers.SpatialDropout3D keras.layers.AlphaDropout keras.layers.GaussianDropout",
        cls(R.DROPOUT),
    ),
    "keras.layers.BatchNormalization": cls(R.BATCHNORM),
    **expand("keras.layers.Conv1D keras.layers.Conv2D keras.layers.Conv3D "
             "keras.layers.Conv1DTranspose keras.layers.Conv2DTranspose "
             "keras.layers.Conv3DTranspose keras.layers.SeparableConv1D "
             "keras.layers.SeparableConv2D keras.layers.Convolution1D "
             "keras.layers.Convolution2D keras.layers.Convolution3D", cls(R.CONV)),
    **expand(
        "keras.layers.Flatten keras.layers.Reshape keras.layers.Permute "
        "keras.layers.AveragePooling1D keras.layers.AveragePooling2D "
        "keras.layers.AveragePooling3D keras.layers.AvgPool1D keras.layers.AvgPool2D "
        "keras.layers.AvgPool3D keras.layers.GlobalAveragePooling1D "
        "keras.layers.GlobalAveragePooling2D keras.layers.GlobalAveragePooling3D "
        "keras.layers.GlobalAvgPool1D keras.layers.GlobalAvgPool2D "
        "keras.layers.GlobalAvgPool3D",
        cls(R.WEIGHTLESS_LINEAR),
    ),
    "keras.layers.Normalization": cls(R.ADAPTS_STATISTICS),
    # Data.
    "tensorflow.random.shuffle": fn(R.PERMUTATION),
    # --- optim ---
    **expand(
        "keras.optimizers.SGD keras.optimizers.Adam keras.optimizers.AdamW "
        "keras.optimizers.RMSprop keras.optimizers.Adagrad keras.optimizers.Adadelta "
        "keras.optimizers.Adamax keras.optimizers.Nadam keras.optimizers.Ftrl "
        "keras.optimizers.Lion keras.optimizers.Adafactor keras.optimizers.Optimizer",
        cls(R.OPTIMIZER),
    ),
    **expand(
        "keras.layers.LayerNormalization keras.layers.GroupNormalization "
        "keras.layers.UnitNormalization",
        cls(R.NORM),
    ),
    "keras.layers.Embedding": cls(R.EMBEDDING),
    # --- data rules (NN3xx) ---
    **expand(
        "keras.layers.RandomFlip keras.layers.RandomRotation keras.layers.RandomZoom "
        "keras.layers.RandomCrop keras.layers.RandomTranslation keras.layers.RandomContrast "
        "keras.layers.RandomBrightness",
        cls(R.RANDOM_AUGMENTATION),
    ),
    **expand("tensorflow.random.set_seed keras.utils.set_random_seed", fn(R.RESEED)),
}

# Strings accepted by ``activation=`` and ``Activation(...)`` that make probabilities.
PROBABILITY_ACTIVATIONS = {"softmax": R.SOFTMAX, "sigmoid": R.SIGMOID}

METHODS: dict[str, Entry] = {}
