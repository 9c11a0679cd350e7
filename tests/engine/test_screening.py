"""Screening for chronic pain is bounded (issue 14, items 1 and 2): batches of bounded size,
progress after each, a limit on candidates, and a clear error when the cohort cannot fill.
Batching does not change who is in the cohort."""

import numpy as np
import pytest

import painsim.engine as pe
from painsim.engine.cohort import Cohort
from painsim.engine.population import NAMED_POPULATIONS
from painsim.engine.screening import ScreeningError, screen_population
from painsim.engine.variables import S_FIRST, S_NREC, S_REC, S_RUN
from painsim.limits import DEFAULT_LIMITS, SCREEN_BATCH_MIN, Limits, screening_cannot_fill


def _old_screen_chronic(population, n, seed, params):
    """The screening loop as it was before the limits (one growing batch per round), every
    candidate followed to entry in the steps screening takes since issue 17 (4-week blocks,
    then the days left), so that the states compare bit for bit."""
    days = population.chronic_min_days
    n_blocks = len(range(0, days // 7 - 3, 4))
    steps = [28] * n_blocks + ([days - 28 * n_blocks] if days > 28 * n_blocks else [])
    kept, found, next_id = [], 0, 0
    while found < n:
        batch = max(256, min(200_000, 4 * (n - found)))
        candidates = Cohort._acute(population, np.arange(next_id, next_id + batch), seed, params)
        parts = []
        for step in steps:
            result = pe.simulate(candidates, step, pe.Record(variables=("pain",), every=7))
            parts.append(result.trajectories["pain"])
            candidates = result.cohort
        weekly = np.concatenate(parts)
        blocks = [weekly[w:w + 4].mean(axis=0) for w in range(0, days // 7 - 3, 4)]
        persistent = np.all(np.array(blocks) > population.persistent_min_pain, axis=0)
        persistent &= weekly[-1] >= population.chronic_min_pain
        weeks = population.entry_rise_weeks  # consulting in a worse spell (issue 15)
        if weeks and weekly.shape[0] > weeks:
            persistent &= weekly[-1] >= weekly[-weeks - 1:-1].mean(axis=0) + population.entry_rise
        chosen = np.flatnonzero(persistent)[: n - found]
        kept.append(result.cohort.subset(chosen))
        found += chosen.size
        next_id += batch
    cohort = Cohort.concat(kept)
    cohort.state[[S_RUN, S_REC, S_NREC]] = 0.0
    cohort.state[S_FIRST] = -1.0
    cohort.population = population
    cohort.entry_day = cohort.day
    return cohort


def _assert_same_cohort(a: Cohort, b: Cohort) -> None:
    np.testing.assert_array_equal(a.ids, b.ids)
    for name in ("traits", "state", "modifiers"):
        left, right = getattr(a, name), getattr(b, name)
        assert left.dtype == right.dtype and left.flags.c_contiguous == right.flags.c_contiguous
        np.testing.assert_array_equal(left, right)
    assert (a.day, a.entry_day, a.seed, a.population, a.params) == (b.day, b.entry_day, b.seed, b.population,
                                                                      b.params)


@pytest.mark.parametrize(("min_pain", "days", "n"), [(4.0, 90, 300), (5.0, 120, 150)])
def test_batches_do_not_change_the_cohort(min_pain, days, n):
    population = pe.chronic_low_back_pain().model_copy(update={"chronic_min_pain": min_pain,
                                                               "chronic_min_days": days})
    old = _old_screen_chronic(population, n, 3, pe.ModelParams())
    assert old.ids.max() >= SCREEN_BATCH_MIN  # the old way took more than one batch of the smallest size
    for limits in (DEFAULT_LIMITS, Limits(screening_batch_patient_days=1)):  # 256 candidates a batch
        _assert_same_cohort(Cohort.build(population, n=n, seed=3, limits=limits), old)


@pytest.mark.parametrize("population", ["chronic", "consulters", "subacute"])
def test_screening_on_threads_keeps_the_same_patients(population):
    """One duration (block by block), a mixture of windows and a window of durations: the same
    cohort from candidates simulated on one thread or two (screen_population: no cache)."""
    pop = NAMED_POPULATIONS[population]()
    one = screen_population(pop, 300, 8, pe.ModelParams(), n_jobs=1)
    _assert_same_cohort(screen_population(pop, 300, 8, pe.ModelParams(), n_jobs=2), one)
    assert len(one) == 300


def test_building_on_no_threads_is_refused():
    with pytest.raises(ValueError, match="n_jobs"):
        Cohort.build("chronic", n=10, seed=1, n_jobs=0)


def _impossible(days: int = 90) -> pe.Population:
    return pe.chronic_low_back_pain().model_copy(update={"chronic_min_pain": 10.0, "chronic_min_days": days})


class _TooManyCandidatesError(AssertionError):
    pass


@pytest.fixture
def candidate_budget(monkeypatch):
    """Counts candidates simulated (Cohort._acute) and fails the test beyond a budget, so that
    unbounded screening fails instead of running for ever."""
    seen = {"total": 0, "batches": [], "budget": 300_000}
    original = Cohort._acute.__func__

    def counting(cls, population, ids, seed, params):
        seen["total"] += ids.size
        seen["batches"].append(ids.size)
        if seen["total"] > seen["budget"]:
            raise _TooManyCandidatesError(f"screened {seen['total']:,} candidates: screening is not bounded")
        return original(cls, population, ids, seed, params)

    monkeypatch.setattr(Cohort, "_acute", classmethod(counting))
    return seen


def test_a_population_nobody_meets_stops_with_counts(candidate_budget):
    # issue 14 item 2: chronic_min_pain = 10 used to loop for ever in Cohort._screen_chronic
    with pytest.raises(ScreeningError) as err:
        Cohort.build(_impossible(), n=5000, seed=1)
    message = str(err.value)
    screened = candidate_budget["total"]
    assert f"screening stopped after {screened:,} of at most 5,000,000 candidates" in message
    assert "0 of the 5,000 patients wanted" in message
    assert "pain >= 10 (population.chronic_min_pain) in the last week" in message and "both (chronic): 0" in message
    # one duration: candidates are followed to the last week only while their pain persists (issue 17)
    assert "; of those, pain >= 10" in message
    assert ("Relax population.chronic_min_pain (10), population.persistent_min_pain (2), population.entry_rise (1) or "
            "population.chronic_min_days (90)") in message


def test_screening_stops_at_its_candidate_limit(candidate_budget):
    limits = Limits(screening_candidates_per_place=10, screening_min_candidates=1000)
    with pytest.raises(ScreeningError, match="screening examined its limit of 1,000 candidates"):
        Cohort.build(_impossible(), n=3, seed=1, limits=limits)
    assert candidate_budget["total"] == 1000


def test_batches_are_bounded_in_patient_days(monkeypatch):
    # a long screening period gets smaller batches, so progress (and cancel) comes often
    sizes = []

    def first_batch_only(cls, population, ids, seed, params):
        sizes.append(ids.size)
        raise _TooManyCandidatesError("stop after the first batch")

    monkeypatch.setattr(Cohort, "_acute", classmethod(first_batch_only))
    population = pe.chronic_low_back_pain().model_copy(update={"chronic_min_days": 3650})
    with pytest.raises(_TooManyCandidatesError):
        Cohort.build(population, n=5000, seed=1)
    assert sizes == [DEFAULT_LIMITS.screening_batch_patient_days // 3650]


def test_an_exception_from_progress_stops_screening(candidate_budget):
    class CancelledError(Exception):
        pass

    def cancel(done, total):
        raise CancelledError

    with pytest.raises(CancelledError):
        Cohort.build(_impossible(), n=5000, seed=1, progress=cancel)
    assert len(candidate_budget["batches"]) == 1


def test_giving_up_early():
    assert not screening_cannot_fill(0, 10, 0, 1000)  # nothing screened yet
    assert screening_cannot_fill(0, 10, 1000, 1000)  # no candidates left
    assert not screening_cannot_fill(5, 10, 100, 1000)  # 5% found: 45 more expected
    assert screening_cannot_fill(0, 5000, 20_000, 5_000_000)  # none in 20,000: 5,000 is out of reach
    assert not screening_cannot_fill(0, 10, 20_000, 5_000_000)  # ... but 10 might still be found
    assert not screening_cannot_fill(3, 3, 10, 10)  # filled
