"""The framework-free prime-dimension helpers."""

from lintnn.runtime.dims import PRIMES, assign_primes, describe, factor


def test_primes_start_at_seven() -> None:
    assert PRIMES[:12] == (7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47)


def test_assign_primes_skips_divisors_of_static_sizes() -> None:
    dims = assign_primes(["B", "T", "F"], avoid=[77, 64, 13 * 2])
    assert dims == {"B": 17, "T": 19, "F": 23}


def test_assign_primes_distinct_in_order() -> None:
    assert assign_primes(["B", "T"]) == {"B": 7, "T": 11}


def test_factor_with_multiplicity_and_leftover() -> None:
    dims = {"B": 7, "T": 11}
    assert factor(7 * 11 * 64, dims) == (("B", "T"), 64)
    assert factor(7 * 7, dims) == (("B", "B"), 1)
    assert factor(64, dims) == ((), 64)


def test_describe() -> None:
    dims = {"B": 7, "T": 11}
    assert describe((7, 11, 64), dims) == "(B, T, 64)"
    assert describe((77, 64), dims) == "(B*T, 64)"
    assert describe((7 * 3,), dims) == "(3*B,)"
    assert describe((), dims) == "()"
