"""NN509: a JAX PRNG key used for randomness twice (or on every loop iteration)."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.analyses.loops import bound_names, source_order
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import keyword, method_name, names_in, positional
from lintnn.static.syntax.nodes import string_value as text

# jax.random functions that do not draw from the key they are given.
_NOT_SAMPLERS = frozenset({
    "PRNGKey", "key", "fold_in", "key_data", "wrap_key_data", "key_impl", "clone",
    "default_prng_impl", "split",
})


class PrngKeyReused(Rule):
    """The same PRNG key passed to random functions again without ``split``."""

    code = "NN509"
    name = "prng-key-reused"
    severity = Severity.ERROR
    message = (
        "this PRNG key was already used for random numbers: JAX keys are not stateful, so "
        "the same key gives the same numbers (identical dropout masks, identical noise); "
        "split it first: key, subkey = jax.random.split(key)"
    )
    frameworks = ("jax",)
    triggers = ("random.", "rngs", "Rngs", "initializers", "init")
    absent = ("",)
    # A key is made by ``jax.random`` (an import of jax, flax or optax), or it arrives as
    # a parameter and can then only be seen used through ``rngs=`` or ``.init(...)``.
    needs = (Needs(frameworks=("jax",), names=("rngs",), calls=("init", "init_with_output")),
             Needs(names=("random", "rngs", "Rngs", "initializers"),
                   calls=("init", "init_with_output")))

    def check(self, ctx: FileContext) -> None:
        if ctx.is_test_file:
            return  # tests reuse a key on purpose, to get the same numbers twice
        uses = [u for call in ctx.index.calls for u in _key_uses(ctx, call)]
        handed = [u for call in ctx.index.calls for u in _keys_handed_to_drawing_function(
            ctx, call)]
        reported: set[cst.CSTNode] = set()
        for name, node, call, _ in [*uses, *handed]:
            if node in reported:
                continue
            loop = _innermost_loop(ctx, call)
            if loop is not None and not any(n == name for n, _ in bound_names(loop)):
                reported.add(node)
                ctx.report(node, (
                    f"the PRNG key `{name}` is used on every iteration of this loop "
                    "without being split inside it: every iteration draws the same "
                    f"random numbers; split it in the loop: {name}, sub = "
                    f"jax.random.split({name})"))
        self._check_twice(ctx, [u for u in [*uses, *handed] if not u[3]], reported)
        self._check_twice(ctx, [u for u in uses if u[3]], reported)  # split twice
        self._check_twice(ctx, uses, reported, after_split=True)  # drawn once split
        self._check_shared_streams(ctx, reported)
        self._check_same_seed(ctx, {name for name, *_ in uses}, reported)

    def _check_same_seed(self, ctx: FileContext, drawn: set[str],
                         reported: set[cst.CSTNode]) -> None:
        """Keys made from the same seed give the same numbers: ``PRNGKey(0)`` made anew
        on every iteration of a loop, or two keys built from one seed expression
        (``k1 = jax.random.key(step)`` and ``k2 = jax.random.key(step)``)."""
        seen: dict[tuple[cst.CSTNode, str], cst.Call] = {}
        for call in ctx.index.calls:
            qualname = ctx.qualname(call.func) or ""
            if qualname not in _KEY_MAKERS or call in reported:
                continue
            name = _bound_to(ctx, call)
            seed = positional(call)[0] if positional(call) else None
            anonymous = name is None and _drawn_directly(ctx, call)
            if not (anonymous or name in drawn) or seed is None:
                continue
            label = f"`{name}`" if name else "drawn from here"
            loop = _innermost_loop(ctx, call)
            if loop is not None and not _reads_any(seed, {n for n, _ in bound_names(loop)}):
                reported.add(call)
                ctx.report(call, (
                    f"the PRNG key {label} is made from the same seed on every iteration of "
                    f"this loop: every iteration draws the same random numbers; make the key "
                    f"once before the loop and split it inside, or fold in the step "
                    f"(jax.random.fold_in(key, step))"))
                continue
            code = ctx.code(seed)
            first = seen.get((ctx.scope_of(call), code))
            # ``rng = PRNGKey(0)`` again under the same name starts the stream over (a
            # notebook's next demo cell): the first key is gone, not used beside this one.
            if first is not None and (anonymous or _bound_to(ctx, first) != name) and (
                    _dominates(ctx, first, call)) and not _rebound_between(
                    ctx, seed, first, call) and not (anonymous and _apart_at_top(
                    ctx, first, call)):
                reported.add(call)
                ctx.report(call, (
                    f"the PRNG key {label} is made from the same seed as the key made above "
                    f"(`{code}`): both give the same random numbers; split one key instead"))
            seen.setdefault((ctx.scope_of(call), code), call)

    def _check_twice(self, ctx: FileContext, uses: list[tuple[str, cst.CSTNode, cst.Call, bool]],
                     reported: set[cst.CSTNode], after_split: bool = False) -> None:
        """A use dominated by an earlier use of the same key, with no rebinding between;
        with ``after_split``, only a draw after a split (``k1, k2 = split(key)`` then
        ``normal(key, ...)``: the split consumed the key)."""
        order = source_order(ctx)
        for index, (name, _, call, split) in enumerate(uses):
            if after_split and not split:
                continue
            scope = ctx.scope_of(call)
            rebinds = [w for n, w in bound_names(scope) if n == name]
            for other, other_node, other_call, other_split in uses[index + 1:]:
                if other != name or other_node in reported or ctx.scope_of(other_call) is not scope:
                    continue
                if after_split and other_split:
                    continue
                if other_call is call or order[other_call] < order[call]:
                    continue
                if not _dominates(ctx, call, other_call) or _same_function(ctx, call, other_call):
                    continue
                own = ctx.index.statement_of(other_call)
                if any((order[call] < order[r] < order[other_call]
                        and not ctx.index.is_inside(r, own))
                       or ctx.index.is_inside(call, r) for r in rebinds):
                    continue  # rebound in between (not by the second use's own statement,
                    # which binds after the call), or by the first use's own statement
                reported.add(other_node)
                ctx.report(other_node, _AFTER_SPLIT.format(name=name) if after_split else None)
                break


    def _check_shared_streams(self, ctx: FileContext, reported: set[cst.CSTNode]) -> None:
        """One key given to two streams of one rngs mapping (``rngs={'params': key,
        'dropout': key}``): the streams draw the same numbers."""
        for streams in _rng_streams(ctx):
            seen: dict[str, str] = {}
            for stream, key in streams:
                first = seen.setdefault(key.value, stream)
                if first != stream and key not in reported and _made_as_key(ctx, key):
                    reported.update(k for _, k in streams if k.value == key.value)
                    ctx.report(key, (
                        f"the PRNG key `{key.value}` is given to two streams of these rngs "
                        f"(`{first}` and `{stream}`): both streams draw the same random "
                        f"numbers (initialisation and dropout masks are not independent); "
                        f"split it: k1, k2 = jax.random.split({key.value})"))


_AFTER_SPLIT = (
    "the PRNG key `{name}` was already split above: the keys the split made and the numbers "
    "drawn here come from the same key, so they are not independent; use one of the split "
    "keys, or rebind it: {name}, sub = jax.random.split({name})")


def _rng_streams(ctx: FileContext) -> list[list[tuple[str, cst.Name]]]:
    """The (stream, key name) pairs of each mapping of PRNG streams: the value of
    ``rngs=``, the first argument of ``.init(...)`` or ``nnx.Rngs(...)`` (a dict, or its
    keywords), also as a dict bound to a name that is passed there."""
    found = []
    for call in ctx.index.calls:
        qualname = ctx.qualname(call.func) or ""
        is_rngs = qualname.endswith(".Rngs") and qualname.startswith("flax.")
        if is_rngs and not positional(call):
            found.append([(a.keyword.value, a.value) for a in call.args
                          if a.keyword is not None and type(a.value) is cst.Name])
        given, init = keyword(call, "rngs"), False
        if given is None and (is_rngs or method_name(call) in ("init", "init_with_output")):
            given, init = (positional(call)[0] if positional(call) else None), not is_rngs
        if type(given) is cst.Name:
            assigned = ctx.last_assignment(given.value, call)
            given = assigned.value if assigned is not None and len(assigned.targets) == 1 \
                else None
        streams = _dict_streams(given) if type(given) is cst.Dict else []
        # ``opt.init(params)`` takes a pytree of arrays: only a dict with a ``params``
        # stream (which flax's init requires) is known to map streams to keys.
        if not init or any(stream == "params" for stream, _ in streams):
            found.append(streams)
    return found


# jax.random functions that return keys (the others return the numbers drawn).
_KEY_RESULTS = frozenset({"PRNGKey", "key", "split", "fold_in", "clone", "wrap_key_data"})


def _made_as_key(ctx: FileContext, name: cst.Name) -> bool:
    """``name`` holds a PRNG key, not an integer seed (``nnx.Rngs(params=seed,
    dropout=seed)`` seeds each stream): last bound to what a ``jax.random`` key function
    returns (also one of its items), or a parameter named as a key (``key``, ``rng``)."""
    assigned = ctx.last_assignment(name.value, name)
    if assigned is None:
        fn = ctx.index.enclosing_function(name)
        params = [p.name.value for p in fn.params.params] if fn is not None else []
        return name.value in params and bool({"key", "rng"} & set(D.words(name.value)))
    value = assigned.value
    if type(value) is cst.Subscript:
        value = value.value
    qualname = ctx.qualname(value.func) or "" if type(value) is cst.Call else ""
    return qualname.startswith("jax.random.") and qualname.rsplit(".", 1)[-1] in _KEY_RESULTS


def _dict_streams(mapping: cst.Dict) -> list[tuple[str, cst.Name]]:
    """``{'params': key, 'dropout': key}``: (stream, key) for each entry with a string
    key and a plain name as its value."""
    pairs = []
    for element in mapping.elements:
        if type(element) is cst.DictElement and type(element.value) is cst.Name:
            stream = text(element.key)
            if stream is not None:
                pairs.append((stream, element.value))
    return pairs


def _key_uses(ctx: FileContext, call: cst.Call) -> list[tuple[str, cst.CSTNode, cst.Call, bool]]:
    """(key name, key node, call, is a split) for each key a call draws from."""
    found = []
    drawn = drawn_key(ctx, call)
    if type(drawn) is cst.Name:
        split = (ctx.qualname(call.func) or "").endswith(".split")
        found.append((drawn.value, drawn, call, split))
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "rngs" and isinstance(
            arg.value, cst.Dict
        ):
            for element in arg.value.elements:
                if type(element) is cst.DictElement and type(element.value) is cst.Name:
                    found.append((element.value.value, element.value, call, False))
    return found


# Factories of jax.nn.initializers (also re-exported by flax) whose initializers draw
# from the key they are called with: ``init = uniform(2); init(key, shape)``.
_INITIALIZER_MODULES = ("jax.nn.initializers.", "flax.linen.initializers.",
                        "flax.nnx.initializers.")
_RANDOM_INITIALIZERS = frozenset({
    "uniform", "normal", "truncated_normal", "variance_scaling", "orthogonal",
    "delta_orthogonal", "glorot_uniform", "glorot_normal", "xavier_uniform", "xavier_normal",
    "he_uniform", "he_normal", "kaiming_uniform", "kaiming_normal", "lecun_uniform",
    "lecun_normal",
})


def drawn_key(ctx: FileContext, call: cst.Call) -> cst.BaseExpression | None:
    """The key ``call`` draws from (or splits): the first argument, or ``key=``, of a
    ``jax.random`` sampler, or the first argument of an initializer a random
    ``jax.nn.initializers`` factory made (``init = uniform(2); init(key, shape)``)."""
    qualname = ctx.qualname(call.func) or ""
    args = positional(call)
    if qualname.startswith("jax.random."):
        if qualname.rsplit(".", 1)[-1] in _NOT_SAMPLERS - {"split"}:
            return None
        return args[0] if args else keyword(call, "key")
    factory = call.func
    if type(factory) is cst.Name:
        assigned = ctx.last_assignment(factory.value, call)
        factory = assigned.value if assigned is not None and len(assigned.targets) == 1 \
            else None
    if type(factory) is not cst.Call:
        return None
    made_by = ctx.qualname(factory.func) or ""
    if made_by.startswith(_INITIALIZER_MODULES) and \
            made_by.rsplit(".", 1)[-1] in _RANDOM_INITIALIZERS:
        return args[0] if args else keyword(call, "key")
    return None


# Wrappers that call the function they are given with the same leading arguments.
_TRANSPARENT_WRAPPERS = frozenset({"jax.jit", "jax.pmap", "jax.vmap", "jax.checkpoint",
                                   "jax.remat", "functools.partial"})


def _keys_handed_to_drawing_function(
        ctx: FileContext, call: cst.Call, seen: frozenset[cst.FunctionDef] = frozenset(),
) -> list[tuple[str, cst.CSTNode, cst.Call, bool]]:
    """``train_step(key, state, batch)`` (also through ``p_step = jax.pmap(partial(
    train_step, ...))``, or by keyword) where ``train_step`` of this file consumes that
    parameter (draws from it, splits it, gives it as ``rngs=`` or to another such function
    of the file) before rebinding it: a use of the key, as if the call drew from it."""
    resolved = _drawing_target(ctx, call)
    if resolved is None or resolved[0] in seen:
        return []
    fn, shift = resolved
    params = [*fn.params.posonly_params, *fn.params.params]
    by_name = {p.name.value for p in [*params, *fn.params.kwonly_params]}
    found = []
    for position, arg in enumerate(call.args):
        if arg.star or type(arg.value) is not cst.Name:
            continue
        if arg.keyword is not None:
            name = arg.keyword.value if arg.keyword.value in by_name else None
        else:
            index = position + shift
            name = params[index].name.value if index < len(params) else None
        if name is not None and _draws_from_parameter(ctx, fn, name, seen | {fn}):
            found.append((arg.value.value, arg.value, call, False))
    return found


def _drawing_target(ctx: FileContext, call: cst.Call,
                    depth: int = 0) -> tuple[cst.FunctionDef, int] | None:
    """The function of this file ``call`` runs, through ``jax.jit``/``pmap``/``partial``
    wrappers bound to a name, and how many leading parameters a ``partial`` filled."""
    fn = ctx.call_graph.target(call)
    if fn is not None:
        return (fn, 0) if ctx.index.enclosing_class(fn) is None else None
    if type(call.func) is not cst.Name or depth > 0:
        return None
    value = ctx.assigned_value(call.func.value, call)
    return None if value is None else _unwrap(ctx, value, 0)


def _unwrap(ctx: FileContext, expr: cst.BaseExpression,
            shift: int) -> tuple[cst.FunctionDef, int] | None:
    if type(expr) is cst.Name:
        found = [fn for fn in ctx.index.functions if fn.name.value == expr.value]
        if len(found) == 1 and ctx.index.enclosing_class(found[0]) is None:
            return found[0], shift
        return None
    if type(expr) is not cst.Call or ctx.qualname(expr.func) not in _TRANSPARENT_WRAPPERS:
        return None
    args = positional(expr)
    if not args:
        return None
    filled = len(args) - 1 if ctx.qualname(expr.func) == "functools.partial" else 0
    return _unwrap(ctx, args[0], shift + filled)


def _same_function(ctx: FileContext, first: cst.Call, second: cst.Call) -> bool:
    """Both calls run the same function of this file (``init_mlp(sizes, key)`` again):
    the same key recomputes the same values on purpose (a restart, a demo redone), it
    does not draw numbers meant to be independent."""
    one, other = _drawing_target(ctx, first), _drawing_target(ctx, second)
    return one is not None and other is not None and one[0] is other[0]


def _draws_from_parameter(ctx: FileContext, fn: cst.FunctionDef, name: str,
                          seen: frozenset[cst.FunctionDef] = frozenset()) -> bool:
    """``fn`` passes its parameter ``name`` to a ``jax.random`` function that draws or
    splits, as ``rngs=``, or to a function of this file that does (two calls deep at
    most), before anything rebinds the name."""
    order = source_order(ctx)
    rebinds = [where for bound, where in bound_names(fn.body) if bound == name]
    for inner in ctx.index.within(ctx.index.calls, fn):
        if ctx.index.enclosing_function(inner) is not fn:
            continue
        keys = [key for key, _, _, _ in _key_uses(ctx, inner)]
        if name not in keys and len(seen) < _MAX_DEPTH and _reads_any(inner, {name}):
            keys = [key for key, *_ in _keys_handed_to_drawing_function(ctx, inner, seen)]
        if name in keys and not any(order[where] < order[inner] and not ctx.index.is_inside(
                inner, where) for where in rebinds):
            return True
    return False


# How many functions of the file deep a key handed on is followed.
_MAX_DEPTH = 2


def _innermost_loop(ctx: FileContext, call: cst.Call) -> cst.CSTNode | None:
    """The innermost loop that runs ``call`` on every iteration (not its ``for`` header),
    passing over loops that walk items written out in a list, tuple or set."""
    for loop in ctx.index.enclosing_loops(call):
        if (ctx.index.is_inside(call, loop.body) or type(loop) is cst.While) \
                and not _over_written_items(loop):
            return loop
    return None


def _over_written_items(loop: cst.CSTNode) -> bool:
    """``for split in ("train", "test")``: each iteration is a different named case (a
    split, a configuration of a sweep), drawn once; one seed for each is how such cases
    are made alike on purpose, not one step's randomness repeated on every step."""
    return type(loop) is cst.For and type(loop.iter) in (cst.List, cst.Tuple, cst.Set) \
        and not any(type(e) is cst.StarredElement for e in loop.iter.elements)


