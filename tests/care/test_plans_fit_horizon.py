"""One check that care plans fit a run's horizon, for scenarios, trial specs and the patient page."""

import re

import pytest

from painsim.care import CarePlan, Massage, Schedule, check_plans_fit_horizon

LATE = CarePlan(massage=Massage(schedule=Schedule(start_day=0, every_days=7, count=10)))  # last session day 63


def test_a_plan_that_fits_passes_and_one_that_does_not_names_its_field():
    check_plans_fit_horizon({"a": LATE, "b": CarePlan()}, 64)
    with pytest.raises(ValueError, match=r"^arms\.a\.massage: a session is scheduled on day 63, outside the "
                                         r"horizon of 63 days"):
        check_plans_fit_horizon({"b": CarePlan(), "a": LATE}, 63)
    with pytest.raises(ValueError, match=r"^plan\.massage: "):
        check_plans_fit_horizon({"plan": LATE}, 30, where="")


def test_an_overflow_is_a_value_error_naming_the_plan():
    class Overflowing:
        def compile(self, horizon, params=None):
            raise OverflowError("massage: day out of range")

    with pytest.raises(ValueError, match=r"^arms\.x\.massage: day out of range"):
        check_plans_fit_horizon({"x": Overflowing()}, 30)


def test_scenarios_and_trial_specs_say_it_the_same_way():
    from painsim.scenario import ScenarioError, parse_scenario
    from painsim.trials import TrialSpecError, parse_trial

    arm = "[arms.a.massage]\nschedule = { start_day = 0, every_days = 7, count = 10 }\n"
    with pytest.raises(ScenarioError) as scenario_error:
        parse_scenario("horizon_days = 30\n" + arm)
    spec = ("[visits]\nweeks = [2, 4]\n[arms.a]\nn = 5\n[arms.a.massage]\n"
            "schedule = { start_day = 0, every_days = 7, count = 10 }\n[arms.b]\nn = 5\n")
    with pytest.raises(TrialSpecError) as spec_error:
        parse_trial(spec)
    pattern = r"arms\.a\.massage \(line \d+\): a session is scheduled on day 63, outside the horizon of \d+ days"
    assert re.search(pattern, str(scenario_error.value)), scenario_error.value
    assert re.search(pattern, str(spec_error.value)), spec_error.value  # was "arms.a (line 4): massage: ..."
