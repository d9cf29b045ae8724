"""NN305: random data augmentation in a validation or test transform."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind
from lintnn.static.syntax.nodes import (
    argument,
    bool_value,
    dotted_name,
    float_value,
    keyword,
    positional,
)
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
    triggers = ("Random", "Jitter", "Augment", "Flip", "albumentations", "ImageDataGenerator")
    needs = (Needs(callee_roles=(R.RANDOM_AUGMENTATION,), names=("ImageDataGenerator",)),)

    def check(self, ctx: FileContext) -> None:
        reported: set[cst.CSTNode] = set()
        for call in ctx.index.calls:
            randoms = [r for r in _random_parts(ctx, call) if r not in reported]
            if not randoms or not _is_eval_transform(ctx, call):
                continue
            reported.update(randoms)  # one finding per pipeline, at its first random part
            ctx.report(randoms[0], _pipeline_message(randoms) if len(randoms) > 1 else None)
        for loader, parts in _eval_loaders_of_augmented_data(ctx):
            if not reported.intersection(parts):  # one finding per pipeline
                node = parts[0]
                reported.update(parts)
                ctx.report(node, (
                    f"random augmentation reaches evaluation: `{loader}` draws from a "
                    f"data set built with this random transform (a split of the training "
                    f"set by sampler shares its transform); give the evaluation part its "
                    f"own data set with a deterministic transform"))
        for generator in _generators_flowing_eval_data(ctx):
            if generator not in reported:
                reported.add(generator)
                ctx.report(generator, (
                    "this ImageDataGenerator augments at random (ranges, flips), and it also "
                    "feeds validation/test data: every flow*() of a generator draws from its "
                    "augmentation, so evaluation sees distorted images; use a second "
                    "ImageDataGenerator with only the rescaling for evaluation"))


def _pipeline_message(randoms: list[cst.Call]) -> str:
    names = ", ".join(f"`{(dotted_name(r.func) or '?').rsplit('.', 1)[-1]}`" for r in randoms)
    return (f"random augmentation in a validation/test transform ({names}): evaluation "
            f"metrics become noisy and biased (cropped, flipped, recoloured inputs); use "
            f"deterministic transforms (Resize, CenterCrop, Normalize) for evaluation")


def _random_parts(ctx: FileContext, call: cst.Call) -> list[cst.Call]:
    """The random transforms of a pipeline call (``Compose([...])``, keras ``Sequential``),
    or the call itself when it is one random transform."""
    _, entry = ctx.callee(call)
    if entry is None or entry.kind != "class":
        return []
    if _is_random(ctx, call):
        parent = ctx.index.parent(ctx.index.parent(call))  # Element -> List
        inside_pipeline = type(parent) in (cst.List, cst.Tuple)
        return [] if inside_pipeline else [call]
    if not entry.roles & {R.AUGMENTATION_COMPOSE, R.SEQUENTIAL}:
        return []
    args = positional(call)
    if len(args) != 1 or type(args[0]) not in (cst.List, cst.Tuple):
        return []
    return [el.value for el in args[0].elements
            if type(el.value) is cst.Call and _is_random(ctx, el.value)]


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
    if type(ctx.index.parent(call)) is cst.Return and D.clear_split(names[1]) == D.EVAL:
        return True
    if _passed_to_eval_dataset(ctx, call):
        return True
    variable = names[0]
    if variable is None or D.clear_split(variable) == D.EVAL:
        return False  # (an evaluation name was answered above)
    # ``train_transform`` too: a pipeline named for training but also given to an
    # evaluation data set (``ImageFolder(test_dir, transform=train_transform)``)
    scope = ctx.scope_of(call)
    return any(
        _passed_to_eval_dataset(ctx, use) for use in _uses(ctx, variable, scope)
    )


def _dict_key(ctx: FileContext, call: cst.Call) -> str | None:
    """``{"val": Compose(...)}`` -> ``"val"``."""
    parent = ctx.index.parent(call)
    if type(parent) is cst.DictElement and parent.value is call:
        return text(parent.key)
    return None


def _passed_to_eval_dataset(ctx: FileContext, node: cst.CSTNode) -> bool:
    """``Dataset(..., transform=<node>)`` where the dataset is an evaluation one."""
    arg = ctx.index.parent(node)
    if type(arg) is not cst.Arg or arg.keyword is None or "transform" not in arg.keyword.value:
        return False
    if D.clear_split(arg.keyword.value) is not None:
        return D.clear_split(arg.keyword.value) == D.EVAL
    dataset = ctx.index.parent(arg)
    if type(dataset) is not cst.Call:
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


# keras ImageDataGenerator ---------------------------------------------------------------

# Arguments that make an ImageDataGenerator random when they are set (not 0 / False).
_RANDOM_GENERATOR_ARGS = ("rotation_range", "width_shift_range", "height_shift_range",
                          "brightness_range", "shear_range", "zoom_range",
                          "channel_shift_range", "horizontal_flip", "vertical_flip")
_FLOWS = ("flow", "flow_from_directory", "flow_from_dataframe")


def _generators_flowing_eval_data(ctx: FileContext) -> list[cst.Call]:
    """Random ImageDataGenerators (their constructor calls) with a ``flow*()`` of
    evaluation data: assigned to an evaluation name, over evaluation data or an evaluation
    folder, ``subset="validation"``, or passed as ``validation_data=``."""
    found: list[cst.Call] = []
    for call in ctx.index.calls:
        if not (type(call.func) is cst.Attribute and call.func.attr.value in _FLOWS):
            continue
        generator = ctx.value(call.func.value)
        if generator is None or generator.kind is not Kind.INSTANCE or not generator.has(
                R.AUGMENTING_GENERATOR) or type(generator.node) is not cst.Call:
            continue
        if _random_generator(generator.node) and (
                _flows_eval_data(ctx, call) or _eval_data_from_callers(ctx, call, generator.node)):
            found.append(generator.node)
    return found


def _eval_data_from_callers(ctx: FileContext, flow: cst.Call, generator: cst.Call) -> bool:
    """``def augment(gen, X, y): gen.flow(X, y)``, called with this generator and
    evaluation data (``augment(aug, X_val, y_val)``, or as ``validation_data=``)."""
    fn = ctx.index.enclosing_function(flow)
    data = positional(flow)[0] if positional(flow) else None
    receiver = flow.func.value  # type: ignore[attr-defined]
    if fn is None or type(data) is not cst.Name or type(receiver) is not cst.Name:
        return False
    params = {p.name.value: p for p in (*fn.params.params, *fn.params.kwonly_params)}
    data_param, generator_param = params.get(data.value), params.get(receiver.value)
    if data_param is None or generator_param is None:
        return False
    for site in ctx.call_graph.callers(fn):
        passed = ctx.call_graph.argument_for(fn, generator_param, site)
        value = ctx.value(passed) if passed is not None else None
        if value is None or value.node is not generator:
            continue  # another generator (a plain one for evaluation) at this call
        name = D.data_name(ctx.call_graph.argument_for(fn, data_param, site))
        if D.has_word(name, _TTA_WORDS):
            continue
        arg = ctx.index.parent(site)
        as_validation = type(arg) is cst.Arg and arg.keyword is not None and (
            arg.keyword.value == "validation_data")
        if D.clear_split(name) == D.EVAL or as_validation:
            return True
    return False


def _random_generator(built: cst.Call) -> bool:
    if any(arg.star for arg in built.args):
        return False
    for name in _RANDOM_GENERATOR_ARGS:
        value = keyword(built, name)
        if value is None:
            continue
        number = float_value(value)
        if bool_value(value) is True or (number is not None and number != 0.0):
            return True
        if type(value) in (cst.List, cst.Tuple):  # brightness_range=[0.8, 1.2]
            return True
    return False


def _flows_eval_data(ctx: FileContext, flow: cst.Call) -> bool:
    if D.clear_split(text(keyword(flow, "subset"))) == D.EVAL:
        return True
    names = [D.assigned_name(ctx, flow), D.data_name(positional(flow)[0])
             if positional(flow) else None]
    if any(D.has_word(n, _TTA_WORDS) for n in names):
        return False
    if any(D.clear_split(n) == D.EVAL for n in names):
        return True
    arg = ctx.index.parent(flow)
    return type(arg) is cst.Arg and arg.keyword is not None and (
        arg.keyword.value == "validation_data")


# An evaluation loader over a data set with a random transform --------------------------

def _eval_loaders_of_augmented_data(ctx: FileContext) -> list[tuple[str, list[cst.Call]]]:
    """``valid_loader = DataLoader(train_data, sampler=valid_sampler)`` where ``train_data``
    was built with ``transform=`` a random pipeline: (the loader's name, the random parts)."""
    found: list[tuple[str, list[cst.Call]]] = []
    for call in ctx.index.calls:
        _, entry = ctx.callee(call)
        if entry is None or R.DATA_LOADER not in entry.roles:
            continue
        name = D.assigned_name(ctx, call)
        sampler = D.data_name(keyword(call, "sampler"))
        if not any(D.clear_split(n) == D.EVAL and not D.has_word(n, _TTA_WORDS)
                   for n in (name, sampler)):
            continue
        dataset = _built_at(ctx, argument(call, 0, "dataset"), call)
        transform = keyword(dataset, "transform") if dataset is not None else None
        pipeline = _built_at(ctx, transform, call)
        if pipeline is None:
            continue
        parts = _random_parts(ctx, pipeline)
        if parts:
            found.append((name or "this loader", parts))
    return found


def _built_at(ctx: FileContext, expr: cst.BaseExpression | None,
              at: cst.CSTNode) -> cst.Call | None:
    """The call that built ``expr``: the call itself, or the last assignment of its name."""
    if type(expr) is cst.Call:
        return expr
    if type(expr) is cst.Name:
        assigned = ctx.last_assignment(expr.value, at)
        if assigned is not None and type(assigned.value) is cst.Call:
            return assigned.value
    return None
