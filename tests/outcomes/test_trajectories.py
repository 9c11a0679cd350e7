"""Latent trajectory classes (painsim.outcomes.trajectories): recovery of known classes,
the choice of their number by BIC, reproducibility, the order and the naming rule."""

import numpy as np
import pandas as pd
import pytest

from painsim.outcomes.trajectories import (
    KONGSTED_2015_SHARES,
    LABELS,
    TrajectoryInputError,
    fit_trajectory_classes,
    name_curve,
    pain_curves,
    weekly_pain_from_table,
    weeks_in_months,
)

WEEKS = np.arange(52)
# three courses of known shape (weekly mean pain, 0-10)
RECOVERY = 6.0 * np.exp(-WEEKS / 3.0)
MILD = np.full(52, 2.5)
SEVERE = np.full(52, 6.5)
RELAPSE = np.r_[np.linspace(6.0, 1.5, 16), np.linspace(1.5, 5.0, 36)]


def synthetic(groups: list[tuple[np.ndarray, int]], noise: float = 1.0, seed: int = 0, clip: bool = False,
              ) -> np.ndarray:
    """Patients x weeks: ``size`` copies of each curve plus independent Gaussian noise (the
    mixture's own assumption), optionally clipped to the 0-10 scale as ratings are."""
    rng = np.random.default_rng(seed)
    curves = np.vstack([np.tile(curve, (size, 1)) for curve, size in groups])
    noisy = curves + rng.normal(0.0, noise, curves.shape)
    return np.clip(noisy, 0.0, 10.0) if clip else noisy


@pytest.fixture(scope="module")
def three_groups():
    return synthetic([(SEVERE, 300), (RECOVERY, 420), (MILD, 480)])


@pytest.fixture(scope="module")
def three_group_fit(three_groups):
    return fit_trajectory_classes(three_groups, seed=7)


def test_bic_picks_the_true_number_of_classes_and_recovers_their_shares(three_group_fit):
    fit = three_group_fit
    assert fit.k == 3 and fit.selected_by == "bic"
    assert sorted(fit.bic) == list(range(1, 8))
    assert min(fit.bic, key=fit.bic.get) == 3
    # ordered by mean pain, lowest first: recovery (mean 0.7), mild (2.5), severe (6.5)
    assert fit.labels == ("recovery", "mild", "moderate_severe")
    np.testing.assert_allclose(fit.shares, [420 / 1200, 480 / 1200, 300 / 1200], atol=0.02)
    np.testing.assert_allclose(fit.means[2], SEVERE, atol=0.3)
    assert fit.sizes.sum() == fit.n == 1200


def test_bic_picks_four_when_there_are_four():
    curves = synthetic([(RECOVERY, 250), (MILD, 300), (SEVERE, 250), (RELAPSE, 200)], seed=3)
    fit = fit_trajectory_classes(curves, seed=1)
    assert fit.k == 4
    assert fit.label_shares()["improvement_with_relapse"] == pytest.approx(200 / 1000, abs=0.02)
    assert fit.label_shares()["recovery"] == pytest.approx(250 / 1000, abs=0.02)


def test_pattern_shares_survive_ratings_clipped_at_zero():
    # clipping at 0 makes the recovered non-Gaussian, and BIC may split them into two classes;
    # both are named recovery, so the pattern's share stays right
    fit = fit_trajectory_classes(synthetic([(SEVERE, 300), (RECOVERY, 420), (MILD, 480)], clip=True), seed=7)
    shares = fit.label_shares()
    assert shares["recovery"] == pytest.approx(420 / 1200, abs=0.02)
    assert shares["mild"] == pytest.approx(480 / 1200, abs=0.02)
    assert shares["moderate_severe"] == pytest.approx(300 / 1200, abs=0.02)


def test_one_homogeneous_group_is_one_class():
    fit = fit_trajectory_classes(synthetic([(MILD, 400)], seed=5), seed=0)
    assert fit.k == 1 and fit.labels == ("mild",) and fit.shares[0] == 1.0


def test_same_seed_same_classes_and_a_fixed_number_is_honoured(three_groups, three_group_fit):
    again = fit_trajectory_classes(three_groups, seed=7)
    np.testing.assert_array_equal(again.assignment, three_group_fit.assignment)
    np.testing.assert_array_equal(again.means, three_group_fit.means)
    assert again.bic == three_group_fit.bic
    fixed = fit_trajectory_classes(three_groups, 5, seed=7)
    assert fixed.k == 5 and fixed.selected_by == "fixed" and list(fixed.bic) == [5]
    assert np.all(np.diff(fixed.means.mean(axis=1)) > 0)  # the documented order: mean pain, lowest first


def test_the_classes_do_not_depend_on_the_order_of_the_patients(three_groups, three_group_fit):
    order = np.random.default_rng(11).permutation(len(three_groups))
    shuffled = fit_trajectory_classes(three_groups[order], seed=7)
    assert shuffled.labels == three_group_fit.labels
    np.testing.assert_allclose(shuffled.shares, three_group_fit.shares, atol=0.005)


def test_json_summary_and_pattern_shares(three_group_fit):
    summary = three_group_fit.to_dict()
    assert summary["k"] == 3 and len(summary["classes"]) == 3
    assert [c["label"] for c in summary["classes"]] == list(three_group_fit.labels)
    assert len(summary["classes"][0]["mean"]) == 52
    assert set(summary["pattern_shares"]) == set(LABELS) == set(KONGSTED_2015_SHARES)
    assert sum(summary["pattern_shares"].values()) == pytest.approx(1.0)
    assert summary["pattern_shares"]["slow_improvement"] == 0.0


