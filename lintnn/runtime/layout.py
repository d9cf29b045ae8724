"""Named-dimension layouts of arrays and how reshapes transform them (framework-free: the
PyTorch and the JAX shape probes share it).

An axis is a tuple of atoms, major to minor: a dim name (``"T"``) or a static size
(``8``). ``(B, T, 8)`` reshaped to ``(B, T, 2, 4)`` keeps every name whole; reshaped to
``(B, 2, T, 4)`` it cuts ``T`` across two axes, which mixes its elements (#25).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lintnn.runtime.dims import factor

Atom = str | int
Axis = tuple[Atom, ...]
Layout = tuple[Axis, ...]


def atom_size(atom: Atom, dims: Mapping[str, int]) -> int:
    return dims[atom] if isinstance(atom, str) else atom


def axis_size(axis: Axis, dims: Mapping[str, int]) -> int:
    size = 1
    for atom in axis:
        size *= atom_size(atom, dims)
    return size


def by_size(size: int, dims: Mapping[str, int]) -> Axis:
    """Fallback when provenance is unknown: factor the size into named primes."""
    names, rest = factor(size, dims)
    return (*names, rest) if rest != 1 else names


def names_in(layout: Layout) -> list[str]:
    return [a for axis in layout for a in axis if isinstance(a, str)]


def reshape(layout: Layout, new_shape: Sequence[int],
            dims: Mapping[str, int]) -> tuple[Layout, list[str]]:
    """Layout after a row-major reshape, and the names cut across output axes.

    A named atom with stride ``S`` and size ``n`` stays whole iff some output axis with
    stride ``s`` and size ``m`` satisfies ``s | S`` and ``S*n | s*m``.
    """
    atoms = [a for axis in layout for a in axis]
    sizes = [atom_size(a, dims) for a in atoms]
    strides, acc = [0] * len(atoms), 1
    for i in range(len(atoms) - 1, -1, -1):
        strides[i], acc = acc, acc * sizes[i]
    out_strides, acc = [0] * len(new_shape), 1
    for j in range(len(new_shape) - 1, -1, -1):
        out_strides[j], acc = acc, acc * int(new_shape[j])
    inside: list[list[tuple[int, str]]] = [[] for _ in new_shape]
    cut: list[str] = []
    for atom, size, stride in zip(atoms, sizes, strides, strict=True):
        if not isinstance(atom, str):
            continue
        for j, m in enumerate(new_shape):
            s = out_strides[j]
            if stride % s == 0 and (s * int(m)) % (stride * size) == 0:
                inside[j].append((stride, atom))
                break
        else:
            cut.append(atom)
    axes = []
    for j, m in enumerate(new_shape):
        axes.append(_fill(out_strides[j], int(m), sorted(inside[j], reverse=True), dims))
    return tuple(axes), cut


def _fill(stride: int, size: int, named: list[tuple[int, str]],
          dims: Mapping[str, int]) -> Axis:
    """An output axis from the named atoms inside it, with static sizes in the gaps."""
    axis: list[Atom] = []
    top = stride * size
    for atom_stride, name in named:
        upper = atom_stride * dims[name]
        if top % upper:
            return by_size(size, dims)
        if top // upper > 1:
            axis.extend(by_size(top // upper, dims))
        axis.append(name)
        top = atom_stride
    if top % stride:
        return by_size(size, dims)
    if top // stride > 1:
        axis.extend(by_size(top // stride, dims))  # names here were cut by the reshape
    return tuple(axis)


def broadcast(layout: Layout, shape: Sequence[int], bdims: Sequence[int],
              dims: Mapping[str, int]) -> Layout:
    """``broadcast_in_dim``: operand axes move to ``bdims``; new axes are named by size."""
    out = [by_size(int(s), dims) for s in shape]
    for axis, d in zip(layout, bdims, strict=True):
        if axis_size(axis, dims) == int(shape[d]):
            out[d] = axis
    return tuple(out)


def like(shape: Sequence[int], inputs: Sequence[Layout], dims: Mapping[str, int]) -> Layout:
    """Default rule: copy an input's axis of the same size at the same position."""
    out = []
    for i, s in enumerate(shape):
        axis = next((lay[i] for lay in inputs
                     if len(lay) == len(shape) and axis_size(lay[i], dims) == int(s)), None)
        out.append(axis if axis is not None else by_size(int(s), dims))
    return tuple(out)
