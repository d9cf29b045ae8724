"""What a module-level function of the project returns (or a module-level name holds),
for its callers and importers in the same file or in others.

Each file's module-level functions, and the names it binds once at module level, are
summarised as facts (:class:`~lintnn.static.syntax.project.FunctionSummary`): ``returns
loss:mean`` for ``def get_loss(cfg): return nn.CrossEntropyLoss()``, ``holds loss`` for
``criterion = nn.NLLLoss()``. A rule that meets the object such a call built (``criterion =
get_loss(cfg)``, ``from losses import criterion``) asks for the fact: answered at once for
a function of its own file, else as a
:data:`~lintnn.static.syntax.project.FUNCTION` requirement that the project index settles
once every file is read (the defining file is summarised only then, and only if asked:
``engine.deferred``). Whatever cannot be followed gives no fact: the rule stays silent.
"""

from __future__ import annotations

import re

import libcst as cst

from lintnn.static import knowledge
from lintnn.static.analyses import datasets as D
from lintnn.static.analyses import selection
from lintnn.static.analyses.losses import LOSS_ROLES, constructor_of, loss_reduction
from lintnn.static.knowledge import roles as R
from lintnn.static.syntax.context import FileContext, returns_of
from lintnn.static.syntax.dataflow import Kind, Value
from lintnn.static.syntax.index import iter_children
from lintnn.static.syntax.nodes import is_self_attribute, target_names
from lintnn.static.syntax.project import (
    FUNCTION,
    FunctionSummary,
    Requirement,
    project_module,
)

# Facts about an object (what a function returns, what a name holds).
LOSS_OBJECT = "loss"  # a known classification loss object (``nn.CrossEntropyLoss()``)
MEAN_LOSS = "loss:mean"  # a known loss object that averages over the batch
RETURNS = "returns "  # prefix: what every return of a function gives
HOLDS = "holds "  # prefix: what a module-level name is bound to
DOES = "does "  # prefix: what a function does when it is called
# Facts about what a function does.
TRAINS = "trains"  # it takes optimisation steps (``loss.backward()``, ``optimizer.step()``)


# The words a parameter that holds a loss object is named by (``criterion``, ``cost``,
# ``loss_fn``): a called parameter is taken for a caller's loss only under such a name, so a
# rule's gate can name them.
_LOSS_WORDS = ("loss", "criterion", "cost", "crit")


def names_a_loss(name: str) -> bool:
    """``criterion``, ``loss_fn``, ``cost``: a name a loss object may be passed under."""
    lowered = name.lower()
    return any(word in lowered for word in _LOSS_WORDS)


def callee_name(call: cst.Call) -> str:
    """The last name of what ``call`` calls (``cost`` in ``cost(out, y)`` and in
    ``self.cost(out, y)``), as the gate's features record it; "" for anything else."""
    func = call.func
    if type(func) is cst.Attribute:
        return func.attr.value
    return func.value if type(func) is cst.Name else ""


def selects_on(key: str) -> str:
    """The fact of a function whose branch keeps the weights (saves, copies them) when its
    argument ``key`` (``#1``: the second positional one; or its name) ranks above another
    argument: it selects the model by the score it is given."""
    return f"selects {key}"

# A module-level ``def`` or a single name bound at module level: what the summaries cover.
_MODULE_NAMES = re.compile(r"^(?:async[ \t]+)?def[ \t]+(\w+)|^([A-Za-z_]\w*)[ \t]*=[^=]",
                           re.MULTILINE)


def module_level_names(text: str) -> frozenset[str]:
    """The names a file may summarise (its module-level functions and assignments), read
    from its text: the run summarises it only if a finding asks about one of them."""
    return frozenset(a or b for a, b in _MODULE_NAMES.findall(text))


def summarize_functions(ctx: FileContext) -> list[FunctionSummary]:
    """The facts of the file's module-level functions and of its names bound once at
    module level (those with none left out)."""
    found: list[FunctionSummary] = []
    body = ctx.module.body
    defined = {s.name.value for s in body if type(s) in (cst.FunctionDef, cst.ClassDef)}
    for statement in body:
        if type(statement) is cst.FunctionDef:
            facts = frozenset(RETURNS + f for f in returned_facts(ctx, statement)) | {
                DOES + f for f in _done(ctx, statement)}
            if facts:
                found.append(FunctionSummary(_qualname(ctx, statement.name.value), facts))
    for name, value in _bound_once(ctx).items():
        if name in defined:
            continue
        facts = frozenset(HOLDS + f for f in object_facts(ctx.value(value)))
        if facts:
            found.append(FunctionSummary(_qualname(ctx, name), facts))
    return found