@pytest.mark.parametrize(("curve", "label"), [
    (RECOVERY, "recovery"),  # 80% of the fall within 5 weeks, ends near 0
    (np.full(52, 0.8), "recovery"),  # pain-free throughout
    (6.0 - 5.0 * WEEKS / 51, "slow_improvement"),  # reaches below 1.5 only at the end
    (6.0 - 3.0 * WEEKS / 51, "slow_improvement"),  # a fall of 3 points, still in pain
    (np.full(52, 2.5), "mild"),
    (np.full(52, 3.9), "mild"),
    (np.full(52, 4.0), "moderate_severe"),
    (np.linspace(7.0, 5.5, 52), "moderate_severe"),  # a fall of 1.5 < 2 points is no improvement
    (RELAPSE, "improvement_with_relapse"),
    (np.r_[np.full(20, 3.0), np.full(8, 6.0), np.full(24, 3.0)], "improvement_with_relapse"),  # a flare
    (np.r_[np.full(20, 3.0), np.full(8, 4.0), np.full(24, 3.0)], "mild"),  # a rise of one point is no flare
])
def test_naming_rule_on_hand_made_curves(curve, label):
    assert name_curve(curve) == label


def test_naming_rule_thresholds_are_where_documented():
    assert name_curve(np.r_[5.0, np.full(51, 1.49)]) == "recovery"
    assert name_curve(np.r_[5.0, np.full(51, 1.5)]) == "slow_improvement"  # end 1.5 is not recovered; fall >= 2
    late = np.r_[np.full(14, 5.0), np.full(38, 1.0)]  # the fall comes after week 13
    assert name_curve(late) == "slow_improvement"
    assert name_curve(np.r_[np.full(13, 5.0), np.full(39, 1.0)]) == "recovery"
    # 80% of the fall: from 7 to an end of 0.5, the level 1.8 must be reached by week 13 (index 13)
    assert name_curve(np.r_[7.0, np.linspace(6.0, 1.7, 13), np.full(38, 0.5)]) == "recovery"
    assert name_curve(np.r_[7.0, np.linspace(6.0, 2.0, 13), np.full(38, 0.5)]) == "slow_improvement"
    # monthly (4-week) periods: the fourth period starts at week 12
    assert name_curve(np.r_[5.0, 5.0, 5.0, np.full(10, 0.5)], period_weeks=4) == "recovery"
    assert name_curve(np.r_[5.0, 5.0, 5.0, 5.0, np.full(9, 0.5)], period_weeks=4) == "slow_improvement"


def test_pain_curves_weeks_and_months():
    weekly = np.arange(20.0 * 3).reshape(20, 3)  # 20 weeks x 3 patients
    assert pain_curves(weekly, 10).shape == (3, 10)
    np.testing.assert_array_equal(pain_curves(weekly, 10)[1], weekly[:10, 1])
    monthly = pain_curves(weekly, 18, "month")  # 4 whole blocks of 4 weeks; weeks 17-18 left out
    assert monthly.shape == (3, 4)
    assert monthly[0, 1] == weekly[4:8, 0].mean()
    assert [weeks_in_months(m) for m in (1, 3, 6, 12, 24)] == [4, 13, 26, 52, 104]


@pytest.mark.parametrize(("call", "message"), [
    (lambda w: pain_curves(w, 21), "21 weeks asked but only 20"),
    (lambda w: pain_curves(w, 7, "month"), "at least 2 periods"),
    (lambda w: pain_curves(w, 10, "year"), "period must be one of week, month"),
    (lambda w: fit_trajectory_classes(w.T, 0), "whole number from 1 to 7"),
    (lambda w: fit_trajectory_classes(w.T, 8), "whole number from 1 to 7"),
    (lambda w: fit_trajectory_classes(w.T, True), "whole number from 1 to 7"),
    (lambda w: fit_trajectory_classes(w.T, 4), "4 classes need at least 4 patients"),
    (lambda w: fit_trajectory_classes(w.T[:1]), "at least 2 patients"),
    (lambda w: fit_trajectory_classes(np.where(w.T > 5, np.nan, w.T)), "missing or infinite"),
    (lambda w: fit_trajectory_classes(w.T, seed=-1), "seed must be 0 or more"),
])
def test_bad_input_is_a_clear_error(call, message):
    weekly = np.random.default_rng(0).uniform(0, 10, (20, 3))
    with pytest.raises(TrajectoryInputError, match=message):
        call(weekly)


def _table(days, every_patient_pain):
    rows = [{"arm": "a", "day": d, "patient": p, "pain": every_patient_pain(d, p)} for d in days for p in (10, 20)]
    return pd.DataFrame(rows)


def test_weekly_pain_from_a_stored_table():
    weekly = _table(range(0, 28, 7), lambda d, p: d / 7 + p)
    got = weekly_pain_from_table(weekly, "a", horizon_days=25)  # 3 whole weeks; the 4th period is cut off
    np.testing.assert_array_equal(got, [[10, 20], [11, 21], [12, 22]])
    daily = _table(range(21), lambda d, p: d + p)  # daily records are averaged per week
    np.testing.assert_array_equal(weekly_pain_from_table(daily, "a", horizon_days=21), [[13, 23], [20, 30], [27, 37]])


def test_a_table_without_weekly_pain_says_what_to_record():
    with pytest.raises(TrajectoryInputError, match=r"every 14 days.*every = 7"):
        weekly_pain_from_table(_table(range(0, 56, 14), lambda d, p: 1.0), "a", horizon_days=56)
    no_pain = _table(range(0, 28, 7), lambda d, p: 1.0).rename(columns={"pain": "disability"})
    with pytest.raises(TrajectoryInputError, match=r"pain was not recorded \(recorded: disability\)"):
        weekly_pain_from_table(no_pain, "a", horizon_days=28)
