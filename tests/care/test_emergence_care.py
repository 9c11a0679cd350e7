"""What must emerge from care acting on the loops (issue: care), with fixed seeds and
5,000 clients per arm; docs/care.md explains each mechanism."""

from pathlib import Path

import numpy as np
import pytest

import painsim as ps
from painsim.outcomes.care_outcomes import care_summary, class_shares, relief_durations
from painsim.scenario import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def flagship():
    scenario = load_scenario(ROOT / "examples" / "massage_question.toml")
    result = run_scenario(scenario, n=5000, seed=2)
    return {name: (arm, care_summary(arm) if arm.care_outcomes.shape[0] else None)
            for name, arm in result.arms.items()}


def _pain_52(arm):
    return arm.daily()["pain_mean"].iloc[358:365].mean()


def test_massage_alone_shades_of_gray(flagship):
    arm, care = flagship["massage_weekly"]
    shares = class_shares(care)
    # Most get relief lasting days, some none, a few lasting relief. "Lasting" counts every
    # client who stays recovered for a year after the course, and untreated chronic pain
    # recovers for many within a year (Costa et al. 2009: 42% pain-free for a month), so the
    # class holds natural recoveries too: its band follows that evidence (docs/care.md).
    assert shares["transient"] >= 0.35
    assert shares["transient"] > max(shares["non_responder"], shares["lasting"])
    assert 0.10 <= shares["non_responder"] <= 0.40
    assert 0.02 <= shares["lasting"] <= 0.35
    durations = relief_durations(arm)
    responders = care["responder_class"] != "non_responder"
    per_client = care.loc[responders, "relief_median_days"].dropna()
    assert 2 <= np.median(durations) <= 14
    assert 2 <= per_client.median() <= 14


def test_combination_beats_massage_alone(flagship):
    massage, massage_care = flagship["massage_weekly"]
    combined, combined_care = flagship["combined"]
    assert _pain_52(massage) - _pain_52(combined) >= 0.5
    assert class_shares(combined_care)["lasting"] > class_shares(massage_care)["lasting"]


def test_good_alliance_beats_poor(flagship):
    _, poor = flagship["alliance_poor"]
    _, good = flagship["alliance_good"]
    assert good["relief_days"].mean() > poor["relief_days"].mean()
    assert good["relief_median_days"].median() > poor["relief_median_days"].median()
    assert class_shares(good)["lasting"] > class_shares(poor)["lasting"]


def test_fix_framing_disappoints_and_loses_clients(flagship):
    _, fix = flagship["framing_fix"]
    _, manage = flagship["framing_manage"]
    assert fix["disappointment"].mean() > manage["disappointment"].mean()
    assert fix["sessions_attended"].mean() < manage["sessions_attended"].mean()


def test_care_switched_off_matches_untreated_natural_history(flagship):
    untreated, _ = flagship["no_care"]
    cohort = untreated.cohort  # the end state; rebuild the entry cohort from the scenario instead
    scenario = load_scenario(ROOT / "examples" / "massage_question.toml")
    entry = ps.Cohort.build(scenario.population, n=5000, seed=2)
    natural = ps.simulate(entry, scenario.horizon_days, ps.Record.summaries())
    np.testing.assert_array_equal(natural.daily_sums, untreated.daily_sums)
    np.testing.assert_array_equal(natural.cohort.state, cohort.state)