def _qualname(ctx: FileContext, name: str) -> str:
    return f"{ctx.module_name}.{name}" if ctx.module_name else name


def _bound_once(ctx: FileContext) -> dict[str, cst.BaseExpression]:
    """Module-level names bound by exactly one assignment of the whole file (``x = ...``
    alone, never ``global``-rebound, augmented or unpacked), with the value bound."""
    counts: dict[str, int] = {}
    values: dict[str, cst.BaseExpression] = {}
    for assign in ctx.index.assignments:
        for target in assign.targets:
            for name in target_names(target.target):
                counts[name] = counts.get(name, 0) + 1
        if ctx.scope_of(assign) is ctx.module and len(assign.targets) == 1 and type(
                assign.targets[0].target) is cst.Name and (
                ctx.index.enclosing_class(assign) is None):
            values[assign.targets[0].target.value] = assign.value
    return {name: value for name, value in values.items() if counts.get(name) == 1
            and name not in _rebound_otherwise(ctx)}


def _rebound_otherwise(ctx: FileContext) -> set[str]:
    """Names bound by something else than ``=``: ``+=``, ``for``, ``with ... as``, ``global``."""
    cached = ctx.__dict__.get("_functions_rebound")
    if cached is not None:
        return cached
    names: set[str] = set()
    todo: list[cst.CSTNode] = [ctx.module]
    while todo:
        node = todo.pop()
        if type(node) in (cst.AugAssign, cst.AnnAssign, cst.For, cst.NamedExpr):
            names.update(target_names(node.target))
        elif type(node) is cst.WithItem and node.asname is not None:
            names.update(target_names(node.asname.name))
        elif type(node) in (cst.Global, cst.Nonlocal):
            names.update(n.name.value for n in node.names)
        todo.extend(iter_children(node))
    ctx.__dict__["_functions_rebound"] = names
    return names


def returned_facts(ctx: FileContext, fn: cst.FunctionDef) -> frozenset[str]:
    """The facts every ``return`` of ``fn`` agrees on (none when one returns nothing or
    something unknown); made once per function."""
    cache: dict[cst.FunctionDef, frozenset[str]] = ctx.__dict__.setdefault(
        "_function_facts", {})
    if fn not in cache:
        cache[fn] = frozenset()  # recursion: nothing known
        cache[fn] = _returned_facts(ctx, fn)
    return cache[fn]


def _returned_facts(ctx: FileContext, fn: cst.FunctionDef) -> frozenset[str]:
    returned = returns_of(fn)
    if not returned or any(r.value is None for r in returned):
        return frozenset()
    flow = ctx.flow(fn)
    found: frozenset[str] | None = None
    for r in returned:
        facts = object_facts(flow.value_of(r.value))  # type: ignore[arg-type]
        found = facts if found is None else found & facts
        if not found:
            return frozenset()
    return found or frozenset()


def _done(ctx: FileContext, fn: cst.FunctionDef) -> set[str]:
    """What calling ``fn`` does: trains (TRAINS), selects on an argument (:func:`selects_on`)."""
    done = {TRAINS} if D.is_training_loop(ctx, fn.body) else set()
    return done | {selects_on(key) for key in _selecting_arguments(ctx, fn)}


def _selecting_arguments(ctx: FileContext, fn: cst.FunctionDef) -> set[str]:
    """The keys (``#<position>`` and name) of the parameters a branch of ``fn`` (not in a
    loop of it) ranks against another parameter before it keeps the weights:
    ``if current_acc > best_acc: torch.save(model.state_dict(), path)``."""
    positional = [*fn.params.posonly_params, *fn.params.params]
    keys = {p.name.value: (f"#{i}", p.name.value) for i, p in enumerate(positional)}
    keys.update({p.name.value: (p.name.value,) for p in fn.params.kwonly_params})
    found: set[str] = set()
    for branch in D.nodes_of(ctx, cst.If):
        if type(branch) is not cst.If or ctx.index.enclosing_function(branch) is not fn or any(
                ctx.index.is_inside(loop, fn) for loop in ctx.index.enclosing_loops(branch)):
            continue
        ranked: set[str] = set()
        for comparison in selection.comparisons(branch.test):
            sides = [comparison.left, *(c.comparator for c in comparison.comparisons)]
            reads = [selection.names_read(ctx, side, branch, 0) & keys.keys() for side in sides]
            if selection.orders(comparison) and all(reads):  # a score against the best given
                ranked = ranked.union(*reads)
        if ranked and (selection.keeps_or_stops(ctx, branch.body) or (
                branch.orelse is not None and selection.keeps_or_stops(ctx, branch.orelse))):
            found.update(key for name in ranked for key in keys[name])
    return found


