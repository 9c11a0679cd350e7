"""Trial entry and eligibility by duration of pain (issue 15, item 2): the entry a spec asks
for is the entry it gets (acute used to be replaced by a screened chronic cohort), a
maximum duration can be written, and what cannot be had is an error (exit 2 on the CLI)."""

import numpy as np
import pytest
from typer.testing import CliRunner

from painsim.cli import app
from painsim.trials import TrialSpecError, parse_trial, run_trial
from painsim.trials.run import screen

SPEC = """
seed = 3
[population]
{population}
[eligibility]
{eligibility}
[arms.massage]
n = 25
massage = {{ schedule = {{ count = 4 }} }}
[arms.usual_care]
n = 25
[visits]
weeks = [4]
"""


def _spec(population: str = 'entry = "chronic"', eligibility: str = ""):
    return parse_trial(SPEC.format(population=population, eligibility=eligibility), source="spec.toml")


def _error(population: str, eligibility: str) -> str:
    with pytest.raises(TrialSpecError) as err:
        _spec(population, eligibility)
    return str(err.value)


def test_an_acute_entry_enrols_patients_at_onset():
    spec = _spec('entry = "acute"', "min_pain = 3")
    assert spec.screening_population().entry == "acute"
    cohort, _, counts = screen(spec, 3)
    assert cohort.entry_day == 0 and cohort.day == spec.eligibility.screening_days
    assert np.all(cohort.duration_days == 0)
    data = run_trial(spec)
    assert np.all(data.duration_days == 0) and len(data.duration_days) == len(data.frame)
    assert counts["screened"] >= spec.n_total


@pytest.mark.parametrize(("population", "eligibility", "low", "high"), [
    # pain for 1 week to 8 months: primary-care consulters with both bounds
    ('entry = "consulters"', "min_duration_weeks = 1\nmax_duration_months = 8", 7, 243),
    ('entry = "chronic"', "max_duration_months = 12", 92, 365),
    ('entry = "chronic"', "min_duration_months = 6\nmax_duration_days = 400", 183, 400),
    ('entry = "chronic"\nchronic_max_days = 200', "", 92, 200),
    ('entry = "subacute"', "min_duration_weeks = 4", 28, 84),
    ('entry = "chronic"', "", 92, 92),  # the default: enters at 3 months, as always
])
def test_every_enrolled_duration_lies_in_the_window(population, eligibility, low, high):
    data = run_trial(_spec(population, eligibility))
    assert len(data.duration_days) == data.spec.n_total
    assert data.duration_days.min() >= low and data.duration_days.max() <= high
    if low < high:
        assert np.unique(data.duration_days).size > 3


def test_a_consulter_trial_keeps_the_mixture_within_the_window():
    spec = _spec('entry = "consulters"', "min_duration_weeks = 1\nmax_duration_months = 8")
    windows = spec.screening_population().entry_windows()
    assert [(w.min_days, w.max_days) for w in windows] == [(7, 30), (31, 91), (92, 182), (183, 243)]
    assert abs(sum(w.share for w in windows) - 1) < 1e-12
    data = run_trial(spec)
    quotas = spec.screening_population().quotas(spec.n_total)
    for window, quota in zip(windows, quotas, strict=True):
        assert np.sum((data.duration_days >= window.min_days) & (data.duration_days <= window.max_days)) == quota


IMPOSSIBLE = [
    ('entry = "acute"', "min_duration_months = 3",
     'eligibility.min_duration_months (line 6): an acute entry (population.entry = "acute") enrols patients at '
     "the onset of their episode (0 days of pain); a minimum of 3 months = 92 days cannot be had"),
    ('entry = "chronic"', "max_duration_weeks = 8",
     "eligibility.max_duration_weeks (line 6): a chronic entry has pain for at least 92 days"),
    ('entry = "chronic"', "min_duration_weeks = 8\nmax_duration_weeks = 4",
     "max_duration_weeks (4 weeks = 28 days) is below min_duration_weeks (8 weeks = 56 days)"),
    ('entry = "chronic"', "min_duration_weeks = 8\nmin_duration_days = 4",
     "min_duration_days and min_duration_weeks both bound the duration of pain from below; give one of them"),
    ('entry = "subacute"', "min_duration_months = 4",
     "eligibility.min_duration_months (line 6): a subacute entry has pain for 14 to 84 days"),
    ('entry = "consulters"', "max_duration_days = 0",
     "eligibility.max_duration_days (line 6): no band of population.consulter_durations"),
    ('entry = "chronic"\nchronic_max_days = 120', "min_duration_months = 6",
     "population.chronic_max_days (line 5): a chronic entry has pain for at least 183 days"),
]


@pytest.mark.parametrize(("population", "eligibility", "expected"), IMPOSSIBLE)
def test_a_spec_that_asks_for_what_cannot_be_had_is_an_error(population, eligibility, expected):
    message = _error(population, eligibility)
    assert message.startswith("spec.toml:") and expected in message


def test_the_cli_refuses_an_impossible_entry_with_exit_2(tmp_path):
    path = tmp_path / "acute.toml"
    path.write_text(SPEC.format(population='entry = "acute"', eligibility="min_duration_months = 3"))
    result = CliRunner().invoke(app, ["trial", "run", str(path), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "eligibility.min_duration_months" in result.output and "Traceback" not in result.output


def test_a_window_nobody_survives_is_exit_2_not_a_hang(tmp_path):
    path = tmp_path / "nobody.toml"
    path.write_text(SPEC.format(population='entry = "subacute"\nchronic_min_pain = 10', eligibility=""))
    result = CliRunner().invoke(app, ["trial", "run", str(path), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "population.subacute_min_days / population.subacute_max_days" in result.output
