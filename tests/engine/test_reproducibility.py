"""Same seed, same results: in one piece, in chunks, on threads or on processes."""

from concurrent.futures import ProcessPoolExecutor

import numpy as np

import painsim.engine as pe

RECORD = pe.Record(variables=("pain", "disability", "sensitization", "pain_worst"), every=7)


def _simulate(cohort):
    return pe.simulate(cohort, 200, RECORD)


def _assert_same(a, b):
    np.testing.assert_array_equal(a.cohort.state, b.cohort.state)
    np.testing.assert_array_equal(a.summaries, b.summaries)
    np.testing.assert_array_equal(a.daily_sums, b.daily_sums)
    for name in a.trajectories:
        np.testing.assert_array_equal(a.trajectories[name], b.trajectories[name])


def test_same_seed_same_results_and_other_seed_differs(chronic_small):
    a, b = _simulate(chronic_small), _simulate(chronic_small.copy())
    _assert_same(a, b)
    other = pe.Cohort.build("chronic", n=len(chronic_small), seed=99)
    assert not np.array_equal(_simulate(other).summaries, a.summaries)


def test_chunks_threads_and_processes_give_identical_results(chronic_small):
    whole = _simulate(chronic_small)
    chunks = pe.SimulationResult.concat([_simulate(c) for c in chronic_small.split(3)])
    _assert_same(whole, chunks)
    _assert_same(whole, pe.simulate(chronic_small, 200, RECORD, n_jobs=2))
    with ProcessPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(_simulate, chronic_small.split(2)))
    _assert_same(whole, pe.SimulationResult.concat(parts))


def test_a_patient_is_the_same_person_in_any_cohort_size():
    small = pe.Cohort.build("chronic", n=40, seed=5)
    large = pe.Cohort.build("chronic", n=120, seed=5)
    np.testing.assert_array_equal(small.ids, large.ids[:40])
    np.testing.assert_array_equal(small.state, large.state[:, :40])
    np.testing.assert_array_equal(small.traits, large.traits[:, :40])


def test_input_cohort_is_left_unchanged(chronic_small):
    before = chronic_small.state.copy()
    result = pe.simulate(chronic_small, 30, pe.Record.summaries())
    np.testing.assert_array_equal(before, chronic_small.state)
    assert result.cohort.day == chronic_small.day + 30