def object_facts(value: Value | None) -> frozenset[str]:
    """What an object is, as the summaries say it: a known loss object (LOSS_OBJECT for a
    classification loss), averaging over the batch (MEAN_LOSS)."""
    if value is None or value.kind is not Kind.INSTANCE or value.entry is None:
        return frozenset()
    roles = value.entry.roles
    facts: set[str] = set()
    if roles & LOSS_ROLES and R.LOSS_KERAS_FROM_LOGITS not in roles:
        facts.add(LOSS_OBJECT)
    constructor = constructor_of(value)
    if (roles & LOSS_ROLES or R.LOSS_REGRESSION in roles) and constructor is not None and (
            loss_reduction(constructor) == "mean"):
        facts.add(MEAN_LOSS)
    return frozenset(facts)


# Asking ----------------------------------------------------------------------------


def object_fact(ctx: FileContext, expr: cst.BaseExpression,
                fact: str) -> bool | Requirement:
    """Whether the object ``expr`` names (``criterion``, ``self.loss``) has ``fact``, when
    a project function built it (``criterion = get_loss(cfg)``) or another project file
    binds it (``from losses import criterion``): True or False when this file settles it,
    a requirement on the other file's summary otherwise. False when unsure."""
    imported = _project_name(ctx, expr)
    if imported is not None:
        return Requirement(imported, FUNCTION, HOLDS + fact, str(ctx.path))
    built = _binding(ctx, expr)
    if type(built) is not cst.Call:
        return False
    fn = ctx.call_graph.target(built)
    if fn is not None:
        if ctx.index.enclosing_class(fn) is not None or ctx.scope_of(fn) is not ctx.module:
            return False
        ctx.depends_on(fn)
        return fact in returned_facts(ctx, fn)
    function = _project_name(ctx, built.func)
    if function is None:
        return False
    return Requirement(function, FUNCTION, RETURNS + fact, str(ctx.path))


def project_function(ctx: FileContext, call: cst.Call) -> str | None:
    """The qualified name of the function of another project file ``call`` calls (imported:
    ``from utils import save_best_model``), or None."""
    return _project_name(ctx, call.func)


def function_requirement(function: str, keys: list[str], fact: str,
                         near: str) -> Requirement:
    """``function`` has ``DOES`` ``fact(key)`` for one of ``keys``."""
    first, *rest = [Requirement(function, FUNCTION, DOES + fact.format(key=key), near)
                    for key in keys]
    return Requirement(first.class_qualname, FUNCTION, first.role, near, tuple(rest))


def _project_name(ctx: FileContext, expr: cst.BaseExpression) -> str | None:
    """The qualified name of a function or object imported from the project (not a
    framework's, not a class: a capitalised name is a class the class summaries cover)."""
    if type(expr) not in (cst.Name, cst.Attribute) or is_self_attribute(expr):
        return None
    qualname = ctx.qualname(expr)
    if qualname is None or "." not in qualname or knowledge.lookup(qualname) or not (
            project_module(ctx.path, qualname.split(".")[0])):
        return None
    last = qualname.rsplit(".", 1)[-1]
    return None if last[:1].isupper() else qualname


def _binding(ctx: FileContext, expr: cst.BaseExpression) -> cst.BaseExpression | None:
    """The one value ``expr`` was bound to, with methods that return the same object taken
    off (``criterion = get_loss(cfg).to(device)``): a local name's last assignment before
    ``expr``; a name the function does not bind, its module-level assignment (the only
    one of the file); ``self.attr``, its class's only assignment of it."""
    if type(expr) is cst.Name:
        value = _name_binding(ctx, expr)
    elif is_self_attribute(expr):
        value = _attribute_binding(ctx, expr)  # type: ignore[arg-type]
    else:
        return None
    return constructor_of(Value(Kind.RESULT, node=value)) if type(
        value) is cst.Call else value


def _name_binding(ctx: FileContext, name: cst.Name) -> cst.BaseExpression | None:
    scope = ctx.scope_of(name)
    if type(scope) is cst.FunctionDef and name.value in ctx.flow(scope).local_names:
        return ctx.assigned_value(name.value, name)
    bound = _bound_once(ctx)
    if name.value not in bound:
        return None
    ctx.depends_on(ctx.index.statement_of(bound[name.value]) or bound[name.value])
    return bound[name.value]


def _attribute_binding(ctx: FileContext, expr: cst.Attribute) -> cst.BaseExpression | None:
    owner = ctx.index.enclosing_class(expr)
    if owner is None:
        return None
    ctx.depends_on(owner)
    values = [a.value for a in ctx.index.within(ctx.index.assignments, owner)
              if any(is_self_attribute(t.target, expr.attr.value) for t in a.targets)]
    return values[0] if len(values) == 1 else None
