"""The shape of a knowledge-base entry."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Arg:
    """Where an argument is passed: by position, by keyword, or both."""

    position: int | None
    keyword: str | None = None


@dataclass(frozen=True)
class Entry:
    """What one qualified name is, for training code.

    For a ``function`` the roles describe its result; for a ``class`` they describe
    an instance (and, for ``makes.*`` roles, the output of calling that instance).
    ``prediction`` says which argument of the call (for a class: of the instance call)
    carries the model's output, for losses; ``dim`` where the reduction axis goes.
    """

    roles: frozenset[str]
    kind: str = "function"  # or "class"
    prediction: Arg | None = None
    target: Arg | None = None
    dim: Arg | None = None
    framework: str = ""
    options: dict[str, object] = field(default_factory=dict, hash=False, compare=False)


def fn(*roles: str, **kwargs: object) -> Entry:
    return Entry(frozenset(roles), "function", **kwargs)  # type: ignore[arg-type]


def cls(*roles: str, **kwargs: object) -> Entry:
    return Entry(frozenset(roles), "class", **kwargs)  # type: ignore[arg-type]


def expand(names: str, entry: Entry) -> dict[str, Entry]:
    """``expand("torch.nn.{Dropout,Dropout2d}", e)``-style helper without braces:
    whitespace-separated qualified names sharing one entry."""
    return {name: entry for name in names.split()}
