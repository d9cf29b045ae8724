"""Which module is running: forward pre/post hooks on every submodule, removed on exit."""

from __future__ import annotations

from typing import Any

from torch import nn

from lintnn.runtime.torch.attachments import Attachments


def eager(model: nn.Module) -> nn.Module:
    """The module a ``torch.compile`` wrapper runs (``_orig_mod``), else ``model``: the
    checks run and name modules on it, so paths read ``1``, not ``_orig_mod.1``."""
    inner = getattr(model, "_orig_mod", None)
    if isinstance(inner, nn.Module) and type(model).__name__ == "OptimizedModule":
        return eager(inner)
    return model


class ModuleStack:
    """Tracks the dotted path of the module whose forward is running.

    ``on_enter``/``on_exit`` callbacks see the module path, its inputs and outputs.
    Use as a context manager: hooks are removed in ``__exit__``, also on error.
    """

    def __init__(self, model: nn.Module, on_enter: Any = None, on_exit: Any = None) -> None:
        self.model = model
        self.stack: list[str] = []
        self.deepest_failed: str | None = None
        self.on_enter = on_enter
        self.on_exit = on_exit
        self._attached = Attachments()

    @property
    def current(self) -> str:
        return self.stack[-1] if self.stack else ""

    def __enter__(self) -> ModuleStack:
        for name, module in self.model.named_modules():
            self._attached.hook(module.register_forward_pre_hook(self._pre(name)))
            self._attached.hook(module.register_forward_hook(self._post(name), always_call=True))
        return self

    def __exit__(self, *exc: object) -> None:
        self._attached.remove_all()

    def _pre(self, name: str) -> Any:
        def hook(module: nn.Module, args: tuple[Any, ...]) -> None:
            self.stack.append(name)
            if self.on_enter is not None:
                self.on_enter(name, module, args)

        return hook

    def _post(self, name: str) -> Any:
        def hook(module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
            if self.stack and self.stack[-1] == name:
                self.stack.pop()
            if output is None and self.deepest_failed is None:
                # always_call hooks see ``None`` when forward raised: innermost first.
                self.deepest_failed = name
            if self.on_exit is not None and output is not None:
                self.on_exit(name, module, args, output)

        return hook
