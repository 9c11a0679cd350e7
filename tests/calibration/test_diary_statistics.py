"""The diary statistics on hand-made diaries whose answers can be counted by hand."""

import math

import numpy as np
import pytest

from painsim.calibration import diary_statistics as ds


def diary(*columns: list[float]) -> np.ndarray:
    """Days x patients from one list of daily ratings per patient."""
    return np.array(columns, dtype=float).T


def test_first_run_start_finds_the_first_complete_run():
    pain = diary([5, 1, 1, 3, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0], [4, 4, 4, 4, 4, 4, 4])
    start = ds.first_run_start(pain, threshold=1.0, run_days=3)
    assert start[0] == 4 and start[1] == 0 and math.isinf(start[2])


def test_recovery_median_counts_the_unrecovered_as_later():
    # recoveries on days 0, 2 and never (twice): the median of [0, 2, inf, inf, inf] is inf -> NaN
    pain = diary([0, 0, 0, 0], [3, 3, 0, 0], [5, 5, 5, 5], [5, 5, 5, 5], [5, 5, 5, 5])
    assert math.isnan(ds.recovery_median_days(pain, 1.0, 2, day=2))
    pain = diary([0, 0, 0, 0], [3, 3, 0, 0], [3, 0, 0, 5])
    assert ds.recovery_median_days(pain, 1.0, 2, day=2) == 1.0


def test_recovered_by_is_a_share():
    pain = diary([0, 0, 0], [5, 0, 0], [5, 5, 5], [5, 5, 0])
    assert ds.recovered_by(pain, 0.5, 2, day=1) == pytest.approx(0.5)


def test_within_person_sd_is_the_mean_of_each_person_sd():
    pain = diary([1, 3, 1, 3], [5, 5, 5, 5])
    expected = (np.std([1, 3, 1, 3], ddof=1) + 0.0) / 2
    assert ds.within_person_sd(pain, day=3, window=4) == pytest.approx(expected)


def test_flares_are_rises_of_two_points_over_the_week_before():
    base = [2.0] * 7
    pain = diary([*base, 4.0, 2.0, 2.0], [*base, 3.9, 2.0, 2.0], [*base, 4.5, 4.6, 2.0])
    flares = ds.flare_days(pain, rise=2.0)
    assert flares[7].tolist() == [True, False, True]
    assert ds.flare_share(pain, day=9, window=3) == pytest.approx(2 / 3)
    # one one-day flare (patient 0) and one two-day flare (patient 2)
    assert ds.flare_one_day_share(pain, day=9, window=3) == pytest.approx(0.5)


def test_recurrence_needs_a_recovery_and_a_full_follow_up():
    # patient 0 recovers on days 0-1 and recurs on day 5; patient 1 recovers and stays well;
    # patient 2 never recovers (not counted)
    pain = diary([0, 0, 0, 0, 0, 3, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [4] * 8)
    assert ds.recurrence_within(pain, 1.0, 2, threshold=2.0, run_days=1, follow_days=5) == pytest.approx(0.5)
    assert math.isnan(ds.recurrence_within(pain, 1.0, 2, threshold=2.0, run_days=1, follow_days=10))


def _first_run_by_scanning(ok: np.ndarray, run_days: int, after) -> np.ndarray:
    """The definition, patient by patient: the first day from ``after`` that starts ``run_days`` ok days."""
    out = np.full(ok.shape[1], np.inf)
    for j in range(ok.shape[1]):
        first = 0 if after is None else int(max(0, np.ceil(after[j])))
        for s in range(first, ok.shape[0] - run_days + 1):
            if ok[s:s + run_days, j].all():
                out[j] = s
                break
    return out


@pytest.mark.parametrize("run_days", [1, 2, 7, 30])
@pytest.mark.parametrize("high", [False, True])
def test_first_runs_are_those_a_scan_of_each_diary_finds(run_days, high):
    rng = np.random.default_rng(run_days)
    scale = rng.uniform(0.2, 2.5, size=300)  # from nearly pain-free to mostly in pain
    pain = np.round(rng.gamma(2.0, scale, size=(60, 300)), 1)
    pain[:, :10], pain[:, 10:20] = 9.0, 0.0  # always in pain, never: runs found and not found
    if high:
        after = rng.integers(0, 40, size=300).astype(float)
        ok, got = pain >= 2.5, ds.first_high_run_start(pain, 2.5, run_days, after)
    else:
        after = None
        ok, got = pain <= 2.0, ds.first_run_start(pain, 2.0, run_days)
    expected = _first_run_by_scanning(ok, run_days, after)
    np.testing.assert_array_equal(got, expected)
    assert np.isfinite(expected).any() and np.isinf(expected).any()  # both kinds of patient occur


def test_no_run_fits_in_a_shorter_diary():
    assert np.isinf(ds.first_run_start(np.zeros((5, 3)), 1.0, 6)).all()
    np.testing.assert_array_equal(ds.first_run_start(np.zeros((6, 3)), 1.0, 6), 0.0)


def test_a_run_needs_at_least_one_day():
    with pytest.raises(ValueError, match="run_days"):
        ds.first_run_start(np.zeros((3, 2)), 1.0, 0)
