"""The roles that rules are written against.

A role says what a function's result, or an instance of a class, *is* for training
(a softmax output, a loss that expects logits, a dropout layer, a data loader, ...),
independently of the framework that spells it. The per-framework tables map
qualified names onto these roles.
"""

# What a function's result (or the output of calling a layer instance) is.
SOFTMAX = "makes.softmax"
SIGMOID = "makes.sigmoid"
LOG_SOFTMAX = "makes.log_softmax"
LOG_SIGMOID = "makes.log_sigmoid"
LOG = "makes.log"
ACTIVATION = "makes.activation"  # relu, gelu, tanh, ...: not probabilities, not logits
PROBABILITIES = frozenset({SOFTMAX, SIGMOID})
LOG_PROBABILITIES = frozenset({LOG_SOFTMAX, LOG_SIGMOID})

# Losses, by what their prediction argument must be.
LOSS_SOFTMAX_LOGITS = "loss.softmax_logits"  # CrossEntropyLoss, optax.softmax_cross_entropy
LOSS_SIGMOID_LOGITS = "loss.sigmoid_logits"  # BCEWithLogitsLoss, sigmoid_binary_cross_entropy
LOSS_PROBABILITIES = "loss.probabilities"  # BCELoss
LOSS_LOG_PROBABILITIES = "loss.log_probabilities"  # NLLLoss
LOSS_KERAS_FROM_LOGITS = "loss.keras_from_logits"  # keras losses with a from_logits= switch
LOGITS_LOSSES = frozenset({LOSS_SOFTMAX_LOGITS, LOSS_SIGMOID_LOGITS})
# A regression loss (MSELoss, L1Loss, SmoothL1Loss, HuberLoss): what its prediction is
# does not matter to the loss-input rules; its reduction (a mean by default) does.
LOSS_REGRESSION = "loss.regression"

# Layers and containers.
MODULE_BASE = "module.base"  # nn.Module, flax.linen.Module, keras.Model / Layer
SEQUENTIAL = "module.sequential"
DROPOUT = "layer.dropout"
BATCHNORM = "layer.batchnorm"
LINEAR = "layer.linear"
CONV = "layer.conv"
RECURRENT = "layer.recurrent"  # RNN, LSTM, GRU: the first output is (seq, batch, hidden)-like
FLATTEN = "layer.flatten"  # nn.Flatten: (batch, features)
# A fixed linear map of its input, with no weights and no nonlinearity: reshapes
# (Flatten, Reshape, Permute, Identity) and average pooling. An affine layer's output
# passed through one is still an affine map of the layer's input.
WEIGHTLESS_LINEAR = "layer.weightless_linear"
FUNCTIONAL_DROPOUT = "op.dropout"  # F.dropout(x, p, training=...)
KERAS_ACTIVATION_LAYER = "layer.keras_activation"  # keras.layers.Activation("softmax")
KERAS_DENSE = "layer.keras_dense"  # Dense(..., activation=...)

# Data.
DATA_LOADER = "data.loader"
DATA_SAMPLER = "data.sampler"
ITERABLE_DATASET = "data.iterable_dataset"
SPLIT_FUNCTION = "data.split"  # train_test_split, random_split: returns the parts
SPLITTER = "data.splitter"  # KFold & co: .split(X) yields index arrays
PERMUTATION = "data.permutation"  # np.random.permutation, jax.random.permutation
SHUFFLE_IN_PLACE = "data.shuffle_in_place"  # np.random.shuffle, random.shuffle
OVERSAMPLER = "data.oversampler"  # SMOTE & co: fit_resample(X, y) adds copied/synthetic rows

# Statistics fitted on data.
FITS_STATISTICS = "stats.estimator"  # StandardScaler & co: .fit / .fit_transform
ADAPTS_STATISTICS = "stats.adapt"  # keras Normalization: .adapt(data)
PIPELINE = "stats.pipeline"  # sklearn Pipeline: fitting inside it is the right way
MOMENT = "stats.moment"  # np.mean / np.std over data
# Fits and applies statistics of its argument in one call: scipy.stats.zscore(x),
# sklearn.preprocessing.scale(X) (the returned data is standardized with its own moments).
STANDARDIZES = "stats.standardize"

# Modes and contexts.
NO_GRAD = "context.no_grad"  # torch.no_grad(), torch.inference_mode()

# Optimization.
OPTIMIZER = "optim.optimizer"
SCHEDULER = "optim.scheduler"
# An optimizer object that updates the model in place (flax ``nnx.Optimizer``: its
# ``update(model, grads)`` returns nothing), unlike a pure optax transformation.
IN_PLACE_OPTIMIZER = "optim.in_place"

# --- optim ---
GRAD_SCALER = "optim.grad_scaler"  # torch GradScaler: scaler.step(opt) steps the optimizer
AUTOCAST = "context.autocast"  # torch.autocast & co (mixed precision)
EMBEDDING = "layer.embedding"
NORM = "layer.norm"  # LayerNorm, GroupNorm, InstanceNorm, RMSNorm (weight 1 is standard)
# --- loss rules ---
# The output of an affine layer (Linear, Conv, flax Dense): raw, unbounded scores. A role
# of the layer class, so the project index learns which models end in one (RETURNS).
LINEAR_OUTPUT = "makes.linear"
# --- mode rules ---
# A module that behaves differently in training and evaluation (holds dropout or batch
# norm): derived by the project index, asked for by the train/eval mode rules.
MODE_DEPENDENT = "layer.mode_dependent"
# --- data rules (NN3xx) ---
RANDOM_AUGMENTATION = "augment.random"  # RandomCrop, HorizontalFlip(p=0.5), keras RandomFlip
AUGMENTATION_COMPOSE = "augment.compose"
# keras ImageDataGenerator: random when built with a range or a flip; every ``flow*`` call
# (the validation subset too) draws from the same augmentation.
AUGMENTING_GENERATOR = "augment.generator"  # transforms.Compose, albumentations.Compose
CHECKPOINT = "data.checkpoint"  # torch.load(path): whatever the file saved, usually its model
RESEED = "data.reseed"  # np.random.seed, set_state: makes the next shuffle repeat the last
