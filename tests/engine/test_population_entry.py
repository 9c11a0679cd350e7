"""Populations at entry (issue 15, item 2): acute, subacute, chronic with a window and
primary-care consulters, all built by one mechanism (simulate each candidate from onset for
its duration, keep those still in pain); the entry asked for is the entry given; what cannot
be had is an error."""

import numpy as np
import pytest

import painsim.engine as pe
from painsim.engine import rng
from painsim.engine.cohort import Cohort
from painsim.engine.population import IMPACT_BACK_DURATIONS, DurationShare, Population
from painsim.engine.screening import ScreeningError
from painsim.engine.variables import S_FIRST, S_NREC, S_REC, S_RUN
from painsim.limits import Limits
from painsim.scenario import ScenarioError, parse_scenario


def _alone(population: Population, patient: int, duration: int, seed: int):
    """One candidate simulated on its own from onset for ``duration`` days, ending on the
    population's entry day: its state at entry and whether it is still in pain."""
    entry = population.entry_day
    candidate = Cohort._acute(population, np.array([patient]), seed, pe.ModelParams())
    candidate.day = candidate.entry_day = entry - duration
    result = pe.simulate(candidate, duration, pe.Record(variables=("pain",), every=7))
    weekly = result.trajectories["pain"][:, 0]
    blocks = [weekly[w:w + 4].mean() for w in range(0, duration // 7 - 3, 4)]
    in_pain = (all(b > population.persistent_min_pain for b in blocks)
               and weekly[-1] >= population.chronic_min_pain)
    weeks = population.entry_rise_weeks  # consulting in a worse spell: a rise over the weeks before
    if weeks and duration >= 90 and weekly.size > weeks:
        in_pain = in_pain and weekly[-1] >= weekly[-weeks - 1:-1].mean() + population.entry_rise
    state = result.cohort.state[:, 0].copy()
    state[[S_RUN, S_REC, S_NREC]] = 0.0
    state[S_FIRST] = -1.0
    return state, in_pain


def _drawn_duration(population: Population, patient: int, seed: int) -> int:
    choices = population.entry_windows()[0].durations()
    u = rng.uniforms_for(seed, np.array([patient]), rng.ENTRY_DURATION, 0)[0]
    return int(choices[min(int(u * choices.size), choices.size - 1)])


def test_a_subacute_cohort_is_each_candidate_simulated_alone_and_kept_if_in_pain():
    population = pe.subacute_low_back_pain()
    cohort = Cohort.build(population, n=40, seed=5)
    assert cohort.day == cohort.entry_day == 84
    assert np.all(np.diff(cohort.ids) > 0)
    for position in (0, 7, 39):
        patient, duration = int(cohort.ids[position]), int(cohort.duration_days[position])
        assert duration == _drawn_duration(population, patient, 5)
        state, in_pain = _alone(population, patient, duration, 5)
        assert in_pain
        # the same up to float32 rounding: a batch is simulated in steps, one per onset day
        np.testing.assert_allclose(cohort.state[:, position], state, rtol=1e-5, atol=1e-6)
    dropped = sorted(set(range(int(cohort.ids[-1]))) - set(cohort.ids.tolist()))
    assert dropped  # some episodes had recovered by their entry day
    for patient in dropped[:5]:
        assert not _alone(population, patient, _drawn_duration(population, patient, 5), 5)[1]


@pytest.mark.parametrize(("population", "low", "high"), [
    (pe.subacute_low_back_pain(), 14, 84),
    (Population(entry="subacute", subacute_min_days=42, subacute_max_days=70), 42, 70),
    (Population(entry="chronic", chronic_min_days=120, chronic_max_days=365), 120, 365),
    (pe.chronic_low_back_pain(), 90, 90),
    (pe.acute_episode(), 0, 0),
])
def test_every_patient_has_a_duration_in_the_window_asked_for(population, low, high):
    cohort = Cohort.build(population, n=150, seed=2)
    assert len(cohort) == 150
    assert cohort.duration_days.dtype == np.int64
    assert low <= cohort.duration_days.min() and cohort.duration_days.max() <= high
    if low < high:
        assert np.unique(cohort.duration_days).size > 3  # a spread of durations, not one
        assert np.all((high - cohort.duration_days) % 7 == 0)  # whole weeks below the longest


def test_longer_durations_are_kept_less_often_by_the_model_s_own_course():
    # candidates draw durations uniformly; who is still in pain is the model's natural history
    cohort = Cohort.build(pe.subacute_low_back_pain(), n=600, seed=1)
    short, long = np.mean(cohort.duration_days <= 35), np.mean(cohort.duration_days >= 63)
    assert short > long


def test_consulters_have_the_published_mixture_of_durations():
    n = 300
    cohort = Cohort.build("consulters", n=n, seed=3)
    population = pe.primary_care_consulters()
    assert len(cohort) == n and np.all(np.diff(cohort.ids) > 0)
    assert population.quotas(n) == [55, 53, 61, 69, 62]  # 0.183, 0.178, 0.202, 0.230, 0.207 of 300
    for band, quota in zip(IMPACT_BACK_DURATIONS, population.quotas(n), strict=True):
        inside = (cohort.duration_days >= band.min_days) & (cohort.duration_days <= band.max_days)
        assert inside.sum() == quota
    assert cohort.duration_days.max() > 1095 and cohort.duration_days.min() <= 30


def test_consulters_have_their_own_pain_criteria_and_a_scenario_can_set_them():
    """Consulting cohorts set no minimum pain: a consulter is in pain above the recovered
    range, not necessarily at 4 or more; an explicit value still wins."""
    consulters = pe.primary_care_consulters()
    assert (consulters.chronic_min_pain, consulters.persistent_min_pain) == (2.0, 1.0)
    assert Population(entry="chronic").chronic_min_pain == 4.0
    given = parse_scenario('horizon_days = 7\n[population]\nentry = "consulters"\nchronic_min_pain = 3.5\n'
                           '[arms.a]\n').population
    assert (given.chronic_min_pain, given.persistent_min_pain) == (3.5, 1.0)
    cohort = Cohort.build(consulters, n=150, seed=5)
    screened = Cohort.build(consulters.model_copy(update={"chronic_min_pain": 4.0, "persistent_min_pain": 2.0}),
                            n=150, seed=5)
    week = [pe.simulate(c, 7, pe.Record(variables=("pain",), every=1)).trajectories["pain"].mean(axis=0)
            for c in (cohort, screened)]
    # consulters include people in mild pain, whom a screen for pain >= 4 leaves out
    assert np.mean(week[0] < 3) > np.mean(week[1] < 3) + 0.05


def test_a_custom_mixture_is_honoured():
    population = Population(entry="consulters", consulter_durations=[
        DurationShare(min_days=7, max_days=28, share=3), DurationShare(min_days=100, max_days=200, share=1)])
    cohort = Cohort.build(population, n=40, seed=4)
    assert np.sum(cohort.duration_days <= 28) == 30 and np.sum(cohort.duration_days >= 100) == 10


@pytest.mark.parametrize("population", [pe.subacute_low_back_pain(), pe.primary_care_consulters()])
def test_batches_do_not_change_a_windowed_cohort(population):
    small = Limits(screening_batch_patient_days=1)  # batches of 256 candidates
    n = 60 if population.entry == "consulters" else 300
    a = Cohort.build(population, n=n, seed=9)
    b = Cohort.build(population, n=n, seed=9, limits=small)
    for name in ("ids", "duration_days", "traits", "state", "modifiers"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_a_patient_is_the_same_in_a_small_and_a_large_cohort():
    small = Cohort.build("subacute", n=30, seed=6)
    large = Cohort.build("subacute", n=90, seed=6)
    np.testing.assert_array_equal(large.ids[:30], small.ids)
    np.testing.assert_array_equal(large.state[:, :30], small.state)
    np.testing.assert_array_equal(large.duration_days[:30], small.duration_days)


def test_the_duration_at_entry_is_kept_through_simulation_and_chunks():
    cohort = Cohort.build("subacute", n=50, seed=1)
    result = pe.simulate(cohort, 14)
    np.testing.assert_array_equal(result.cohort.duration_days, cohort.duration_days)
    joined = Cohort.concat(cohort.split(3))
    np.testing.assert_array_equal(joined.duration_days, cohort.duration_days)


def test_a_window_nobody_survives_stops_with_counts_and_fields():
    population = Population(entry="subacute", chronic_min_pain=10.0)
    with pytest.raises(ScreeningError) as err:
        Cohort.build(population, n=500, seed=1)
    message = str(err.value)
    assert "0 of the 500 patients wanted" in message
    assert ("every 4-week block of 14 to 84 days (population.subacute_min_days / "
            "population.subacute_max_days)") in message
    assert "Relax population.chronic_min_pain (10)" in message


POPULATION_ERRORS = [
    ('entry = "chronic"\nchronic_min_days = 30', "30 days is not chronic pain (at least 90 days)"),
    ('entry = "chronic"\nchronic_min_days = 200\nchronic_max_days = 100',
     "chronic_max_days (100) is below chronic_min_days (200)"),
    ('entry = "subacute"\nsubacute_min_days = 60\nsubacute_max_days = 30',
     "subacute_min_days (60) is above subacute_max_days (30)"),
    ('entry = "subacute"\nsubacute_max_days = 120', "population.subacute_max_days"),
    ('entry = "consulters"\nconsulter_durations = [{min_days = 10, max_days = 5, share = 1}]',
     "min_days (10) is above max_days (5)"),
    ('entry = "consulters"\nconsulter_durations = [{min_days = 10, max_days = 50, share = 0}]',
     "population.consulter_durations.0.share"),
    ('entry = "subchronic"', "'acute', 'subacute', 'chronic' or 'consulters'"),
]


@pytest.mark.parametrize(("population", "expected"), POPULATION_ERRORS)
def test_a_population_that_cannot_be_had_is_a_clear_error(population, expected):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(f"n = 10\n[population]\n{population}\n[arms.none]\n", source="s.toml")
    assert str(err.value).startswith("s.toml:") and expected in str(err.value)


def test_named_populations():
    for name, entry in [("acute", "acute"), ("subacute", "subacute"), ("chronic", "chronic"),
                        ("consulters", "consulters")]:
        assert Cohort.build(name, n=3, seed=1).population.entry == entry
    with pytest.raises(ValueError, match="'acute', 'subacute', 'chronic', 'consulters'"):
        Cohort.build("subchronic", n=3)


def test_a_rise_nobody_has_stops_with_the_field_to_relax():
    with pytest.raises(ScreeningError) as err:
        Cohort.build(Population(entry="chronic", entry_rise=6.0), n=300, seed=1,
                     limits=Limits(screening_candidates_per_place=50, screening_min_candidates=20_000))
    message = str(err.value)
    assert "and 6 above the mean of the 4 weeks before it (population.entry_rise)" in message
    assert "population.entry_rise (6)" in message
