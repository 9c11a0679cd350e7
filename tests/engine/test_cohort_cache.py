"""The cache of screened cohorts: a reused cohort is the one screening builds, bit for bit; it
is a copy; anything the cohort depends on makes a new entry; the budget evicts."""

from __future__ import annotations

import numpy as np
import pytest

import painsim as ps
from painsim.engine.cohort_cache import SCREENED_COHORTS, CohortCache, budget_from_environment, cohort_bytes
from painsim.engine.screening import screen_population


@pytest.fixture(autouse=True)
def _fresh_cache():
    SCREENED_COHORTS.clear()
    yield
    SCREENED_COHORTS.clear()


def _same(a, b) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f))
               for f in ("ids", "traits", "state", "modifiers", "duration_days")) and a.day == b.day


def test_a_reused_cohort_is_the_screened_one_and_a_copy():
    first = ps.Cohort.build("chronic", n=120, seed=5)
    reference = screen_population(first.population, 120, 5, ps.ModelParams(), None)
    calls = []
    again = ps.Cohort.build("chronic", n=120, seed=5, progress=lambda done, total: calls.append((done, total)))
    assert SCREENED_COHORTS.hits == 1 and calls == [(120, 120)]
    assert _same(first, reference) and _same(again, reference)
    again.state[:] = 0.0  # the caller's copy: the cache keeps its own
    assert _same(ps.Cohort.build("chronic", n=120, seed=5), reference)


@pytest.mark.parametrize("change", [{"seed": 6}, {"n": 121}, {"params": ps.ModelParams(heal_rate=0.5)},
                                    {"population": "subacute"}])
def test_anything_the_cohort_depends_on_makes_a_new_entry(change):
    ps.Cohort.build("chronic", n=120, seed=5)
    other = ps.Cohort.build(**{"population": "chronic", "n": 120, "seed": 5, **change})
    assert SCREENED_COHORTS.hits == 0 and len(SCREENED_COHORTS) == 2
    assert not _same(other, ps.Cohort.build("chronic", n=120, seed=5))


def test_a_scenario_screens_its_cohort_once_and_gives_the_same_answer():
    from painsim.scenario import parse_scenario, run_scenario

    scenario = parse_scenario('name = "twice"\nn = 80\nseed = 2\nhorizon_days = 90\narms.no_care = {}\n'
                              'arms.massage = { massage = {} }\n')
    first = run_scenario(scenario).arms["massage"].summary()
    assert SCREENED_COHORTS.misses == 1
    second = run_scenario(scenario).arms["massage"].summary()
    assert SCREENED_COHORTS.hits == 1
    assert first.equals(second)


def test_the_budget_evicts_the_least_recently_used():
    cohorts = [ps.Cohort.build("acute", n=100, seed=s) for s in range(3)]
    cache = CohortCache(budget_bytes=int(2.5 * cohort_bytes(cohorts[0])))
    for k, c in enumerate(cohorts[:2]):
        cache.put(("c", k), c)
    assert cache.get(("c", 0)) is not None  # 0 is now the most recently used
    cache.put(("c", 2), cohorts[2])
    assert cache.get(("c", 1)) is None and cache.get(("c", 0)) is not None and len(cache) == 2
    assert cache.size_bytes <= cache.budget_bytes
    off = CohortCache(budget_bytes=0)
    off.put(("c", 0), cohorts[0])
    assert len(off) == 0


def test_the_budget_variable_is_checked(monkeypatch):
    monkeypatch.setenv("PAINSIM_COHORT_CACHE_MB", "64")
    assert budget_from_environment() == 64 * 2**20
    monkeypatch.setenv("PAINSIM_COHORT_CACHE_MB", "lots")
    with pytest.raises(ValueError, match="PAINSIM_COHORT_CACHE_MB='lots'"):
        budget_from_environment()


def test_a_bad_budget_variable_is_bad_input_before_any_command_runs(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from painsim.cli import app

    monkeypatch.setenv("PAINSIM_COHORT_CACHE_MB", "lots")
    result = CliRunner().invoke(app, ["demo", "--n", "20", "--draws", "0", "--store", str(tmp_path / "store"),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "PAINSIM_COHORT_CACHE_MB='lots'" in result.output
    assert "internal error" not in result.output and not (tmp_path / "store").exists()
