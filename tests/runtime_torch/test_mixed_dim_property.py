"""Property: row-major merges and splits never count as mixing; a view that swaps a named
dim with a neighbour always does."""

import itertools
import math

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lintnn.runtime.torch.shapes import mixed_dim

PRIMES = {"B": 7, "T": 11}
ATOMS = st.lists(st.sampled_from([2, 3, 4, 5]), min_size=1, max_size=3)


def _shape(groups: list[list[int]]) -> tuple[int, ...]:
    return tuple(math.prod(g) for g in groups)


@st.composite
def layouts(draw) -> list[list[int]]:
    atoms = [*draw(ATOMS), 7, 11]
    order = draw(st.permutations(atoms))
    cuts = sorted(draw(st.sets(st.integers(1, len(order) - 1))))
    bounds = [0, *cuts, len(order)]
    return [list(order[a:b]) for a, b in itertools.pairwise(bounds)]


@settings(max_examples=200, deadline=None)
@given(layouts(), st.data())
def test_merging_and_splitting_neighbours_is_clean(groups, data) -> None:
    for _ in range(4):
        if len(groups) > 1 and data.draw(st.booleans()):
            i = data.draw(st.integers(0, len(groups) - 2))
            new = [*groups[:i], groups[i] + groups[i + 1], *groups[i + 2:]]
        else:
            i = data.draw(st.integers(0, len(groups) - 1))
            if len(groups[i]) < 2:
                continue
            k = data.draw(st.integers(1, len(groups[i]) - 1))
            new = [*groups[:i], groups[i][:k], groups[i][k:], *groups[i + 1:]]
        assert mixed_dim(_shape(groups), _shape(new), PRIMES) is None, (groups, new)
        groups = new


@settings(max_examples=200, deadline=None)
@given(layouts(), st.data())
def test_swapping_a_named_dim_with_a_neighbour_by_view_mixes(groups, data) -> None:
    named = [i for i, g in enumerate(groups) if g in ([7], [11])]
    assume(named and len(groups) > 1)
    i = data.draw(st.sampled_from(named))
    j = i + 1 if i + 1 < len(groups) else i - 1
    swapped = list(groups)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    assert mixed_dim(_shape(groups), _shape(swapped), PRIMES) is not None, (groups, swapped)
