"""Behaviour that must emerge from the loops (never hard-coded), with fixed seeds.

Bands and their sources are documented in docs/model.md (Calibration, Behaviour).
"""

import numpy as np
import pytest

import painsim as ps
from painsim.engine.variables import M_NOCI, STATE_INDEX

N = 4000


@pytest.fixture(scope="module")
def chronic():
    return ps.Cohort.build("chronic", n=N, seed=11)


@pytest.fixture(scope="module")
def year(chronic):
    return ps.simulate(chronic, 365, ps.Record.summaries())


def test_natural_history_of_untreated_chronic_pain(year):
    daily = year.daily()["pain_mean"]
    summary = year.summary()
    recovered = summary["first_recovery_day"].notna()
    assert daily.iloc[:7].mean() >= 4.5  # entry: pain >= 4 for every patient in the screen
    # Costa et al. 2012 (CMAJ): mean pain falls, but only part of the way, in a year (0.45 of
    # baseline, CI 0.31-0.59: a calibration target, docs/validation.md); this tests the shape.
    assert 0.3 <= daily.iloc[-28:].mean() / daily.iloc[:7].mean() <= 0.8
    # Costa et al. 2009 (BMJ): 42% pain-free for a month within a year; the kernel's own
    # recovery (smoothed pain <= 2 for 30 days) is looser, so more qualify.
    assert 0.25 <= recovered.mean() <= 0.65
    # recurrences happen among the recovered (da Silva et al. 2019), not to everyone
    recurred = (summary.loc[recovered, "recurrences"] > 0).mean()
    assert 0.05 <= recurred <= 0.6


def test_acute_episodes_mostly_recover(chronic):
    acute = ps.Cohort.build("acute", n=N, seed=11)
    result = ps.simulate(acute, 365, ps.Record.summaries())
    pain = result.daily()["pain_mean"].to_numpy()
    base = pain[:7].mean()
    assert 0.30 <= pain[35:42].mean() / base <= 0.60  # Costa 2012: 52 -> 23 /100 at 6 weeks
    assert pain[-28:].mean() / base <= 0.30  # and 6 /100 at a year
    assert 0.65 <= result.summary()["first_recovery_day"].notna().mean() <= 0.95  # Henschke 2008: 72%


def test_no_single_loop_controls_chronicity(chronic, year):
    baseline = year.chronic_share()
    assert baseline > 0.2
    for name in ps.LOOP_NAMES:
        share = ps.simulate(chronic, 365, ps.Record.summaries(), loops={name: 0}).chronic_share()
        assert 0.05 < share < baseline - 0.01, name
    # with every loop off, what stays is pain from tissue (slow healing, a person's own level)
    none = ps.simulate(chronic, 365, ps.Record.summaries(), loops=dict.fromkeys(ps.LOOP_NAMES, 0))
    assert none.chronic_share() <= 0.5 * baseline


def test_hysteresis_history_decides_the_basin_for_some_trait_combinations():
    start = ps.Cohort.build("acute", n=N, seed=12)
    for name in ("tissue", "guarding", "inflammation"):
        start.state[STATE_INDEX[name]] = 0.0  # no injury: identical traits, calm start
    flare = start.copy()
    flare.modifiers[M_NOCI] = 4.0  # a long flare: 90 days of strong nociception
    calm_then = ps.simulate(start, 90, ps.Record.summaries()).cohort
    flare_then = ps.simulate(flare, 90, ps.Record.summaries()).cohort
    flare_then.modifiers[M_NOCI] = 1.0
    calm = ps.simulate(calm_then, 365, ps.Record.summaries()).summary()["pain_last28"].to_numpy()
    after_flare = ps.simulate(flare_then, 365, ps.Record.summaries()).summary()["pain_last28"].to_numpy()
    switched = np.mean((after_flare >= 4) & (calm < 3))
    # without an injury, chronic pain a year on comes from a person's own level (T0) only: a
    # minority (the point prevalence of chronic LBP is of this order)
    assert np.mean(calm >= 4) <= 0.12
    # a minority near a tipping point is bistable: for them history decides (MODEL.md). The
    # evidence on the persistent course (pain 0.45 of baseline and 42% pain-free within a
    # year: Costa et al. 2009, 2012) leaves little room for a sensitized state that holds
    # itself up, so the minority is small: 5 of 4,000 here (4.7% before the issue-15 refit, whose
    # persistent course was too flat); docs/model.md, "Calibration", keeps the trade-off.
    assert 0.0 < switched <= 0.2
    assert np.mean((calm >= 4) & (after_flare < 3)) < 0.005  # history acts one way