def _dominates(ctx: FileContext, first: cst.Call, second: cst.Call) -> bool:
    """``second`` runs whenever ``first`` has run (same block, or nested below it)."""
    block = ctx.index.parent(ctx.index.parent(ctx.index.statement_of(first)))
    if block is None or not ctx.index.is_inside(second, block):
        return False
    for ancestor in ctx.index.ancestors(second):
        if ancestor is block:
            return True
        if type(ancestor) in (cst.FunctionDef, cst.Lambda, cst.ClassDef):
            return False
    return False


_KEY_MAKERS = frozenset({"jax.random.PRNGKey", "jax.random.key"})


def _bound_to(ctx: FileContext, call: cst.Call) -> str | None:
    parent = ctx.index.parent(call)
    if type(parent) is cst.Assign and parent.value is call and len(parent.targets) == 1 \
            and type(parent.targets[0].target) is cst.Name:
        return parent.targets[0].target.value
    return None


def _drawn_directly(ctx: FileContext, call: cst.Call) -> bool:
    """``jax.random.normal(jax.random.PRNGKey(0), shape)``: a key made where it is drawn."""
    arg = ctx.index.parent(call)
    user = ctx.index.parent(arg) if type(arg) is cst.Arg else None
    return type(user) is cst.Call and drawn_key(ctx, user) is call


def _apart_at_top(ctx: FileContext, first: cst.Call, second: cst.Call) -> bool:
    """Two module-level statements (a notebook's demo cells each drawing from
    ``PRNGKey(0)``): only keys made in one statement are known to be meant apart."""
    if ctx.index.enclosing_function(first) is not None:
        return False
    return _top_statement(ctx, first) is not _top_statement(ctx, second)


def _top_statement(ctx: FileContext, node: cst.CSTNode) -> cst.CSTNode:
    top = node
    for ancestor in ctx.index.ancestors(node):
        if type(ancestor) is cst.Module:
            break
        top = ancestor
    return top


def _reads_any(node: cst.CSTNode, names: set[str]) -> bool:
    return any(name.value in names for name in names_in(node))


def _rebound_between(ctx: FileContext, seed: cst.CSTNode, first: cst.Call,
                     second: cst.Call) -> bool:
    """A name the seed reads is assigned between the two calls (``step += 1``)."""
    order = source_order(ctx)
    names = {n.value for n in names_in(seed)}
    scope = ctx.scope_of(first)
    return any(n in names and order[first] < order[where] < order[second]
               for n, where in bound_names(scope))
