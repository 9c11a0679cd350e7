"""Bounded work for every accepted input (issue 14, deliverable 2 and items 3, 9, 10):
validation computes what a run will cost and refuses, naming the field and the limit, what
would exceed the documented limits (painsim.limits)."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from painsim.cli import app
from painsim.limits import DEFAULT_LIMITS, LimitError, check_power_cost, check_scenario_cost, check_trial_cost
from painsim.scenario import ScenarioError, parse_scenario, run_scenario
from painsim.trials import TrialSpecError, parse_trial
from painsim.trials.power import parse_range

ROOT = Path(__file__).resolve().parents[1]

TRIAL = """
name = "small"
[arms.massage]
n = 20
massage = { schedule = { count = 4 } }
[arms.usual_care]
n = 20
[visits]
weeks = [4]
"""


def _scenario_error(text: str) -> str:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text, source="s.toml")
    return str(err.value)


def _trial_error(text: str) -> str:
    with pytest.raises(TrialSpecError) as err:
        parse_trial(text, source="t.toml")
    return str(err.value)


def test_huge_blocks_are_refused_at_validation():
    # issue 14 item 3: block_sizes = [400000000] used to allocate gigabytes when randomising
    for size in ("400000000", "4000000000"):
        message = _trial_error(TRIAL + f'[randomisation]\nscheme = "stratified"\nblock_sizes = [{size}]\n'
                               "strata = { rmdq = [12] }\n")
        assert "randomisation.block_sizes (line " in message
        assert f"{int(size):,} participants per block; a block holds at most 10,000" in message


def test_too_many_arms_are_refused():
    arms = "".join(f"[arms.a{k}]\n" for k in range(20_001))
    assert "  - arms (line 1): 20,001 arms; at most 100" in _scenario_error(arms)
    trial_arms = "".join(f"[arms.a{k}]\nn = 2\n" for k in range(101))
    assert "  - arms (line 1): 101 arms; at most 100" in _trial_error(trial_arms + "[visits]\nweeks = [4]\n")


def test_unknown_recorded_variables_are_refused_with_did_you_mean():
    message = _scenario_error('[record]\nvariables = ["paine", "nonsense"]\n[arms.none]\n')
    assert "record.variables (line 2): unknown variable(s) 'paine' (did you mean 'pain'?), 'nonsense'" in message
    assert "recordable: tissue, guarding" in message and "pain_worst" in message


def test_a_recording_too_large_to_hold_is_refused_with_its_size():
    message = _scenario_error('n = 1000000\nhorizon_days = 730\n[population]\nentry = "acute"\n'
                              '[record]\nvariables = ["pain", "disability"]\nevery = 1\npatients = 1000000\n'
                              "[arms.none]\n")
    assert "record.patients (line 8): recording 2 variable(s) every 1 day(s) for 1,000,000 patients" in message
    assert "needs 5.4 GiB; the limit is 1.0 GiB" in message


def test_screening_that_cannot_finish_within_the_limit_is_refused():
    # 10 million patients screened over ten years cost at least 3.65e10 patient-days
    message = _scenario_error("n = 10000000\n[population]\nchronic_min_days = 3650\n[arms.none]\n")
    assert "population.chronic_min_days (line 3): screening 10,000,000 patients" in message
    assert f"the limit is {DEFAULT_LIMITS.max_screening_patient_days:,}" in message
    trial = (TRIAL.replace("n = 20", "n = 1000000") + "[arms.other]\nn = 1000000\n"
             "[eligibility]\nmin_duration_months = 120\n")
    assert "eligibility.min_duration_months (line" in _trial_error(trial)


def test_patient_days_and_memory_are_bounded():
    message = _scenario_error('n = 10000000\nhorizon_days = 36500\n[population]\nentry = "acute"\n'
                              "[record]\npatients = 0\n[arms.none]\n")
    assert "  - n (line 1): 10,000,000 patients x 36,500 days (horizon_days) x 1 arm(s)" in message
    assert "the limit is 20,000,000,000" in message
    demo = parse_scenario((ROOT / "examples/massage_question.toml").read_text())
    with pytest.raises(LimitError, match=r"^n \(--n\): the run needs about .* GiB of memory; the limit is 8.0 GiB"):
        check_scenario_cost(demo, n=2_000_000)
    with pytest.raises(LimitError, match="memory"):
        run_scenario(demo, n=2_000_000)  # the library checks too, before building anything


def test_the_cost_of_valid_inputs():
    demo = parse_scenario((ROOT / "examples/massage_question.toml").read_text())
    cost = check_scenario_cost(demo)
    assert cost.simulated_patient_days == 5000 * 730 * len(demo.arms)
    assert cost.screening_patient_days_min == 5000 * 180
    assert cost.screening_candidates_max == 1000 * 5000
    assert cost.recording_bytes == 4 * 3 * 105 * 2000 * len(demo.arms)
    spec = parse_trial(TRIAL)
    trial = check_trial_cost(spec)
    assert (trial.patients, trial.simulated_patient_days, trial.largest_block) == (40, 40 * 28, 4)
    assert set(trial.as_dict()) >= {"patient_days_min", "patient_days_max", "memory_bytes", "arms"}
    power = check_power_cost(spec, [10, 20], 5)
    assert power.trials == 10 and power.simulated_patient_days == 5 * (20 + 40) * 28


def test_power_ranges_are_bounded_before_they_are_listed():
    with pytest.raises(LimitError, match=r"^--n: 10:100000000:1 gives 99,999,991 values of n per arm; at most 1,000"):
        parse_range("10:100000000:1")  # counted, not listed
    with pytest.raises(LimitError, match=r"^--n: n per arm is at most 1,000,000"):
        parse_range("10:2000000:100000")
    spec = parse_trial(TRIAL)
    with pytest.raises(LimitError, match=r"^--reps: 1,000 values of n x 100,000 reps"):
        check_power_cost(spec, list(range(2, 1002)), 100_000)
    with pytest.raises(LimitError, match=r"^--n: 100 virtual trials simulate at least 14\d,\d{3},\d{3},\d{3} patient"):
        check_power_cost(spec.model_copy(update={"visits": spec.visits.model_copy(update={"weeks": (520,)})}),
                         [200_000], 100)


def _cli(*args: str):
    return CliRunner().invoke(app, list(args))


def test_trial_power_with_a_huge_range_exits_2(tmp_path):
    spec = tmp_path / "t.toml"
    spec.write_text(TRIAL)
    result = _cli("trial", "power", str(spec), "--n", "10:100000000:1", "--out", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert "--n: 10:100000000:1 gives 99,999,991 values of n per arm; at most 1,000" in result.output


def test_validate_recognises_a_trial_spec(tmp_path):
    spec = tmp_path / "t.toml"
    spec.write_text(TRIAL)
    result = _cli("validate", str(spec))
    assert result.exit_code == 0, result.output
    assert "valid trial spec 'small': 2 arm(s) (massage, usual_care), 40 randomised, visits at weeks 4" in result.output
    assert "cost: 1,120 patient-days simulated; screening" in result.output
    spec.write_text(TRIAL + "[eligibility]\nmin_pian = 3\n")
    result = _cli("validate", str(spec))
    assert result.exit_code == 2
    assert "problem(s) in the trial spec" in result.output and "did you mean 'min_pain'?" in result.output


def test_validate_shows_the_cost_of_a_scenario():
    result = _cli("validate", str(ROOT / "examples/massage_question.toml"))
    assert result.exit_code == 0, result.output
    assert "cost: 29,200,000 patient-days simulated; screening 900,000 to" in result.output


def test_run_refuses_an_override_beyond_the_limits(tmp_path):
    result = _cli("run", str(ROOT / "examples/massage_question.toml"), "--n", "2000000", "--out", str(tmp_path),
                  "--store", str(tmp_path / "store"))
    assert result.exit_code == 2, result.output
    assert "n (--n): the run needs about" in result.output
    assert not (tmp_path / "store").exists()


def test_screening_failures_exit_2(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "nobody"\n[population]\nchronic_min_pain = 10\n[arms.none]\n')
    result = _cli("run", str(scenario), "--out", str(tmp_path), "--store", str(tmp_path / "store"), "--json")
    assert result.exit_code == 2, result.output
    assert "population: screening stopped after" in result.output and "both (chronic): 0" in result.output
    trial = tmp_path / "t.toml"
    trial.write_text(TRIAL + "[eligibility]\nmin_pain = 10\nmin_rmdq = 24\n")
    result = _cli("trial", str(trial), "--out", str(tmp_path), "--json")
    assert result.exit_code == 2, result.output
    assert "eligibility: screening stopped after" in result.output
    assert not list(tmp_path.glob("*.json"))  # nothing written for a trial that could not be filled
