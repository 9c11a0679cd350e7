"""The speed baseline (benchmarks/baseline_kernel.py) computes the engine's model.

``bench_engine.baseline_compare`` and ``benchmarks/kernel_ab.py`` time the engine against the
hand-written monolithic kernel; the ratio is like for like only while both compute the same
equations. When the model changes (docs/model.md, "The daily update"), this test fails until
the baseline follows it.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

import painsim as ps
from painsim.care import CarePlan, Education, Exercise, Massage, Sham, SleepStressCare

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"

PLANS = {
    "no care": None,
    "massage + exercise + sleep + education": CarePlan(massage=Massage(), exercise=Exercise(),
                                                       sleep_stress=SleepStressCare(), education=Education()),
    "sham + late home exercise": CarePlan(sham=Sham(), exercise=Exercise(start_day=9, weeks=3, supervised=False)),
}


@pytest.fixture(scope="module")
def baseline_simulate():
    sys.path.insert(0, str(BENCH))
    try:
        from baseline_kernel import baseline_simulate
    finally:
        sys.path.remove(str(BENCH))
    return baseline_simulate


@pytest.mark.parametrize("population", ["acute", "chronic"])
@pytest.mark.parametrize("plan", PLANS.values(), ids=PLANS.keys())
def test_baseline_kernel_gives_the_engines_summaries(baseline_simulate, population, plan):
    cohort = ps.Cohort.build(population, n=150, seed=11)
    engine = ps.simulate(cohort, 90, ps.Record.summaries(), care=plan).summaries
    baseline = baseline_simulate(cohort, 90, plan)
    assert engine.shape == baseline.shape
    # the same operations in the same order: identical bits (the speed ratio compares equal work)
    np.testing.assert_array_equal(baseline, engine)
