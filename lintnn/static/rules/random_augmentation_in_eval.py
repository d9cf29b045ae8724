"""NN305: random data augmentation in a validation or test transform."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import bool_value, dotted_name, float_value, keyword, positional
from lintnn.static.syntax.nodes import string_value as text

# Test-time augmentation is random on purpose.
_TTA_WORDS = frozenset({"tta", "aug", "augs", "augment", "augmentation", "augmentations",
                        "augmented", "augmenter"})
_SPLIT_KEYWORDS = ("split", "subset", "mode", "stage", "phase", "image_set")


class RandomAugmentationInEval(Rule):
    """``RandomCrop``, ``RandomHorizontalFlip``, ``ColorJitter``... in an eval transform."""

    code = "NN305"
    name = "random-augmentation-in-eval"
    severity = Severity.WARNING
    message = (
        "random augmentation in a validation/test transform: evaluation metrics become "
        "noisy and biased (cropped, flipped, recoloured inputs); use deterministic "
        "transforms (Resize, CenterCrop, Normalize) for evaluation"
    )
    frameworks = ("torch", "keras")
    triggers = ("Random", "Jitter", "Augment", "Flip", "albumentations")
    needs = (Needs(callee_roles=(R.RANDOM_AUGMENTATION,)),)

    def check(self, ctx: FileContext) -> None:
        reported: set[cst.CSTNode] = set()
        for call in ctx.index.calls:
            randoms = _random_parts(ctx, call)
            if not randoms or not _is_eval_transform(ctx, call):
                continue
            for node in randoms:
                if node not in reported:
                    reported.add(node)
                    ctx.report(node)


def _random_parts(ctx: FileContext, call: cst.Call) -> list[cst.Call]:
    """The random transforms of a pipeline call (``Compose([...])``, keras ``Sequential``),
    or the call itself when it is one random transform."""
    _, entry = ctx.callee(call)
    if entry is None or entry.kind != "class":
        return []
    if _is_random(ctx, call):
        parent = ctx.index.parent(ctx.index.parent(call))  # Element -> List
        inside_pipeline = isinstance(parent, (cst.List, cst.Tuple))
        return [] if inside_pipeline else [call]
    if not entry.roles & {R.AUGMENTATION_COMPOSE, R.SEQUENTIAL}:
        return []
    args = positional(call)
    if len(args) != 1 or not isinstance(args[0], (cst.List, cst.Tuple)):
        return []
    return [el.value for el in args[0].elements
            if isinstance(el.value, cst.Call) and _is_random(ctx, el.value)]


def _is_random(ctx: FileContext, call: cst.Call) -> bool:
    _, entry = ctx.callee(call)
    if entry is None or entry.kind != "class" or R.RANDOM_AUGMENTATION not in entry.roles:
        return False
    probability = entry.options.get("probability")
    if isinstance(probability, str):
        p = keyword(call, probability)
        if p is not None and float_value(p) in (0.0, None):
            return False  # p=0 or p=<variable>: not known to be random
    return True


def _is_eval_transform(ctx: FileContext, call: cst.Call) -> bool:
    """The pipeline is assigned to, returned as, or passed as an evaluation transform."""
    names = [D.assigned_name(ctx, call), D.function_name(ctx, call), _dict_key(ctx, call)]
    if any(D.has_word(n, _TTA_WORDS) for n in names):
        return False
    if D.clear_split(names[0]) == D.EVAL or D.clear_split(names[2]) == D.EVAL:
        return True
    if isinstance(ctx.index.parent(call), cst.Return) and D.clear_split(names[1]) == D.EVAL:
        return True
    if _passed_to_eval_dataset(ctx, call):
        return True
    variable = names[0]
    if variable is None or D.clear_split(variable) is not None:
        return False
    scope = ctx.scope_of(call)
    return any(
        _passed_to_eval_dataset(ctx, use) for use in _uses(ctx, variable, scope)
    )


def _dict_key(ctx: FileContext, call: cst.Call) -> str | None:
    """``{"val": Compose(...)}`` -> ``"val"``."""
    parent = ctx.index.parent(call)
    if isinstance(parent, cst.DictElement) and parent.value is call:
        return text(parent.key)
    return None


def _passed_to_eval_dataset(ctx: FileContext, node: cst.CSTNode) -> bool:
    """``Dataset(..., transform=<node>)`` where the dataset is an evaluation one."""
    arg = ctx.index.parent(node)
    if not isinstance(arg, cst.Arg) or arg.keyword is None or "transform" not in arg.keyword.value:
        return False
    if D.clear_split(arg.keyword.value) is not None:
        return D.clear_split(arg.keyword.value) == D.EVAL
    dataset = ctx.index.parent(arg)
    if not isinstance(dataset, cst.Call):
        return False
    if bool_value(keyword(dataset, "train")) is False:
        return True
    for name in _SPLIT_KEYWORDS:
        if D.clear_split(text(keyword(dataset, name))) == D.EVAL:
            return True
    return D.clear_split(D.assigned_name(ctx, dataset)) == D.EVAL and not D.has_word(
        D.assigned_name(ctx, dataset), _TTA_WORDS
    )


def _uses(ctx: FileContext, name: str, scope: cst.CSTNode) -> list[cst.CSTNode]:
    """Reads of a plain name as a call argument inside ``scope``."""
    out: list[cst.CSTNode] = []
    for call in ctx.index.calls:
        if ctx.scope_of(call) is not scope:
            continue
        for arg in call.args:
            if dotted_name(arg.value) == name:
                out.append(arg.value)
    return out
