"""Resolve what a name refers to, from the file's imports, without scope analysis.

libcst's QualifiedNameProvider costs about ten times the parse; training code binds
framework names with plain imports, so a table of import aliases (collected from every
``import`` in the file, at any depth) resolves ``F.softmax`` to
``torch.nn.functional.softmax`` at a fraction of the cost. A name that is also assigned
locally is shadowed and resolves to nothing: when unsure, stay silent.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import libcst as cst

from lintnn.static.syntax.visitor import cst_visitor, walk

# Spellings of one object under several paths, rewritten to the one the knowledge base uses.
_CANONICAL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("tensorflow.python.keras.", "keras."),
    ("tensorflow.keras.", "keras."),
    ("tf_keras.", "keras."),
    ("keras.src.", "keras."),
    ("keras.api.", "keras."),
    ("tensorflow.", "tensorflow."),
)
_TORCH_SUBMODULE = re.compile(r"^torch\.nn\.modules\.[a-z_]+\.")
# ``torchvision.models.squeezenet.squeezenet1_1`` is ``torchvision.models.squeezenet1_1``.
_TORCHVISION_MODELS = re.compile(r"^torchvision\.models\.[a-z_0-9]+\.(?=[a-z_0-9]+$)")
_KERAS_SUBMODULE = re.compile(
    r"^keras\.(layers|losses|models|activations)\.(?:[a-z_0-9]+\.)+(?=[A-Z])"
)


@functools.lru_cache(maxsize=8192)
def canonical(qualname: str) -> str:
    """Map alternative import paths of the same object onto one name."""
    for prefix, replacement in _CANONICAL_PREFIXES:
        if qualname.startswith(prefix):
            qualname = replacement + qualname[len(prefix) :]
            break
    qualname = _TORCH_SUBMODULE.sub("torch.nn.", qualname)
    qualname = _TORCHVISION_MODELS.sub("torchvision.models.", qualname)
    qualname = _KERAS_SUBMODULE.sub(r"keras.\1.", qualname)
    return qualname


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a chain of Name/Attribute nodes, else None."""
    parts: list[str] = []
    while type(node) is cst.Attribute:
        parts.append(node.attr.value)
        node = node.value
    if type(node) is cst.Name:
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def _module_name(node: cst.BaseExpression | None) -> str:
    return dotted_name(node) if node is not None else ""  # type: ignore[return-value]


class ImportMap:
    """Local names bound by imports, mapped to fully qualified names."""

    def __init__(self, module_name: str = "", is_package: bool = False) -> None:
        self.aliases: dict[str, str] = {}
        self.shadowed: set[str] = set()
        self.star_modules: list[str] = []  # ``from module import *``, in source order
        self.bound: set[str] = set()  # names the file binds itself (by assignment, def)
        self.module_name = module_name
        self.is_package = is_package

    @classmethod
    def from_module(
        cls, module: cst.Module, module_name: str = "", is_package: bool = False
    ) -> ImportMap:
        table = cls(module_name, is_package)
        collector = _ImportCollector(table)
        walk(module, collector)
        return table

    def add_import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = _module_name(alias.name)
            if alias.asname is not None:
                self._bind(_module_name(alias.asname.name), full)  # type: ignore[arg-type]
            else:
                top = full.split(".")[0]
                self._bind(top, top)

    def add_import_from(self, node: cst.ImportFrom) -> None:
        base = self._resolve_relative(node)
        if base and type(node.names) is cst.ImportStar:
            self.star_modules.append(base)
        if base is None or type(node.names) is cst.ImportStar:
            return
        for alias in node.names:
            name = _module_name(alias.name)
            local = _module_name(alias.asname.name) if alias.asname else name  # type: ignore[arg-type]
            self._bind(local, f"{base}.{name}" if base else name)

    def _resolve_relative(self, node: cst.ImportFrom) -> str | None:
        module = _module_name(node.module)
        level = len(node.relative)
        if level == 0:
            return module
        package = self.module_name.split(".") if self.module_name else []
        if not self.is_package:
            package = package[:-1]
        if level - 1 > len(package):
            return module or None
        base = package[: len(package) - (level - 1)]
        return ".".join([*base, module] if module else base)

    def _bind(self, local: str, qualname: str) -> None:
        previous = self.aliases.get(local)
        # The same name imported from two places (try/except fallbacks) resolves only
        # if both mean the same object.
        if previous is not None and canonical(previous) != canonical(qualname):
            self.shadowed.add(local)
        self.aliases[local] = qualname

    def shadow(self, names: Iterable[str]) -> None:
        """Mark names that are also bound by assignment: they no longer resolve."""
        names = set(names)
        self.bound |= names
        self.shadowed.update(name for name in names if name in self.aliases)

    def star_source(self, name: str) -> str | None:
        """The module a star import would give ``name`` from: the last one, when no import
        or binding of the file names it (Python's rule: the last binding wins)."""
        if not self.star_modules or name in self.aliases or name in self.bound:
            return None
        return self.star_modules[-1]

    def resolve(self, node: cst.BaseExpression) -> str | None:
        """Canonical qualified name of a Name/Attribute chain rooted at an import."""
        dotted = dotted_name(node)
        if dotted is None:
            return None
        return self.resolve_dotted(dotted)

    def resolve_dotted(self, dotted: str) -> str | None:
        head, _, rest = dotted.partition(".")
        if head in self.shadowed:
            return None
        target = self.aliases.get(head)
        if target is None:
            return None
        return canonical(f"{target}.{rest}" if rest else target)

    def imports_any(self, roots: Iterable[str]) -> bool:
        """True when any import in the file comes from one of the top-level packages."""
        wanted = set(roots)
        return any(q.split(".")[0] in wanted for q in self.aliases.values())


@cst_visitor
class _ImportCollector:
    def __init__(self, table: ImportMap) -> None:
        self.table = table
        self.assigned: set[str] = set()

    def visit_Import(self, node: cst.Import) -> bool:
        self.table.add_import(node)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        self.table.add_import_from(node)
        return False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        if type(node.target) is cst.Name:
            self.assigned.add(node.target.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.assigned.add(node.name.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.assigned.add(node.name.value)

    def leave_Module(self, original_node: cst.Module) -> None:
        self.table.shadow(self.assigned)
