"""NN513: a sum of per-batch mean losses divided by the number of samples."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.analyses.functions import MEAN_LOSS, callee_name, names_a_loss, object_fact
from lintnn.static.analyses.loops import source_order
from lintnn.static.analyses.losses import (
    LOSS_ROLES,
    computes_a_loss,
    constructor_of,
    strip_to_number,
)
from lintnn.static.analyses.project_losses import passed_loss_call, passed_object_requirement
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind
from lintnn.static.syntax.nodes import (
    dotted_name,
    float_value,
    int_value,
    keyword,
    method_name,
    positional,
    target_names,
)
from lintnn.static.syntax.nodes import string_value as text
from lintnn.static.syntax.project import Requirement

# What turns a loss tensor into a number without changing its value.
# ``sum``/``mean`` of a scalar (an averaged loss) keep it; of an unreduced one, the
# reduction check below refuses the loss first.
# ``total += loss.sum().item()`` still adds the batch loss (a scalar: the sum is itself).
_REDUCTIONS = frozenset({"sum", "mean"})


_BY_BATCH_SIZE = (
    "a sum of per-batch mean losses is divided by the batch size: each batch's loss is "
    "already averaged over its samples, so the reported loss is batch_size times too small "
    "(and, unless also divided by the number of batches, grows with it); divide the sum by "
    "the number of batches, len(loader)"
)


class MeanLossDividedBySampleCount(Rule):
    """``total += criterion(out, y).item()`` over a loader, then
    ``total /= len(loader.dataset)``: the mean of each batch is divided again by its size."""

    code = "NN513"
    name = "mean-loss-divided-by-sample-count"
    severity = Severity.WARNING
    message = (
        "the sum of per-batch mean losses is divided by the number of samples: the reported "
        "loss is about batch_size times too small (and changes with the batch size); divide "
        "by the number of batches, len(loader), or sum per-sample losses "
        "(loss.item() * x.size(0), or reduction='sum')"
    )
    frameworks = ("torch",)
    triggers = ("dataset", ".size(", ".shape[", "len(", "__len__", "batch_size", "DataLoader")
    # ``len(loader.dataset)`` (or ``data.__len__()``), a count of samples added in the
    # loop (``n += y.size(0)``), or the loader's batch size (``loader.batch_size``, its
    # ``batch_size=``, or a size given by position to the ``DataLoader`` call); a loss
    # named here, or one from another file (imported, or a parameter called under a loss's
    # name that a caller passes).
    # And the total divided is added to in a loop of its scope (``_additions`` inside a
    # ``for``: both checks, ``_wrong_division`` and ``_divided_by_batch_size``, ask it).
    needs = (Needs(calls=("len", "size", "__len__"), names=("shape", "batch_size"),
                   callee_roles=(R.DATA_LOADER,)),
             Needs(roles=(*LOSS_ROLES, R.LOSS_REGRESSION), project_imports=True,
                   called=names_a_loss),
             Needs(divided_totals=True))

    def check(self, ctx: FileContext) -> None:
        # One finding per total: the same sum divided again (printed, then logged) is the
        # same bug, reported at its first division.
        first: dict[tuple[int, str],
                    tuple[cst.CSTNode, str | None, tuple[Requirement, ...]]] = {}
        order = source_order(ctx)
        for node, total, divisor in _divisions(ctx):
            base, factors = _quotient(total, divisor)
            name = dotted_name(base)
            if name is None:
                continue
            requires = self._wrong_division(ctx, node, name, divisor) if base is total else None
            message = None
            if requires is None:
                requires = _divided_by_batch_size(ctx, node, name, factors)
                message = _BY_BATCH_SIZE
            if requires is None:
                continue
            key = (id(ctx.scope_of(node)), name)
            if key not in first or order[node] < order[first[key][0]]:
                first[key] = (node, message, requires)
        for node, message, requires in first.values():
            ctx.report(node, message, requires=requires)

    def _wrong_division(self, ctx: FileContext, node: cst.CSTNode, name: str,
                        divisor: cst.BaseExpression) -> tuple[Requirement, ...] | None:
        """What must hold of other files for the division to be wrong (``()``: nothing);
        None when it is not."""
        scope = ctx.scope_of(node)
        loop = _counting_loop(ctx, scope, node, divisor)
        if loop is None:
            loop = _loader_loop(ctx, scope, node, divisor)
        if loop is None:
            return None
        added = _additions(ctx, scope, name)
        inside = [value for statement, value in added if loop in ctx.index.enclosing_loops(
            statement)]
        if not inside or len(inside) != len(added):
            return None
        return _mean_losses(ctx, inside, loop)


def _divisions(ctx: FileContext) -> list[tuple[cst.CSTNode, cst.BaseExpression,
                                                cst.BaseExpression]]:
    """(node, total, divisor) of each ``total / divisor`` and ``total /= divisor``."""
    found: list[tuple[cst.CSTNode, cst.BaseExpression, cst.BaseExpression]] = []
    for node in D.nodes_of(ctx, cst.AugAssign):
        if type(node.operator) is cst.DivideAssign:  # type: ignore[attr-defined]
            found.append((node, node.target, node.value))  # type: ignore[attr-defined]
    for node in D.nodes_of(ctx, cst.BinaryOperation):
        if type(node.operator) is cst.Divide:  # type: ignore[attr-defined]
            found.append((node, node.left, node.right))  # type: ignore[attr-defined]
    return found


def _loader_loop(ctx: FileContext, scope: cst.CSTNode, node: cst.CSTNode,
                 divisor: cst.BaseExpression) -> cst.For | None:
    """The last loop over ``loader`` before ``node`` when ``divisor`` is
    ``len(loader.dataset)`` (or a name assigned it)."""
    if type(divisor) is cst.Name:  # ``size = len(loader.dataset)`` earlier
        value = ctx.assigned_value(divisor.value, node)
        if value is None:
            return None
        divisor = value
    loader = _dataset_length_of(ctx, scope, divisor)
    if loader is None:
        return None
    loops = [loop for loop in ctx.index.within(ctx.index.loops, scope)
             if type(loop) is cst.For and loader in D.iterated_names(loop.iter)
             and _ends_before(ctx, scope, loop, node)]
    return loops[-1] if loops else None


def _ends_before(ctx: FileContext, scope: cst.CSTNode, loop: cst.CSTNode,
                 node: cst.CSTNode) -> bool:
    return ctx.scope_of(loop) is scope and ctx.index.before(loop, node) \
        and loop not in ctx.index.enclosing_loops(node)


def _counting_loop(ctx: FileContext, scope: cst.CSTNode, node: cst.CSTNode,
                   divisor: cst.BaseExpression) -> cst.For | None:
    """The loop that counts ``divisor``, a number of samples, batch by batch
    (``total_samples += labels.size(0)``): every addition to it adds the size of a batch
    the loop yields, and nothing else changes it in the scope."""
    name = divisor.value if type(divisor) is cst.Name else None
    if name is None:
        return None
    added = _additions(ctx, scope, name)
    loop = _adding_loop(ctx, added)
    if type(loop) is not cst.For or not _ends_before(ctx, scope, loop, node):
        return None
    batch = set(target_names(loop.target))
    whole = loop.target.value if type(loop.target) is cst.Name else None
    sizes = [_batch_size_of(value) for _, value in added]
    if not all(size is not None and size[0] in batch and not (size[1] and size[0] == whole)
               for size in sizes):
        return None  # ``len(batch)`` of a whole ``(x, y)`` batch counts its parts
    reset = [a for a in D.nodes_in_scope(ctx, cst.Assign, scope)
             if name in D.target_names(a) and not _adds_to(a, name)]
    if not reset or not all(ctx.index.before(a, loop) for a in reset):
        return None
    return loop if _assigns_zero(reset[-1], name) else None


def _assigns_zero(assign: cst.Assign, name: str) -> bool:
    """``n = 0``, ``a = n = 0`` or ``total, n = 0.0, 0``: the count starts from nothing."""
    for target in assign.targets:
        if dotted_name(target.target) == name:
            return float_value(assign.value) == 0
        if type(target.target) is cst.Tuple and type(assign.value) is cst.Tuple and (
                len(target.target.elements) == len(assign.value.elements)):
            for element, value in zip(target.target.elements, assign.value.elements, strict=True):
                if dotted_name(element.value) == name:
                    return float_value(value.value) == 0
    return False


def _adds_to(assign: cst.Assign, name: str) -> bool:
    value = assign.value
    return type(value) is cst.BinaryOperation and type(value.operator) is cst.Add \
        and name in (dotted_name(value.left), dotted_name(value.right))


def _batch_size_of(value: cst.BaseExpression) -> tuple[str | None, bool] | None:
    """``x`` in ``x.size(0)``, ``x.shape[0]``, ``x.size()[0]`` and ``len(x)`` (the number
    of rows of a tensor of the batch), and whether it was ``len``."""
    if type(value) is cst.Subscript and len(value.slice) == 1 and type(
            value.slice[0].slice) is cst.Index and int_value(value.slice[0].slice.value) == 0:
        inner = value.value
        if type(inner) is cst.Attribute and inner.attr.value == "shape":
            return dotted_name(inner.value), False
        if type(inner) is cst.Call and method_name(inner) == "size" and not inner.args:
            return dotted_name(inner.func.value), False  # type: ignore[attr-defined]
        return None
    if type(value) is not cst.Call:
        return None
    args = positional(value)
    if method_name(value) == "size" and len(value.args) == 1 and int_value(args[0]) == 0:
        return dotted_name(value.func.value), False  # type: ignore[attr-defined]
    if dotted_name(value.func) == "len" and len(value.args) == 1 and args:
        return dotted_name(args[0]), True
    return None


def _dataset_length_of(ctx: FileContext, scope: cst.CSTNode,
                       divisor: cst.BaseExpression) -> str | None:
    """``loader`` in ``len(loader.dataset)``, or in ``len(data)`` where the scope builds
    ``loader = DataLoader(data, ...)`` (``x.__len__()`` is ``len(x)``)."""
    measured = _length_of(divisor)
    if type(measured) is cst.Attribute and measured.attr.value == "dataset":
        return dotted_name(measured.value)
    key = _dataset_key(measured) if measured is not None else None
    if key is None or sum(key in D.target_names(a)
                          for a in D.nodes_in_scope(ctx, cst.Assign, scope)) > 1:
        return None  # a name bound twice may not hold the loader's data set any more
    loaders = {target for assign in D.nodes_in_scope(ctx, cst.Assign, scope)
               if (target := _loader_built_from(ctx, assign, key)) is not None}
    return next(iter(loaders)) if len(loaders) == 1 else None


def _length_of(divisor: cst.BaseExpression) -> cst.BaseExpression | None:
    """``x`` in ``len(x)`` and ``x.__len__()``."""
    if type(divisor) is not cst.Call:
        return None
    args = positional(divisor)
    if dotted_name(divisor.func) == "len" and len(divisor.args) == 1 and args:
        return args[0]
    if method_name(divisor) == "__len__" and not divisor.args and type(
            divisor.func) is cst.Attribute:
        return divisor.func.value
    return None


def _dataset_key(expr: cst.BaseExpression) -> str | None:
    """``train_set`` or ``datasets["train"]``: a data set named without a call."""
    name = dotted_name(expr)
    if name is not None:
        return name
    if type(expr) is cst.Subscript and len(expr.slice) == 1 and type(
            expr.slice[0].slice) is cst.Index:
        owner, key = dotted_name(expr.value), text(expr.slice[0].slice.value)
        if owner is not None and key is not None:
            return f"{owner}[{key!r}]"
    return None


def _loader_built_from(ctx: FileContext, assign: cst.Assign, key: str) -> str | None:
    """``loader`` of ``loader = DataLoader(data, ...)`` when ``data`` is ``key``."""
    call = assign.value
    if len(assign.targets) != 1 or type(assign.targets[0].target) is not cst.Name or (
            type(call) is not cst.Call):
        return None
    _, entry = ctx.callee(call)
    if entry is None or R.DATA_LOADER not in entry.roles:
        return None
    args = positional(call)
    data = args[0] if args else keyword(call, "dataset")
    if data is None or _dataset_key(data) != key:
        return None
    return assign.targets[0].target.value


def _additions(ctx: FileContext, scope: cst.CSTNode,
               name: str) -> list[tuple[cst.CSTNode, cst.BaseExpression]]:
    """Every ``name += value`` and ``name = name + value`` in ``scope`` (not in nested
    functions), with the value added."""
    found: list[tuple[cst.CSTNode, cst.BaseExpression]] = []
    for node in D.nodes_in_scope(ctx, cst.AugAssign, scope):
        if dotted_name(node.target) == name \
                and type(node.operator) is cst.AddAssign:
            found.append((node, node.value))
    for node in D.nodes_in_scope(ctx, cst.Assign, scope):
        if len(node.targets) != 1 \
                or dotted_name(node.targets[0].target) != name:
            continue
        value = node.value
        if type(value) is cst.BinaryOperation and type(value.operator) is cst.Add:
            if dotted_name(value.left) == name:
                found.append((node, value.right))
            elif dotted_name(value.right) == name:
                found.append((node, value.left))
    return found


def _adding_loop(ctx: FileContext, added: list[tuple[cst.CSTNode, cst.BaseExpression]]
                 ) -> cst.CSTNode | None:
    """The one innermost loop every addition of ``added`` sits in; None if there is none or
    they sit in different loops."""
    loops = {id(loop): loop for statement, _ in added
             for loop in ctx.index.enclosing_loops(statement)[:1]}
    return next(iter(loops.values())) if len(loops) == 1 else None


def _mean_losses(ctx: FileContext, values: list[cst.BaseExpression],
                 loop: cst.CSTNode) -> tuple[Requirement, ...] | None:
    """What must hold of other files for every one of ``values`` to be a batch's mean loss
    (``()``: nothing); None when one of them is not."""
    requires: list[Requirement] = []
    for value in values:
        mean = _mean_loss(ctx, value, loop)
        if mean is False:
            return None
        if isinstance(mean, Requirement) and mean not in requires:
            requires.append(mean)
    return tuple(requires)


_MAX_DEPTH = 4


def _mean_loss(ctx: FileContext, value: cst.BaseExpression, loop: cst.CSTNode,
               depth: int = 0) -> bool | Requirement:
    """``criterion(out, y).item()``, or ``loss.item()`` with ``loss = criterion(out, y)``
    in the loop: one batch's loss averaged over the batch (the default reduction); also a
    sum of such losses (``d_loss = d_loss_real + d_loss_fake``), still on the scale of one
    sample. The criterion may come from a project function or file (``criterion =
    get_loss(cfg)``, ``from losses import criterion``) or from the callers, as a parameter:
    a requirement on what that function returns, that file binds, or some caller passes
    (a sum is only taken where every part is certain)."""
    value = strip_to_number(value, _REDUCTIONS)
    if depth > _MAX_DEPTH:
        return False
    if type(value) is cst.BinaryOperation and type(value.operator) is cst.Add:
        return _mean_loss(ctx, value.left, loop, depth + 1) is True and _mean_loss(
            ctx, value.right, loop, depth + 1) is True
    if type(value) is cst.Name:
        bound = ctx.assigned_value(value.value, value)
        if bound is None or loop not in ctx.index.enclosing_loops(bound):
            return False
        return _mean_loss(ctx, bound, loop, depth + 1)
    if type(value) is not cst.Call or not _averages(value):
        return False
    if not computes_a_loss(ctx, value):
        return _project_mean_loss(ctx, value)
    constructor = _constructor(ctx, value)
    return constructor is None or _averages(constructor)


def _project_mean_loss(ctx: FileContext, call: cst.Call) -> bool | Requirement:
    """``call`` calls a mean-reduced loss object that a project function built, another
    file binds, or a caller passes (see :func:`_mean_loss`)."""
    passed = passed_loss_call(ctx, call)
    if passed is not None:
        return names_a_loss(callee_name(call)) and passed_object_requirement(
            passed, MEAN_LOSS, str(ctx.path))
    return object_fact(ctx, call.func, MEAN_LOSS)


def _constructor(ctx: FileContext, call: cst.Call) -> cst.Call | None:
    """The ``nn.CrossEntropyLoss(...)`` a criterion instance was built by, if known."""
    instance = ctx.value(call.func)
    if instance is None or instance.kind is not Kind.INSTANCE:
        return None
    return constructor_of(instance)


def _averages(call: cst.Call) -> bool:
    """No argument says otherwise than the default mean over the batch."""
    if keyword(call, "size_average") is not None or keyword(call, "reduce") is not None:
        return False
    reduction = keyword(call, "reduction")
    return reduction is None or text(reduction) == "mean"


# Dividing by the batch size ----------------------------------------------------------


def _quotient(total: cst.BaseExpression, divisor: cst.BaseExpression
              ) -> tuple[cst.BaseExpression, list[cst.BaseExpression]]:
    """``total`` and the factors it is divided by: ``(t / n) / bs`` and ``t / (n * bs)``
    give ``t`` and ``[n, bs]``."""
    factors = _factors(divisor)
    while type(total) is cst.BinaryOperation and type(total.operator) is cst.Divide:
        factors = [*_factors(total.right), *factors]
        total = total.left
    return total, factors


def _factors(expr: cst.BaseExpression) -> list[cst.BaseExpression]:
    if type(expr) is cst.BinaryOperation and type(expr.operator) is cst.Multiply:
        return [*_factors(expr.left), *_factors(expr.right)]
    return [expr]


def _divided_by_batch_size(ctx: FileContext, node: cst.CSTNode, name: str,
                           factors: list[cst.BaseExpression]
                           ) -> tuple[Requirement, ...] | None:
    """``total / BATCH_SIZE`` (also ``(total / n_batches) / bs``, ``total / ((i + 1) * bs)``)
    where ``total`` adds each batch's mean loss over one loop over ``loader`` (started
    before the loop, never restarted in it) and the factor is that loader's batch size:
    ``loader.batch_size``, the expression given as its ``batch_size=``, or, beside another
    factor, the same number. What must hold of other files for that (``()``: nothing);
    None when it is not so."""
    scope = ctx.scope_of(node)
    added = _additions(ctx, scope, name)
    loop = _adding_loop(ctx, added)
    if type(loop) is not cst.For or ctx.scope_of(loop) is not scope or not (
            loop in ctx.index.enclosing_loops(node) or _ends_before(ctx, scope, loop, node)):
        return None
    starts = [a for a in D.nodes_in_scope(ctx, cst.Assign, scope)
              if name in D.target_names(a) and not _adds_to(a, name)]
    if not starts or any(ctx.index.is_inside(a, loop) for a in starts):
        return None  # restarted inside the loop: a window of batches (``running_loss``)
    if not any(_is_batch_size(ctx, factor, loop, node, len(factors) > 1)
               for factor in factors):
        return None
    return _mean_losses(ctx, [value for _, value in added], loop)


def _is_batch_size(ctx: FileContext, factor: cst.BaseExpression, loop: cst.For,
                   at: cst.CSTNode, beside: bool) -> bool:
    """``factor`` is the batch size of a loader ``loop`` iterates."""
    loaders = D.iterated_names(loop.iter)
    if type(factor) is cst.Name:
        bound = ctx.assigned_value(factor.value, at)
        if type(bound) is cst.Attribute and _batch_size_attribute(bound, loaders):
            return True
    if _batch_size_attribute(factor, loaders):
        return True
    for loader in loaders:
        size = _loader_batch_size(ctx, loader, loop)
        if size is None:
            continue
        if beside and type(factor) is cst.Integer and int_value(factor) is not None \
                and int_value(factor) == int_value(size):
            return True
        named = dotted_name(size)
        if named is not None and named == dotted_name(factor) and _bound_once(ctx, named):
            return True
    return False


def _batch_size_attribute(expr: cst.BaseExpression, loaders: set[str]) -> bool:
    """``loader.batch_size`` of one of ``loaders``."""
    return type(expr) is cst.Attribute and expr.attr.value == "batch_size" and (
        dotted_name(expr.value) in loaders)


def _loader_batch_size(ctx: FileContext, loader: str, loop: cst.For
                       ) -> cst.BaseExpression | None:
    """The ``batch_size`` given to the ``DataLoader(...)`` that ``loader`` was bound to,
    in the loop's scope (or at module level)."""
    if "." in loader:
        return None
    call = ctx.assigned_value(loader, loop)
    if call is None and ctx.scope_of(loop) is not ctx.module:
        module_assigns = [a for a in D.nodes_in_scope(ctx, cst.Assign, ctx.module)
                          if loader in D.target_names(a)]
        call = module_assigns[0].value if len(module_assigns) == 1 and len(
            module_assigns[0].targets) == 1 else None
    if type(call) is not cst.Call:
        return None
    _, entry = ctx.callee(call)
    if entry is None or R.DATA_LOADER not in entry.roles:
        return None
    size = keyword(call, "batch_size")
    if size is None:
        args = positional(call)
        size = args[1] if len(args) > 1 else None
    return size


def _bound_once(ctx: FileContext, name: str) -> bool:
    """A plain name bound at most once in the file (a constant), or an attribute
    (``args.batch_size``)."""
    if "." in name:
        return True
    return sum(name in target_names(t.target) for a in ctx.index.assignments
               for t in a.targets) <= 1
