"""The trial's measurement model: RDQ questionnaire error, and the power curve's intervals."""

import numpy as np
import pytest

from painsim.trials.power import wilson
from painsim.trials.run import rdq_score


def test_rdq_scores_are_whole_items_within_the_scale_with_the_stated_error():
    ids = np.arange(20_000)
    true = np.full(ids.size, 12.0)
    score = rdq_score(true, 2.0, seed=5, visit=1, ids=ids)
    assert np.all(score == np.round(score)) and score.min() >= 0 and score.max() <= 24
    assert np.mean(score) == pytest.approx(12.0, abs=0.05)
    # normal error with SD 2, then rounding (adds 1/12 to the variance)
    assert np.std(score) == pytest.approx(np.sqrt(4.0 + 1.0 / 12.0), rel=0.03)
    edge = rdq_score(np.full(ids.size, 23.5), 2.0, seed=5, visit=1, ids=ids)
    assert edge.max() == 24.0


def test_rdq_error_belongs_to_the_participant_and_the_visit():
    ids = np.array([7, 3, 11, 5])
    true = np.array([10.0, 10.0, 10.0, 10.0])
    a = rdq_score(true, 2.0, seed=1, visit=2, ids=ids)
    b = rdq_score(true[::-1], 2.0, seed=1, visit=2, ids=ids[::-1])
    assert np.array_equal(a, b[::-1])  # order of participants does not matter
    many = rdq_score(np.full(200, 10.0), 2.0, seed=1, visit=2, ids=np.arange(200))
    other_visit = rdq_score(np.full(200, 10.0), 2.0, seed=1, visit=3, ids=np.arange(200))
    assert not np.array_equal(many, other_visit)
    assert np.array_equal(rdq_score(true, 0.0, seed=1, visit=2, ids=ids), true)  # no error: model value


def test_wilson_bounds_are_exact_at_zero_and_all():
    lo, hi = wilson(np.array([0, 2, 3]), np.array([3, 3, 3]))
    assert lo[0] == 0.0 and hi[2] == 1.0
    assert np.all(lo <= np.array([0, 2, 3]) / 3) and np.all(np.array([0, 2, 3]) / 3 <= hi)
    assert lo[1] == pytest.approx(0.2076596, rel=1e-6) and hi[1] == pytest.approx(0.9385081, rel=1e-6)
