"""A libcst tree without trivia, built from CPython's ``ast`` tree of the same text.

libcst's parse is more than half of a batch run's CPU (``benchmarks/profile_static.py``),
and most of it builds what the rules never read: whitespace, comments, commas, brackets.
CPython's parser, which judges every file first anyway, has already found the structure
at C speed. :func:`module_from_ast` turns its tree into the libcst nodes libcst's parser
would have built, node for node and field for field, except the trivia: every whitespace,
comment and punctuation field keeps its default; ``lpar``/``rpar`` stay empty. What a
rule reads as text is the source's own: a number's ``value`` (``1e-3``), a string's (with
its prefix and quotes), each part of an implicit concatenation. f-strings are handed to
libcst's expression parser (their parts are not in CPython 3.11's tree as written).

Such a tree has no positions worth the name and renders code with default spacing, so a
run that finds something in a file analyses it again on libcst's own tree
(:func:`lintnn.static.engine.analyze.analyze_text`): the tree from here only has to show
that a file holds no finding, which needs the structure only. ``tests/test_from_ast.py``
and ``benchmarks/light_tree_check.py`` compare the two trees' structure on real sources.

A construct not converted here (``match`` statements) raises :class:`Unconvertible`: the
caller parses with libcst instead.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from typing import Any

import libcst as cst

from lintnn.static.engine.fast_parse import install, light_constructor

__all__ = ["Unconvertible", "module_from_ast"]


class Unconvertible(Exception):
    """The tree holds a construct :func:`module_from_ast` does not build."""


_NEWLINE = re.compile(r"\r\n|\r|\n")
# One string literal as written: its prefix, then a body in which a backslash escapes the
# next character and a quote that is not the closing one is text.
_ONE_STRING = re.compile(
    r"[rRbBuUfF]{0,2}(?:"
    r"'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"
    r'|"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'
    r"|'[^'\\\r\n]*(?:\\.[^'\\\r\n]*)*'"
    r'|"[^"\\\r\n]*(?:\\.[^"\\\r\n]*)*")', re.DOTALL)
# What may stand between the literals of an implicit concatenation.
_BETWEEN_STRINGS = re.compile(r"(?:[ \t\f\r\n]|\\\r?\n|\\\r|#[^\r\n]*)*")

_BINARY: dict[type, str] = {
    ast.Add: "Add", ast.Sub: "Subtract", ast.Mult: "Multiply", ast.Div: "Divide",
    ast.FloorDiv: "FloorDivide", ast.Mod: "Modulo", ast.Pow: "Power",
    ast.LShift: "LeftShift", ast.RShift: "RightShift", ast.BitOr: "BitOr",
    ast.BitAnd: "BitAnd", ast.BitXor: "BitXor", ast.MatMult: "MatrixMultiply",
}
_AUGMENTED: dict[type, str] = {
    ast.Add: "AddAssign", ast.Sub: "SubtractAssign", ast.Mult: "MultiplyAssign",
    ast.Div: "DivideAssign", ast.FloorDiv: "FloorDivideAssign",
    ast.Mod: "ModuloAssign", ast.Pow: "PowerAssign", ast.LShift: "LeftShiftAssign",
    ast.RShift: "RightShiftAssign", ast.BitOr: "BitOrAssign",
    ast.BitAnd: "BitAndAssign", ast.BitXor: "BitXorAssign",
    ast.MatMult: "MatrixMultiplyAssign",
}
_UNARY: dict[type, str] = {
    ast.Not: "Not", ast.USub: "Minus", ast.UAdd: "Plus", ast.Invert: "BitInvert",
}
_COMPARISON: dict[type, str] = {
    ast.Eq: "Equal", ast.NotEq: "NotEqual", ast.Lt: "LessThan",
    ast.LtE: "LessThanEqual", ast.Gt: "GreaterThan", ast.GtE: "GreaterThanEqual",
    ast.Is: "Is", ast.IsNot: "IsNot", ast.In: "In", ast.NotIn: "NotIn",
}
_BOOLEAN: dict[type, str] = {ast.And: "And", ast.Or: "Or"}
_SMALL = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Raise,
          ast.Assert, ast.Pass, ast.Break, ast.Continue, ast.Delete, ast.Global,
          ast.Nonlocal, ast.Import, ast.ImportFrom)


def module_from_ast(tree: ast.Module, text: str) -> cst.Module:
    """The libcst module of ``text`` (which CPython parsed into ``tree``), without trivia.

    Raises :class:`Unconvertible` for a construct it does not build."""
    install()  # nodes hash and compare by identity in C, as parsed ones do
    return _Builder(text).module(tree)


class _Constructors:
    """libcst's node classes by name, as :func:`light_constructor` builds them (made on
    first use)."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        made = light_constructor(getattr(cst, name))
        setattr(self, name, made)
        return made


