"""scripts/trajectory_share_spread.py, which docs/validation.md quotes: the pattern shares of
one consulter cohort are those the calibration statistic reads, and add up to 1."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "trajectory_share_spread.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("painsim_trajectory_share_spread", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pattern_shares_of_one_cohort_add_up_to_one(script):
    shares = script.pattern_shares(n=150, seed=2)
    assert set(shares) == {"recovery", "slow_improvement", "improvement_with_relapse", "mild", "moderate_severe"}
    assert sum(shares.values()) == pytest.approx(1.0)
    assert script.pattern_shares(n=150, seed=2) == shares  # same cohort, same fit


def test_switching_every_loop_off_leaves_fewer_in_pain(script):
    from painsim.engine import Cohort, primary_care_consulters

    cohort = Cohort.build(primary_care_consulters(), n=150, seed=2)
    with_loops = script.high_pain_share(cohort, ())
    without = script.high_pain_share(cohort, ("wind_up", "sleep", "fear_avoidance", "strain", "guarding"))
    assert without < with_loops


def test_seed_ranges(script):
    assert script._seeds("1-3") == [1, 2, 3]
    assert script._seeds("4") == [4]
