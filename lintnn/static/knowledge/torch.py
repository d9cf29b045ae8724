"""PyTorch: qualified names and their roles."""

from __future__ import annotations

from lintnn.static.knowledge import roles as R
from lintnn.static.knowledge.base import Arg, Entry, cls, expand, fn

FRAMEWORK = "torch"
ROOTS = ("torch",)

_INPUT = Arg(0, "input")
_TARGET = Arg(1, "target")
_DIM1 = Arg(1, "dim")
_DIM0 = Arg(0, "dim")
# ``options`` of a layer whose call returns a tuple: the role of each part (None: unknown).
_ACTIVATED_OUTPUT = {"outputs": (R.ACTIVATION, None)}



# --- data rules (NN3xx) ---
def _prefixed(prefixes: tuple[str, ...], names: str) -> str:
    """Every name under every prefix, as ``expand`` takes them."""
    return " ".join(prefix + name for prefix in prefixes for name in names.split())
# --- end data rules ---


ENTRIES: dict[str, Entry] = {
    # Functions that turn logits into (log-)probabilities.
    **expand(
        "torch.nn.functional.softmax torch.softmax torch.special.softmax",
        fn(R.SOFTMAX, dim=_DIM1),
    ),
    **expand(
        "torch.nn.functional.log_softmax torch.log_softmax torch.special.log_softmax",
        fn(R.LOG_SOFTMAX, dim=_DIM1),
    ),
    **expand(
        "torch.sigmoid torch.nn.functional.sigmoid torch.special.expit", fn(R.SIGMOID)
    ),
    "torch.nn.functional.logsigmoid": fn(R.LOG_SIGMOID),
    **expand("torch.log torch.log2 torch.log10", fn(R.LOG)),
    **expand(
        "torch.relu torch.nn.functional.relu torch.nn.functional.gelu torch.tanh "
        "torch.nn.functional.leaky_relu torch.nn.functional.elu torch.nn.functional.silu "
        "torch.nn.functional.relu6 torch.nn.functional.softplus",
        fn(R.ACTIVATION),
    ),
    # Layers whose output is (log-)probabilities.
    "torch.nn.Softmax": cls(R.SOFTMAX, dim=_DIM0),
    "torch.nn.LogSoftmax": cls(R.LOG_SOFTMAX, dim=_DIM0),
    "torch.nn.Sigmoid": cls(R.SIGMOID),
    **expand(
        "torch.nn.ReLU torch.nn.GELU torch.nn.Tanh torch.nn.LeakyReLU torch.nn.ELU "
        "torch.nn.SiLU torch.nn.ReLU6 torch.nn.Softplus torch.nn.Mish",
        cls(R.ACTIVATION),
    ),
    # Losses.
    "torch.nn.CrossEntropyLoss": cls(R.LOSS_SOFTMAX_LOGITS, prediction=_INPUT, target=_TARGET),
    "torch.nn.functional.cross_entropy": fn(
        R.LOSS_SOFTMAX_LOGITS, prediction=_INPUT, target=_TARGET
    ),
    "torch.nn.BCEWithLogitsLoss": cls(R.LOSS_SIGMOID_LOGITS, prediction=_INPUT, target=_TARGET),
    "torch.nn.functional.binary_cross_entropy_with_logits": fn(
        R.LOSS_SIGMOID_LOGITS, prediction=_INPUT, target=_TARGET
    ),
    "torch.nn.BCELoss": cls(R.LOSS_PROBABILITIES, prediction=_INPUT, target=_TARGET),
    "torch.nn.functional.binary_cross_entropy": fn(
        R.LOSS_PROBABILITIES, prediction=_INPUT, target=_TARGET
    ),
    "torch.nn.NLLLoss": cls(R.LOSS_LOG_PROBABILITIES, prediction=_INPUT, target=_TARGET),
    "torch.nn.functional.nll_loss": fn(
        R.LOSS_LOG_PROBABILITIES, prediction=_INPUT, target=_TARGET
    ),
    **expand("torch.nn.MSELoss torch.nn.L1Loss torch.nn.SmoothL1Loss torch.nn.HuberLoss",
             cls(R.LOSS_REGRESSION, prediction=_INPUT, target=_TARGET)),
    **expand(
        "torch.nn.functional.mse_loss torch.nn.functional.l1_loss "
        "torch.nn.functional.smooth_l1_loss torch.nn.functional.huber_loss",
        fn(R.LOSS_REGRESSION, prediction=_INPUT, target=_TARGET),
    ),
    # Modules.
    "torch.nn.Module": cls(R.MODULE_BASE),
    "torch.nn.Sequential": cls(R.SEQUENTIAL, R.MODULE_BASE),
    **expand(
        "torch.nn.Dropout torch.nn.Dropout1d torch.nn.Dropout2d torch.nn.Dropout3d "
        "torch.nn.AlphaDropout torch.nn.FeatureAlphaDropout",
        cls(R.DROPOUT),
    ),
    **expand(
        "torch.nn.BatchNorm1d torch.nn.BatchNorm2d torch.nn.BatchNorm3d torch.nn.SyncBatchNorm "
        "torch.nn.LazyBatchNorm1d torch.nn.LazyBatchNorm2d torch.nn.LazyBatchNorm3d",
        cls(R.BATCHNORM),
    ),
    # Affine layers make raw scores (LINEAR_OUTPUT): the project index learns which
    # models end in one.
    **expand("torch.nn.Linear torch.nn.LazyLinear torch.nn.Bilinear",
             cls(R.LINEAR, R.LINEAR_OUTPUT)),
    **expand(
        "torch.nn.Conv1d torch.nn.Conv2d torch.nn.Conv3d torch.nn.ConvTranspose1d "
        "torch.nn.ConvTranspose2d torch.nn.ConvTranspose3d torch.nn.LazyConv1d "
        "torch.nn.LazyConv2d torch.nn.LazyConv3d",
        cls(R.CONV, R.LINEAR_OUTPUT),
    ),
    # A recurrent layer returns (output, hidden); the output comes out of its activation
    # (tanh or relu; an LSTM's o * tanh(c)), unless an LSTM projects it (proj_size=).
    **expand("torch.nn.RNN torch.nn.GRU", cls(R.RECURRENT, options=_ACTIVATED_OUTPUT)),
    "torch.nn.LSTM": cls(R.RECURRENT, options={**_ACTIVATED_OUTPUT,
                                               "outputs_unless": "proj_size"}),
    "torch.nn.Flatten": cls(R.FLATTEN, R.WEIGHTLESS_LINEAR),
    **expand(
        "torch.nn.Unflatten torch.nn.Identity torch.nn.AvgPool1d torch.nn.AvgPool2d "
        "torch.nn.AvgPool3d torch.nn.AdaptiveAvgPool1d torch.nn.AdaptiveAvgPool2d "
        "torch.nn.AdaptiveAvgPool3d",
        cls(R.WEIGHTLESS_LINEAR),
    ),
    **expand(
        "torch.nn.functional.avg_pool1d torch.nn.functional.avg_pool2d "
        "torch.nn.functional.avg_pool3d torch.nn.functional.adaptive_avg_pool1d "
        "torch.nn.functional.adaptive_avg_pool2d torch.nn.functional.adaptive_avg_pool3d",
        fn(R.WEIGHTLESS_LINEAR),
    ),
    **expand(
        "torch.nn.functional.dropout torch.nn.functional.dropout1d "
        "torch.nn.functional.dropout2d torch.nn.functional.dropout3d "
        "torch.nn.functional.alpha_dropout torch.nn.functional.feature_alpha_dropout "
        "torch.dropout",
        fn(R.FUNCTIONAL_DROPOUT),
    ),
    # Data.
    "torch.utils.data.DataLoader": cls(R.DATA_LOADER),
    "torch.utils.data.IterableDataset": cls(R.ITERABLE_DATASET),
    **expand(
        "torch.utils.data.RandomSampler torch.utils.data.SequentialSampler "
        "torch.utils.data.SubsetRandomSampler torch.utils.data.WeightedRandomSampler "
        "torch.utils.data.BatchSampler torch.utils.data.DistributedSampler",
        cls(R.DATA_SAMPLER),
    ),
    "torch.utils.data.random_split": fn(R.SPLIT_FUNCTION),
    "torch.load": fn(R.CHECKPOINT),
    "torch.randperm": fn(R.PERMUTATION),
    # Contexts.
    **expand("torch.no_grad torch.inference_mode", cls(R.NO_GRAD)),
    # --- optim ---
    **expand(
        "torch.optim.SGD torch.optim.Adam torch.optim.AdamW torch.optim.Adagrad "
        "torch.optim.Adadelta torch.optim.Adamax torch.optim.ASGD torch.optim.LBFGS "
        "torch.optim.NAdam torch.optim.RAdam torch.optim.RMSprop torch.optim.Rprop "
        "torch.optim.SparseAdam torch.optim.Adafactor torch.optim.Optimizer "
        "transformers.AdamW transformers.Adafactor transformers.optimization.Adafactor",
        cls(R.OPTIMIZER),
    ),
    **expand(
        "torch.optim.lr_scheduler.LambdaLR torch.optim.lr_scheduler.MultiplicativeLR "
        "torch.optim.lr_scheduler.StepLR torch.optim.lr_scheduler.MultiStepLR "
        "torch.optim.lr_scheduler.ConstantLR torch.optim.lr_scheduler.LinearLR "
        "torch.optim.lr_scheduler.ExponentialLR torch.optim.lr_scheduler.SequentialLR "
        "torch.optim.lr_scheduler.CosineAnnealingLR torch.optim.lr_scheduler.ChainedScheduler "
        "torch.optim.lr_scheduler.ReduceLROnPlateau torch.optim.lr_scheduler.CyclicLR "
        "torch.optim.lr_scheduler.CosineAnnealingWarmRestarts "
        "torch.optim.lr_scheduler.OneCycleLR torch.optim.lr_scheduler.PolynomialLR "
        "torch.optim.lr_scheduler.LRScheduler",
        cls(R.SCHEDULER),
    ),
    **expand(
        "transformers.get_scheduler transformers.get_linear_schedule_with_warmup "
        "transformers.get_cosine_schedule_with_warmup transformers.get_constant_schedule "
        "transformers.get_constant_schedule_with_warmup "
        "transformers.get_polynomial_decay_schedule_with_warmup "
        "transformers.optimization.get_scheduler "
        "transformers.optimization.get_linear_schedule_with_warmup "
        "transformers.optimization.get_cosine_schedule_with_warmup",
        fn(R.SCHEDULER),
    ),
    **expand(
        "torch.cuda.amp.GradScaler torch.amp.GradScaler torch.cpu.amp.GradScaler "
        "torch.distributed.fsdp.sharded_grad_scaler.ShardedGradScaler",
        cls(R.GRAD_SCALER),
    ),
    **expand(
        "torch.autocast torch.cuda.amp.autocast torch.amp.autocast torch.cpu.amp.autocast",
        cls(R.AUTOCAST),
    ),
    **expand("torch.nn.Embedding torch.nn.EmbeddingBag", cls(R.EMBEDDING)),
    **expand(
        "torch.nn.LayerNorm torch.nn.GroupNorm torch.nn.InstanceNorm1d torch.nn.InstanceNorm2d "
        "torch.nn.InstanceNorm3d torch.nn.RMSNorm torch.nn.LocalResponseNorm",
        cls(R.NORM),
    ),
    # --- loss rules ---
    "torch.nn.functional.linear": fn(R.LINEAR_OUTPUT),
    "torch.nn.LogSigmoid": cls(R.LOG_SIGMOID),
    "torch.nn.functional.softmin": fn(R.SOFTMAX, dim=_DIM1),
    "torch.nn.Softmin": cls(R.SOFTMAX, dim=_DIM0),
    # --- data rules (NN3xx) ---
    # torchvision and albumentations are linted, never imported.
    **expand(_prefixed(("torchvision.transforms.", "torchvision.transforms.v2."),
        "RandomCrop RandomResizedCrop RandomHorizontalFlip RandomVerticalFlip "
        "RandomRotation ColorJitter RandomErasing RandAugment AutoAugment "
        "TrivialAugmentWide AugMix RandomAffine RandomPerspective RandomGrayscale "
        "RandomApply RandomChoice RandomOrder RandomInvert RandomPosterize RandomSolarize "
        "RandomAdjustSharpness RandomAutocontrast RandomEqualize RandomPhotometricDistort "
        "RandomZoomOut RandomIoUCrop RandomShortestSize RandomResize ElasticTransform "
        "ScaleJitter "
    ), cls(R.RANDOM_AUGMENTATION)),
    # albumentations transforms are random with probability p (default 0.5).
    **expand(_prefixed(("albumentations.", "albumentations.augmentations."),
        "HorizontalFlip VerticalFlip Flip RandomCrop RandomResizedCrop RandomSizedCrop "
        "RandomRotate90 Rotate SafeRotate ShiftScaleRotate Affine RandomScale Transpose "
        "RandomBrightnessContrast ColorJitter HueSaturationValue RGBShift GaussNoise "
        "GaussianBlur MotionBlur CoarseDropout RandomGamma CLAHE ElasticTransform "
        "GridDistortion OpticalDistortion Perspective "
    ), cls(R.RANDOM_AUGMENTATION, options={"probability": "p"})),
    **expand(
        "torchvision.transforms.Compose torchvision.transforms.v2.Compose "
        "albumentations.Compose albumentations.core.composition.Compose",
        cls(R.AUGMENTATION_COMPOSE),
    ),
    **expand("torch.manual_seed torch.random.manual_seed torch.random.set_rng_state", fn(R.RESEED)),
    # --- mode rules: torchvision's model builders (linted, never imported). What each
    # architecture holds decides whether eval() changes what it computes.
    **expand(_prefixed(("torchvision.models.",),
        "resnet18 resnet34 resnet50 resnet101 resnet152 resnext50_32x4d resnext101_32x8d "
        "resnext101_64x4d wide_resnet50_2 wide_resnet101_2 densenet121 densenet161 "
        "densenet169 densenet201 shufflenet_v2_x0_5 shufflenet_v2_x1_0 shufflenet_v2_x1_5 "
        "shufflenet_v2_x2_0 regnet_x_400mf regnet_y_400mf vgg11_bn vgg13_bn vgg16_bn "
        "vgg19_bn"
    ), cls(R.MODULE_BASE, R.BATCHNORM)),
    **expand(_prefixed(("torchvision.models.",),
        "mobilenet_v2 mobilenet_v3_small mobilenet_v3_large efficientnet_b0 efficientnet_b1 "
        "efficientnet_b2 efficientnet_b3 efficientnet_b4 efficientnet_b5 efficientnet_b6 "
        "efficientnet_b7 efficientnet_v2_s efficientnet_v2_m efficientnet_v2_l mnasnet0_5 "
        "mnasnet1_0 inception_v3 googlenet"
    ), cls(R.MODULE_BASE, R.BATCHNORM, R.DROPOUT)),
    **expand(_prefixed(("torchvision.models.",),
        "alexnet vgg11 vgg13 vgg16 vgg19 squeezenet1_0 squeezenet1_1"
    ), cls(R.MODULE_BASE, R.DROPOUT)),
}

# Tensor methods that play a role whatever the receiver (``logits.softmax(-1)``).
METHODS: dict[str, Entry] = {
    "softmax": fn(R.SOFTMAX, dim=_DIM0),
    "log_softmax": fn(R.LOG_SOFTMAX, dim=_DIM0),
    "sigmoid": fn(R.SIGMOID),
}