new = _Constructors()


class _Source:
    """Offsets in ``text`` of CPython's positions (a line, and a column in UTF-8 bytes)."""

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        starts.extend(match.end() for match in _NEWLINE.finditer(text))
        self.starts = starts

    def offset(self, line: int, column: int) -> int:
        start = self.starts[line - 1]
        head = self.text[start:start + column]
        if head.isascii():
            return start + column
        # a column counts UTF-8 bytes: find the characters that fill ``column`` bytes
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        encoded = self.text[start:end].encode("utf-8", "surrogatepass")
        return start + len(encoded[:column].decode("utf-8", "surrogatepass"))

    def start(self, node: Any) -> int:
        return self.offset(node.lineno, node.col_offset)

    def end(self, node: Any) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)

    def segment(self, node: Any) -> str:
        return self.text[self.start(node):self.end(node)]

    def line_before(self, node: Any) -> str:
        """The text of ``node``'s first line before it."""
        return self.text[self.starts[node.lineno - 1]:self.start(node)]


def _string_tokens(segment: str) -> list[str]:
    """The string literals of an implicit concatenation, as written (whitespace, comments,
    backslash continuations and newlines between them left out)."""
    if _ONE_STRING.fullmatch(segment):
        return [segment]
    tokens, at, size = [], 0, len(segment)
    while at < size:
        gap = _BETWEEN_STRINGS.match(segment, at)
        at = gap.end()  # type: ignore[union-attr]  (it matches the empty string)
        if at == size:
            break
        string = _ONE_STRING.match(segment, at)
        if string is None:
            raise Unconvertible(f"unexpected text in a string: {segment[at:at + 20]!r}")
        tokens.append(string.group())
        at = string.end()
    return tokens


def _closing(segment: str, opening: int) -> int:
    """The index of the bracket that closes the one at ``opening`` (strings and comments
    skipped), or -1."""
    depth, at, size = 0, opening, len(segment)
    while at < size:
        char = segment[at]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return at
        elif char == "#":
            newline = _NEWLINE.search(segment, at)
            at = size if newline is None else newline.start()
            continue
        elif char in "'\"":
            string = _ONE_STRING.match(segment, at)
            at = size if string is None else string.end()
            continue
        at += 1
    return -1


