"""Prime-sized symbolic dimensions, shared by the torch and JAX shape probes.

Every named input dimension (batch, sequence, ...) gets its own prime that divides none of
the model's static sizes, so any size seen later factors back into the named dimensions it
was built from (37 reasons #25: a merged, split or moved dimension shows up as a product).
Framework-free: no torch, no jax.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def _primes(start: int, count: int) -> tuple[int, ...]:
    found: list[int] = []
    n = start
    while len(found) < count:
        if n > 1 and all(n % d for d in range(2, int(n**0.5) + 1)):
            found.append(n)
        n += 1
    return tuple(found)


PRIMES: tuple[int, ...] = _primes(7, 40)
"""Candidate sizes for symbolic dims: 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, ..."""


def assign_primes(names: Sequence[str], avoid: Iterable[int] = ()) -> dict[str, int]:
    """Give each name a distinct prime from :data:`PRIMES`, in order.

    Primes dividing any size in ``avoid`` (the model's static sizes: hidden width, vocab,
    heads) are skipped, so a static factor can never be mistaken for a named dim.
    """
    sizes = [abs(int(s)) for s in avoid if int(s) not in (0, 1, -1)]
    usable = (p for p in PRIMES if not any(s % p == 0 for s in sizes))
    out: dict[str, int] = {}
    for name in names:
        if name in out:
            continue
        try:
            out[name] = next(usable)
        except StopIteration:
            raise ValueError(f"ran out of primes for dims {list(names)!r}") from None
    return out


def factor(size: int, dims: Mapping[str, int]) -> tuple[tuple[str, ...], int]:
    """Split ``size`` into the named dims whose primes divide it and a static leftover.

    Names repeat with multiplicity (``B*B``) and come in the order of ``dims``.
    """
    size = int(size)
    if size == 0:
        return (), 0
    names: list[str] = []
    rest = size
    for name, prime in dims.items():
        while prime > 1 and rest % prime == 0:
            names.append(name)
            rest //= prime
    return tuple(names), rest


def describe_size(size: int, dims: Mapping[str, int]) -> str:
    """One dimension as text: ``B``, ``B*T``, ``3*H`` or ``64``."""
    names, rest = factor(size, dims)
    if not names:
        return str(rest)
    return "*".join(([str(rest)] if rest != 1 else []) + list(names))


def describe(shape: Sequence[int], dims: Mapping[str, int]) -> str:
    """A shape with named dims written back in, e.g. ``(B, T, 64)`` or ``(B*T, 64)``."""
    parts = [describe_size(s, dims) for s in shape]
    if len(parts) == 1:
        return f"({parts[0]},)"
    return "(" + ", ".join(parts) + ")"
