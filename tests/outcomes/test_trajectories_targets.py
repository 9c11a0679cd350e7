"""Calibration targets read trajectory classes: the statistic ``trajectory_share`` and how a
targets file declares it."""

import numpy as np
import pytest

from painsim.calibration import TargetsError, parse_targets
from painsim.calibration import statistics as st
from painsim.calibration.fitting import evaluate
from painsim.outcomes.trajectories import LABELS, MIN_WEEKS, fit_trajectory_classes, pain_curves

TARGETS = """
[fit]
n = 300
seed = 4
[scenarios.untreated]
horizon_days = 119
population = { entry = "chronic" }
arms.no_care = {}
[[targets]]
name = "recovery_class"
citation = "Kongsted A et al. Spine J 2015;15(5):885-94"
source = { kind = "scenario", scenario = "untreated", arm = "no_care" }
statistic = { name = "trajectory_share", trajectory_class = "recovery", day = 111 }
value = 0.26
band = [0.2, 0.32]
[[targets]]
name = "severe_class"
citation = "Kongsted A et al. Spine J 2015;15(5):885-94"
source = { kind = "scenario", scenario = "untreated", arm = "no_care" }
statistic = { name = "trajectory_share", trajectory_class = "moderate_severe", day = 111, classes = 3 }
value = 0.20
band = [0.15, 0.25]
"""


def _with_statistic(statistic: str) -> str:
    return TARGETS.replace('{ name = "trajectory_share", trajectory_class = "recovery", day = 111 }', statistic)


def test_a_target_reads_a_pattern_share_of_the_simulated_arm():
    targets = parse_targets(TARGETS)
    assert targets.target("recovery_class").statistic.describe() == "trajectory_share recovery day 111"
    assert targets.target("severe_class").describe() == "trajectory_share moderate_severe (3 classes) day 111"
    values = evaluate({}, targets)
    assert all(0.0 <= v <= 1.0 for v in values.values())
    # the same as fitting the arm's weekly pain directly: 16 whole weeks end by day 111, seed 0
    from painsim.scenario import RecordSpec, run_scenario

    scenario = targets.scenarios["untreated"].model_copy(
        update={"record": RecordSpec(variables=("pain",), every=7, patients=300)})
    arm = run_scenario(scenario, n=300, seed=4).arms["no_care"]
    weekly = arm.trajectories["pain"]
    by_bic = fit_trajectory_classes(pain_curves(weekly, 16), seed=0)
    three = fit_trajectory_classes(pain_curves(weekly, 16), 3, seed=0)
    assert values["recovery_class"] == by_bic.label_shares()["recovery"]
    assert values["severe_class"] == three.label_shares()["moderate_severe"]
    assert values["severe_class"] > 0  # an untreated chronic cohort has a persistent class


@pytest.mark.parametrize(("statistic", "expected"), [
    ('{ name = "trajectory_share", day = 111 }', "needs trajectory_class ('recovery', 'slow_improvement'"),
    ('{ name = "trajectory_share", trajectory_class = "recovered", day = 111 }',
     "trajectory_class (line 13): Input should be 'recovery', 'slow_improvement'"),
    ('{ name = "trajectory_share", trajectory_class = "mild" }', "needs a day"),
    ('{ name = "trajectory_share", trajectory_class = "mild", day = 20 }', "at least 4 whole weeks: day >= 27"),
    ('{ name = "trajectory_share", trajectory_class = "mild", day = 111, classes = 8 }',
     "classes (line 13): Input should be less than or equal to 7"),
    ('{ name = "trajectory_share", trajectory_class = "mild", day = 200 }', "outside the horizon"),
    ('{ name = "pain_mean", day = 111, trajectory_class = "mild" }', "belong to statistic 'trajectory_share'"),
])
def test_bad_trajectory_targets_say_what_is_allowed(statistic, expected):
    with pytest.raises(TargetsError, match="targets file") as error:
        parse_targets(_with_statistic(statistic))
    assert expected in str(error.value)


def test_the_statistic_is_declared_like_the_others():
    assert "trajectory_share" in st.STATISTICS and "trajectory_share" in st.NEEDS_DAY
    assert st.TRAJECTORY_MIN_WEEKS == MIN_WEEKS
    for label in LABELS:
        assert label in st.STATISTICS["trajectory_share"]


class _Arm:
    """The parts of a SimulationResult the statistic reads."""

    def __init__(self, weekly):
        self.trajectories = {"pain": weekly}
        self.every = 7
        self.start_day = 0
        self.period_days = 7 * np.arange(weekly.shape[0])
        self.recorded = np.arange(weekly.shape[1])
        self.cohort = range(weekly.shape[1])


def test_statistic_on_known_classes_and_its_errors():
    rng = np.random.default_rng(2)
    weeks = np.arange(20)
    curves = np.vstack([np.tile(6 * np.exp(-weeks / 2), (120, 1)), np.tile(np.full(20, 6.5), (80, 1))])
    arm = _Arm((curves + rng.normal(0, 0.8, curves.shape)).T)
    assert st.compute("trajectory_share", arm, day=139, trajectory_class="recovery") == pytest.approx(0.6, abs=0.02)
    assert st.compute("trajectory_share", arm, day=139, trajectory_class="mild") == 0.0
    with pytest.raises(ValueError, match="trajectory_class must be one of recovery"):
        st.compute("trajectory_share", arm, day=139, trajectory_class="lasting")
    with pytest.raises(ValueError, match="3 whole week"):
        st.compute("trajectory_share", arm, day=21, trajectory_class="recovery")


def test_the_pattern_targets_of_one_arm_share_one_fit(monkeypatch):
    """Five Kongsted targets read one arm: the latent classes are fitted once per arm and
    number of weeks (a fit is the slowest part of evaluating them), with the same values."""
    from painsim.outcomes import trajectories

    text = TARGETS + "".join(f"""
[[targets]]
name = "{label}_share"
citation = "Kongsted A et al. Spine J 2015;15(5):885-94"
source = {{ kind = "scenario", scenario = "untreated", arm = "no_care" }}
statistic = {{ name = "trajectory_share", trajectory_class = "{label}", day = 111 }}
value = 0.2
band = [0.1, 0.3]
""" for label in ("mild", "slow_improvement", "improvement_with_relapse"))
    targets = parse_targets(text)
    fits = []
    real_fit = trajectories.fit_trajectory_classes

    def counting_fit(*args, **kwargs):
        fits.append(args[1] if len(args) > 1 else "auto")
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(trajectories, "fit_trajectory_classes", counting_fit)
    values = evaluate({}, targets)
    assert sorted(map(str, fits)) == ["3", "auto"]  # one fit by BIC for four targets, one with 3 classes
    shares = [values[f"{label}_share"] for label in ("mild", "slow_improvement", "improvement_with_relapse")]
    assert sum(shares) + values["recovery_class"] <= 1.0 + 1e-12