class _Builder:
    """The libcst nodes of one file's CPython nodes."""

    def __init__(self, text: str) -> None:
        self.source = _Source(text)

    # -- statements --------------------------------------------------------------------

    def module(self, tree: ast.Module) -> cst.Module:
        return new.Module(body=self.lines(tree.body))

    def lines(self, body: Sequence[ast.stmt]) -> list[cst.BaseStatement]:
        """Statements as libcst groups them: small ones joined by ``;`` share a line."""
        out: list[cst.BaseStatement] = []
        group: list[cst.BaseSmallStatement] = []
        for node in body:
            if isinstance(node, _SMALL):
                if group and not self.source.line_before(node).rstrip().endswith(";"):
                    out.append(new.SimpleStatementLine(body=group))
                    group = []
                group.append(self.statement(node))
            else:
                if group:
                    out.append(new.SimpleStatementLine(body=group))
                    group = []
                out.append(self.statement(node))
        if group:
            out.append(new.SimpleStatementLine(body=group))
        return out

    def statement(self, node: ast.stmt) -> Any:
        build = _STATEMENTS.get(type(node))
        if build is None:
            raise Unconvertible(f"a {type(node).__name__} statement")
        return build(self, node)

    def suite(self, body: Sequence[ast.stmt]) -> cst.BaseSuite:
        """An indented block, or the statements after the colon on the header's line."""
        if self.source.line_before(body[0]).strip():
            return new.SimpleStatementSuite(body=[self.statement(node) for node in body])
        return new.IndentedBlock(body=self.lines(body))

    def expression_statement(self, node: ast.Expr) -> cst.Expr:
        return new.Expr(value=self.expression(node.value))

    def assign(self, node: ast.Assign) -> cst.Assign:
        return new.Assign(targets=[new.AssignTarget(target=self.expression(target))
                                   for target in node.targets],
                          value=self.expression(node.value))

    def augmented(self, node: ast.AugAssign) -> cst.AugAssign:
        return new.AugAssign(target=self.expression(node.target),
                             operator=getattr(new, _AUGMENTED[type(node.op)])(),
                             value=self.expression(node.value))

    def annotated(self, node: ast.AnnAssign) -> cst.AnnAssign:
        return new.AnnAssign(target=self.expression(node.target),
                             annotation=new.Annotation(self.expression(node.annotation)),
                             value=self.optional(node.value))

    def return_(self, node: ast.Return) -> cst.Return:
        return new.Return(value=self.optional(node.value))

    def raise_(self, node: ast.Raise) -> cst.Raise:
        cause = None if node.cause is None else new.From(item=self.expression(node.cause))
        return new.Raise(exc=self.optional(node.exc), cause=cause)

    def assert_(self, node: ast.Assert) -> cst.Assert:
        return new.Assert(test=self.expression(node.test), msg=self.optional(node.msg))

    def delete(self, node: ast.Delete) -> cst.Del:
        if len(node.targets) == 1:
            return new.Del(target=self.expression(node.targets[0]))
        return new.Del(target=new.Tuple(elements=self.elements(node.targets)))

    def global_(self, node: ast.Global) -> cst.Global:
        return new.Global(names=[new.NameItem(name=new.Name(name)) for name in node.names])

    def nonlocal_(self, node: ast.Nonlocal) -> cst.Nonlocal:
        return new.Nonlocal(names=[new.NameItem(name=new.Name(name)) for name in node.names])

    def import_(self, node: ast.Import) -> cst.Import:
        return new.Import(names=[self.alias(alias) for alias in node.names])

    def import_from(self, node: ast.ImportFrom) -> cst.ImportFrom:
        module = None if node.module is None else _dotted(node.module)
        if len(node.names) == 1 and node.names[0].name == "*":
            names: Sequence[cst.ImportAlias] | cst.ImportStar = new.ImportStar()
        else:
            names = [self.alias(alias) for alias in node.names]
        return new.ImportFrom(module=module, names=names,
                              relative=[new.Dot() for _ in range(node.level or 0)])

    def alias(self, alias: ast.alias) -> cst.ImportAlias:
        asname = None if alias.asname is None else new.AsName(name=new.Name(alias.asname))
        return new.ImportAlias(name=_dotted(alias.name), asname=asname)

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> cst.FunctionDef:
        returns = None if node.returns is None else new.Annotation(
            self.expression(node.returns))
        return new.FunctionDef(
            name=new.Name(node.name), params=self.parameters(node.args),
            body=self.suite(node.body), decorators=self.decorators(node.decorator_list),
            returns=returns,
            asynchronous=new.Asynchronous() if type(node) is ast.AsyncFunctionDef else None)

    def class_(self, node: ast.ClassDef) -> cst.ClassDef:
        bases = [self.argument(base) for base in node.bases]
        keywords = [self.keyword(keyword) for keyword in node.keywords]
        return new.ClassDef(name=new.Name(node.name), body=self.suite(node.body),
                            bases=bases, keywords=keywords,
                            decorators=self.decorators(node.decorator_list))

    def decorators(self, nodes: Sequence[ast.expr]) -> list[cst.Decorator]:
        return [new.Decorator(decorator=self.expression(node)) for node in nodes]

    def if_(self, node: ast.If) -> cst.If:
        orelse: cst.If | cst.Else | None = None
        if node.orelse:
            first = node.orelse[0]
            if len(node.orelse) == 1 and type(first) is ast.If and \
                    self.source.text.startswith("elif", self.source.start(first)):
                orelse = self.if_(first)
            else:
                orelse = new.Else(body=self.suite(node.orelse))
        return new.If(test=self.expression(node.test), body=self.suite(node.body),
                      orelse=orelse)

    def else_(self, body: Sequence[ast.stmt]) -> cst.Else | None:
        return new.Else(body=self.suite(body)) if body else None

    def for_(self, node: ast.For | ast.AsyncFor) -> cst.For:
        return new.For(target=self.expression(node.target), iter=self.expression(node.iter),
                       body=self.suite(node.body), orelse=self.else_(node.orelse),
                       asynchronous=new.Asynchronous() if type(node) is ast.AsyncFor
                       else None)

    def while_(self, node: ast.While) -> cst.While:
        return new.While(test=self.expression(node.test), body=self.suite(node.body),
                         orelse=self.else_(node.orelse))

    def with_(self, node: ast.With | ast.AsyncWith) -> cst.With:
        items = [new.WithItem(item=self.expression(item.context_expr),
                              asname=None if item.optional_vars is None else new.AsName(
                                  name=self.expression(item.optional_vars)))
                 for item in node.items]
        return new.With(items=items, body=self.suite(node.body),
                        asynchronous=new.Asynchronous() if type(node) is ast.AsyncWith
                        else None)

    def try_(self, node: ast.Try | ast.TryStar) -> cst.Try | cst.TryStar:
        handler = cst.ExceptHandler if type(node) is ast.Try else cst.ExceptStarHandler
        handlers = [handler(body=self.suite(h.body), type=self.optional(h.type),
                            name=None if h.name is None else new.AsName(name=new.Name(h.name)))
                    for h in node.handlers]
        final = new.Finally(body=self.suite(node.finalbody)) if node.finalbody else None
        kind = cst.Try if type(node) is ast.Try else cst.TryStar
        return kind(body=self.suite(node.body), handlers=handlers,
                    orelse=self.else_(node.orelse), finalbody=final)

    # -- parameters and arguments ------------------------------------------------------

    def parameters(self, arguments: ast.arguments) -> cst.Parameters:
        positional = [*arguments.posonlyargs, *arguments.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
        defaults.extend(arguments.defaults)
        params = [self.param(arg, default, "") for arg, default in zip(positional, defaults,
                                                                        strict=True)]
        split = len(arguments.posonlyargs)
        star_arg: cst.Param | cst.ParamStar | cst.MaybeSentinel = cst.MaybeSentinel.DEFAULT
        if arguments.vararg is not None:
            star_arg = self.param(arguments.vararg, None, "*")
        elif arguments.kwonlyargs:
            star_arg = new.ParamStar()
        return new.Parameters(
            posonly_params=params[:split], params=params[split:], star_arg=star_arg,
            kwonly_params=[self.param(arg, default, "") for arg, default in zip(
                arguments.kwonlyargs, arguments.kw_defaults, strict=True)],
            star_kwarg=None if arguments.kwarg is None else self.param(
                arguments.kwarg, None, "**"),
            posonly_ind=new.ParamSlash() if split else cst.MaybeSentinel.DEFAULT)

    def param(self, arg: ast.arg, default: ast.expr | None, star: str) -> cst.Param:
        annotation = None if arg.annotation is None else new.Annotation(
            self.expression(arg.annotation))
        return new.Param(name=new.Name(arg.arg), annotation=annotation,
                         default=self.optional(default), star=star)

    def argument(self, node: ast.expr) -> cst.Arg:
        if type(node) is ast.Starred:
            return new.Arg(value=self.expression(node.value), star="*")
        return new.Arg(value=self.expression(node))

    def keyword(self, node: ast.keyword) -> cst.Arg:
        if node.arg is None:
            return new.Arg(value=self.expression(node.value), star="**")
        return new.Arg(value=self.expression(node.value), keyword=new.Name(node.arg))

    # -- expressions -------------------------------------------------------------------

    def expression(self, node: ast.expr) -> Any:
        build = _EXPRESSIONS.get(type(node))
        if build is None:
            raise Unconvertible(f"a {type(node).__name__} expression")
        return build(self, node)

    def optional(self, node: ast.expr | None) -> Any:
        return None if node is None else self.expression(node)

    def name(self, node: ast.Name) -> cst.Name:
        return new.Name(node.id)

    def attribute(self, node: ast.Attribute) -> cst.Attribute:
        return new.Attribute(value=self.expression(node.value), attr=new.Name(node.attr))

    def call(self, node: ast.Call) -> cst.Call:
        if node.keywords and node.args and _after(node.args[-1], node.keywords[0]):
            # keywords written before a starred argument: libcst keeps the written order
            pieces = sorted([*node.args, *node.keywords],
                            key=lambda item: (item.lineno, item.col_offset))
            args = [self.keyword(p) if type(p) is ast.keyword else self.argument(p)
                    for p in pieces]
        else:
            args = [*map(self.argument, node.args), *map(self.keyword, node.keywords)]
        return new.Call(func=self.expression(node.func), args=args)

    def constant(self, node: ast.Constant) -> cst.BaseExpression:
        value = node.value
        if value is None or value is True or value is False:
            return new.Name(str(value))
        if value is Ellipsis:
            return new.Ellipsis()
        kind = type(value)
        if kind is str or kind is bytes:
            return _strings(_string_tokens(self.source.segment(node)))
        if kind is int:
            return new.Integer(self.source.segment(node))
        if kind is float:
            return new.Float(self.source.segment(node))
        if kind is complex:
            return new.Imaginary(self.source.segment(node))
        raise Unconvertible(f"a constant of type {kind.__name__}")

    def formatted(self, node: ast.JoinedStr) -> cst.BaseExpression:
        """f-strings, and concatenations holding one, by libcst's own parser."""
        parsed = cst.parse_expression("(" + self.source.segment(node) + ")")
        return parsed.with_changes(lpar=(), rpar=())

    def binary(self, node: ast.BinOp) -> cst.BinaryOperation:
        return new.BinaryOperation(left=self.expression(node.left),
                                   operator=getattr(new, _BINARY[type(node.op)])(),
                                   right=self.expression(node.right))

    def unary(self, node: ast.UnaryOp) -> cst.UnaryOperation:
        return new.UnaryOperation(operator=getattr(new, _UNARY[type(node.op)])(),
                                  expression=self.expression(node.operand))

    def boolean(self, node: ast.BoolOp) -> cst.BooleanOperation:
        operator = getattr(new, _BOOLEAN[type(node.op)])
        values = node.values
        result = new.BooleanOperation(left=self.expression(values[0]), operator=operator(),
                                      right=self.expression(values[1]))
        for value in values[2:]:
            result = new.BooleanOperation(left=result, operator=operator(),
                                          right=self.expression(value))
        return result

    def compare(self, node: ast.Compare) -> cst.Comparison:
        return new.Comparison(
            left=self.expression(node.left),
            comparisons=[new.ComparisonTarget(operator=getattr(new, _COMPARISON[type(op)])(),
                                              comparator=self.expression(comparator))
                         for op, comparator in zip(node.ops, node.comparators, strict=True)])

    def subscript(self, node: ast.Subscript) -> cst.Subscript:
        index = node.slice
        if type(index) is ast.Tuple and index.elts and not self.parenthesized(index):
            elements = [new.SubscriptElement(slice=self.index(item)) for item in index.elts]
        else:
            elements = [new.SubscriptElement(slice=self.index(index))]
        return new.Subscript(value=self.expression(node.value), slice=elements)

    def index(self, node: ast.expr) -> cst.BaseSlice:
        if type(node) is ast.Slice:
            return new.Slice(lower=self.optional(node.lower), upper=self.optional(node.upper),
                             step=self.optional(node.step))
        if type(node) is ast.Starred:
            return new.Index(value=self.expression(node.value), star="*")
        return new.Index(value=self.expression(node))

    def parenthesized(self, node: ast.Tuple) -> bool:
        """Whether the tuple is written in its own brackets (``x[(a, b)]``)."""
        segment = self.source.segment(node)
        return segment.startswith("(") and _closing(segment, 0) == len(segment) - 1

    def elements(self, nodes: Sequence[ast.expr]) -> list[cst.BaseElement]:
        return [new.StarredElement(value=self.expression(item.value))
                if type(item) is ast.Starred else new.Element(value=self.expression(item))
                for item in nodes]

    def tuple(self, node: ast.Tuple) -> cst.Tuple:
        return new.Tuple(elements=self.elements(node.elts))

    def list(self, node: ast.List) -> cst.List:
        return new.List(elements=self.elements(node.elts))

    def set(self, node: ast.Set) -> cst.Set:
        return new.Set(elements=self.elements(node.elts))

    def starred_alone(self, node: ast.Starred) -> cst.StarredElement:
        return new.StarredElement(value=self.expression(node.value))

    def dict(self, node: ast.Dict) -> cst.Dict:
        return new.Dict(elements=[
            new.StarredDictElement(value=self.expression(value)) if key is None
            else new.DictElement(key=self.expression(key), value=self.expression(value))
            for key, value in zip(node.keys, node.values, strict=True)])

    def lambda_(self, node: ast.Lambda) -> cst.Lambda:
        return new.Lambda(params=self.parameters(node.args),
                          body=self.expression(node.body))

    def if_expression(self, node: ast.IfExp) -> cst.IfExp:
        return new.IfExp(test=self.expression(node.test), body=self.expression(node.body),
                         orelse=self.expression(node.orelse))

    def named(self, node: ast.NamedExpr) -> cst.NamedExpr:
        return new.NamedExpr(target=self.expression(node.target),
                             value=self.expression(node.value))

    def await_(self, node: ast.Await) -> cst.Await:
        return new.Await(expression=self.expression(node.value))

    def yield_(self, node: ast.Yield) -> cst.Yield:
        return new.Yield(value=self.optional(node.value))

    def yield_from(self, node: ast.YieldFrom) -> cst.Yield:
        return new.Yield(value=new.From(item=self.expression(node.value)))

    def comprehension(self, generators: Sequence[ast.comprehension]) -> cst.CompFor:
        inner = None
        for generator in reversed(generators):
            inner = new.CompFor(
                target=self.expression(generator.target), iter=self.expression(generator.iter),
                ifs=[new.CompIf(test=self.expression(test)) for test in generator.ifs],
                inner_for_in=inner,
                asynchronous=new.Asynchronous() if generator.is_async else None)
        assert inner is not None
        return inner

    def list_comprehension(self, node: ast.ListComp) -> cst.ListComp:
        return new.ListComp(elt=self.expression(node.elt),
                            for_in=self.comprehension(node.generators))

    def set_comprehension(self, node: ast.SetComp) -> cst.SetComp:
        return new.SetComp(elt=self.expression(node.elt),
                           for_in=self.comprehension(node.generators))

    def generator(self, node: ast.GeneratorExp) -> cst.GeneratorExp:
        return new.GeneratorExp(elt=self.expression(node.elt),
                                for_in=self.comprehension(node.generators))

    def dict_comprehension(self, node: ast.DictComp) -> cst.DictComp:
        return new.DictComp(key=self.expression(node.key), value=self.expression(node.value),
                            for_in=self.comprehension(node.generators))



# How each kind of CPython node is built (functions of the builder and the node; kept out
# of the builder, whose bound methods in its own dictionary would make each one a cycle
# that only the collector frees, with its file's text).
_b = _Builder
_EXPRESSIONS: dict[type, Callable[[_Builder, Any], Any]] = {
    ast.Name: _b.name, ast.Attribute: _b.attribute, ast.Call: _b.call,
    ast.Constant: _b.constant, ast.BinOp: _b.binary, ast.UnaryOp: _b.unary,
    ast.BoolOp: _b.boolean, ast.Compare: _b.compare, ast.Subscript: _b.subscript,
    ast.Tuple: _b.tuple, ast.List: _b.list, ast.Set: _b.set, ast.Dict: _b.dict,
    ast.Lambda: _b.lambda_, ast.IfExp: _b.if_expression, ast.NamedExpr: _b.named,
    ast.Await: _b.await_, ast.Yield: _b.yield_, ast.YieldFrom: _b.yield_from,
    ast.ListComp: _b.list_comprehension, ast.SetComp: _b.set_comprehension,
    ast.GeneratorExp: _b.generator, ast.DictComp: _b.dict_comprehension,
    ast.JoinedStr: _b.formatted, ast.Starred: _b.starred_alone,
}
_STATEMENTS: dict[type, Callable[[_Builder, Any], Any]] = {
    ast.Expr: _b.expression_statement, ast.Assign: _b.assign, ast.AugAssign: _b.augmented,
    ast.AnnAssign: _b.annotated, ast.Return: _b.return_, ast.Raise: _b.raise_,
    ast.Assert: _b.assert_, ast.Delete: _b.delete, ast.Global: _b.global_,
    ast.Nonlocal: _b.nonlocal_, ast.Import: _b.import_, ast.ImportFrom: _b.import_from,
    ast.Pass: lambda builder, node: new.Pass(), ast.Break: lambda builder, node: new.Break(),
    ast.Continue: lambda builder, node: new.Continue(),
    ast.FunctionDef: _b.function, ast.AsyncFunctionDef: _b.function, ast.ClassDef: _b.class_,
    ast.If: _b.if_, ast.For: _b.for_, ast.AsyncFor: _b.for_, ast.While: _b.while_,
    ast.With: _b.with_, ast.AsyncWith: _b.with_, ast.Try: _b.try_, ast.TryStar: _b.try_,
}

del _b


def _after(first: ast.AST, second: ast.AST) -> bool:
    return (first.lineno, first.col_offset) > (second.lineno, second.col_offset)  # type: ignore[attr-defined]


def _dotted(name: str) -> cst.Name | cst.Attribute:
    parts = name.split(".")
    result: cst.Name | cst.Attribute = new.Name(parts[0])
    for part in parts[1:]:
        result = new.Attribute(value=result, attr=new.Name(part))
    return result


def _strings(tokens: list[str]) -> cst.BaseString:
    """One literal, or libcst's right-nested concatenation of several."""
    result: cst.BaseString = new.SimpleString(tokens[-1])
    for token in reversed(tokens[:-1]):
        result = new.ConcatenatedString(left=new.SimpleString(token), right=result)
    return result
