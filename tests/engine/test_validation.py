"""Bad input gets a clear error that names the field and what is allowed."""

import numpy as np
import pytest
from pydantic import ValidationError

import painsim.engine as pe


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("heal_rate", -0.1, "greater than or equal to 0"),
        ("reinjury_rate", 1.5, "less than or equal to 1"),
        ("inhibition", float("nan"), "finite"),
        ("sensitization_gain", float("inf"), "finite"),
    ],
)
def test_invalid_parameters_name_field_and_range(field, value, message):
    with pytest.raises(ValidationError) as err:
        pe.ModelParams(**{field: value})
    text = str(err.value)
    assert field in text and message in text


def test_unknown_parameter_is_rejected():
    with pytest.raises(ValidationError, match="heal_rat"):
        pe.ModelParams(heal_rat=0.1)


def test_correlations_that_are_not_a_valid_matrix():
    bad = {
        "catastrophizing~stress_reactivity": 0.95,
        "catastrophizing~self_efficacy": 0.95,
        "stress_reactivity~self_efficacy": -0.95,
    }
    with pytest.raises(ValidationError, match="positive definite"):
        pe.Population(correlations=bad)


@pytest.mark.parametrize(
    ("correlations", "message"),
    [
        ({"catastrophizing~nonsense": 0.2}, "trait_a~trait_b"),
        ({"catastrophizing~self_efficacy": 1.0}, r"\(-1, 1\)"),
    ],
)
def test_bad_correlation_entries(correlations, message):
    with pytest.raises(ValidationError, match=message):
        pe.Population(correlations=correlations)


def test_trait_marginals_are_checked():
    with pytest.raises(ValidationError, match="unknown trait"):
        pe.Population(marginals={"grit": {"median": 0.5, "spread": 1.0}})
    with pytest.raises(ValidationError, match="less than 1"):
        pe.Population(marginals={"catastrophizing": {"median": 1.2, "spread": 1.0}})


@pytest.mark.parametrize("n", [0, -5, 2.5, True])
def test_cohort_size_must_be_positive_integer(n):
    with pytest.raises(ValueError, match="n \\(number of patients\\)"):
        pe.Cohort.build("acute", n=n)


def test_seed_and_population_name_are_checked():
    with pytest.raises(ValueError, match="seed"):
        pe.Cohort.build("acute", n=5, seed=-1)
    with pytest.raises(ValueError, match="'acute', 'subacute', 'chronic', 'consulters'"):
        pe.Cohort.build("chronc", n=5)


def test_simulate_arguments_are_checked():
    cohort = pe.Cohort.build("acute", n=5, seed=1)
    with pytest.raises(ValueError, match="days must be a positive integer"):
        pe.simulate(cohort, 0)
    with pytest.raises(ValueError, match="unknown loop 'windup'"):
        pe.simulate(cohort, 5, loops={"windup": 0})
    with pytest.raises(ValueError, match="finite and >= 0"):
        pe.simulate(cohort, 5, loops={"wind_up": np.nan})


def test_recording_choices_are_checked():
    with pytest.raises(ValidationError, match="unknown variable"):
        pe.Record.daily("pian")
    cohort = pe.Cohort.build("acute", n=50, seed=1)
    too_small = pe.Record(variables=("pain",), every=1, max_bytes=1000)
    with pytest.raises(MemoryError, match="record weekly, sample patients"):
        pe.simulate(cohort, 30, too_small)
