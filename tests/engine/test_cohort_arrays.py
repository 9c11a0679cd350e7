"""Cohort.subset gathers the same patients as numpy's own indexing, in C order, as copies."""

import numpy as np
import pytest

from painsim.engine.cohort import Cohort

ARRAYS = ("ids", "traits", "state", "modifiers", "duration_days")


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    c = Cohort.build("acute", n=40, seed=5)
    c.duration_days = np.arange(40, dtype=np.int64) * 7  # distinct values, so a wrong gather shows
    return c


def _reference(c: Cohort, positions) -> dict[str, np.ndarray]:
    """What numpy's indexing selects, patient axis last."""
    return {name: getattr(c, name)[..., positions] for name in ARRAYS}


@pytest.mark.parametrize("positions", [
    [3, 1, 4, 1, 5],  # list, repeats, any order
    np.array([39, 0, 17], dtype=np.int64),
    np.array([2, 9], dtype=np.int32),
    np.array([-1, -40]),  # negative positions count from the end, as in numpy
    np.arange(40) % 3 == 0,  # a boolean mask
    slice(5, 30, 2),
    np.array([], dtype=np.int64),
])
def test_subset_selects_what_numpy_indexing_selects(cohort, positions):
    part = cohort.subset(positions)
    expected = _reference(cohort, positions)
    for name in ARRAYS:
        got = getattr(part, name)
        np.testing.assert_array_equal(got, expected[name], err_msg=name)
        assert got.dtype == getattr(cohort, name).dtype, name
        assert got.flags.c_contiguous, f"{name} must be C-ordered for the kernel"
    assert len(part) == expected["ids"].size


def test_subset_copies(cohort):
    for positions in ([0, 1], slice(0, 2), np.array([True, True] + [False] * 38)):
        part = cohort.subset(positions)
        before = cohort.state.copy()
        part.state[:] = -7.0
        part.ids[:] = -7
        np.testing.assert_array_equal(cohort.state, before)
        assert (cohort.ids >= 0).all()


def test_subset_refuses_positions_outside_the_cohort(cohort):
    with pytest.raises(IndexError):
        cohort.subset([40])
