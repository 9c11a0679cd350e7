"""The vector kernel (patients in SIMD lanes) computes exactly what the scalar kernel computes,
compiles to packed vector instructions, and agrees with the libm kernel before issue 17
within Monte Carlo error."""

import re
import sys
from pathlib import Path

import numpy as np
import pytest

import painsim as ps
from painsim.engine import kernel, vkernel
from painsim.engine.loops import LOOP_NAMES
from painsim.engine.params import ModelParams
from painsim.engine.program import EMPTY_PROGRAM
from painsim.engine.recording import Record
from painsim.engine.variables import DAILY, SUMMARIES

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _run(fn, cohort, days, record):
    """One direct call of a kernel on fresh outputs: (state, summaries, daily sums, recordings)."""
    n = len(cohort)
    state = cohort.state.copy()
    summ = np.zeros((len(SUMMARIES), n))
    summ[SUMMARIES.index("first_recovery_day")] = -1.0
    daily = np.zeros((days, len(DAILY)), dtype=np.int64)
    periods = -(-days // record.every)
    slot = np.full(n, -1, dtype=np.int64)
    slot[::3] = np.arange(slot[::3].size)  # every third patient recorded
    rec_out = np.zeros((len(record.variables), periods, slot[::3].size), dtype=np.float32)
    rec = (record.variable_codes(), record.every, slot, rec_out)
    fn((state, cohort.traits, cohort.modifiers, cohort.ids), kernel.kernel_params(cohort.params),
       np.array([1.0, 0.5, 1.0, 1.0, 0.8])[: len(LOOP_NAMES)], np.uint64(cohort.seed), cohort.day, days, 0, n, rec,
       summ, daily, EMPTY_PROGRAM.kernel_args(), (np.zeros((0, n), np.float32), np.zeros((0, n))))
    return state, summ, daily, rec_out


@pytest.mark.parametrize("population, n, days, slow", [("acute", 203, 100, 0.0), ("chronic", 37, 45, 0.4)])
def test_vector_kernel_gives_the_scalar_kernels_results_bit_for_bit(population, n, days, slow):
    params = ModelParams(slow_fluctuation_sd=slow)
    cohort = ps.Cohort.build(population, n=n, seed=11, params=params)
    record = Record(variables=("pain", "pain_worst", "tissue", "disability"), every=7)
    scalar = _run(kernel.simulate_natural, cohort, days, record)
    vector = _run(vkernel.simulate_vector, cohort, days, record)
    for name, a, b in zip(("state", "summaries", "daily", "recorded"), scalar, vector, strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert np.any(scalar[3] != 0.0)  # something was recorded


def test_a_patients_course_does_not_depend_on_its_lane():
    cohort = ps.Cohort.build("acute", n=40, seed=2)
    whole = ps.simulate(cohort, 60, Record.summaries())
    shifted = ps.simulate(cohort.subset(slice(5, 40)), 60, Record.summaries())  # other lanes and blocks
    np.testing.assert_array_equal(whole.summaries[:, 5:], shifted.summaries)
    np.testing.assert_array_equal(whole.cohort.state[:, 5:], shifted.cohort.state)


@pytest.mark.parametrize("name, least", [("observe", 200), ("events", 10), ("loops", 100), ("care_levers", 100),
                                         ("care_relief", 50)])
def test_the_lane_loops_compile_to_packed_instructions_on_the_widest_vectors(name, least):
    isa = vkernel.host_vector_isa()
    if isa.register == "xmm":
        pytest.skip("this CPU has neither AVX2 nor AVX-512")
    asm = vkernel.lane_loop_asm(name)
    packed = re.findall(rf"\tv(?:mul|add|sub|fmadd\w*|div|max|min)pd\t[^\n]*%{isa.register}", asm)
    assert len(packed) >= least, f"{name}: {len(packed)} packed float64 operations in {isa.register} registers"
    if name in ("observe", "events"):  # the counter-based hash in 64-bit integer lanes
        assert re.search(rf"\t{isa.int64_multiply}\t[^\n]*%{isa.register}", asm), f"{name}: the hash is not vectorised"


def test_the_host_isa_matches_the_cpu_flags():
    flags = Path("/proc/cpuinfo").read_text().split() if Path("/proc/cpuinfo").exists() else []
    if not flags:
        pytest.skip("no /proc/cpuinfo to compare with")
    isa = vkernel.host_vector_isa()
    expected = "zmm" if "avx512f" in flags else "ymm" if "avx2" in flags else "xmm"
    assert isa.register == expected
    assert isa.float64_lanes == {"zmm": 8, "ymm": 4, "xmm": 2}[expected]
    assert (isa.int64_multiply == "vpmullq") == ("avx512dq" in flags)


@pytest.fixture(scope="module")
def libm_engine():
    sys.path.insert(0, str(BENCH))
    try:
        import scalar_kernel
    finally:
        sys.path.remove(str(BENCH))
    return scalar_kernel.libm_engine


def test_outcomes_agree_with_the_libm_kernel_within_monte_carlo_error(libm_engine):
    from painsim.care import CarePlan, Massage
    from painsim.outcomes.care_outcomes import care_summary

    cohort = ps.Cohort.build("chronic", n=400, seed=4)
    plan = CarePlan(massage=Massage())
    new = {arm: ps.simulate(cohort, 365, Record.summaries(), care=care) for arm, care in (("none", None),
                                                                                          ("massage", plan))}
    with libm_engine():
        old = {arm: ps.simulate(cohort, 365, Record.summaries(), care=care) for arm, care in (("none", None),
                                                                                              ("massage", plan))}
    for arm in new:
        a, b = new[arm].summary()["pain_mean"].to_numpy(), old[arm].summary()["pain_mean"].to_numpy()
        assert not np.array_equal(a, b)  # the math differs in the last bits ...
        se = a.std() / np.sqrt(a.size)
        assert abs(a.mean() - b.mean()) < 0.1 * se  # ... far below the cohort's Monte Carlo error
    classes_new = care_summary(new["massage"])["responder_class"].to_numpy()
    classes_old = care_summary(old["massage"])["responder_class"].to_numpy()
    assert np.mean(classes_new == classes_old) >= 0.95


def test_the_kernel_is_compiled_once_per_kind_of_arguments():
    """Repeated runs reuse the code compiled with wide vectors (the dispatcher is not asked to
    compile again), and the arguments' fingerprint tells apart what numba types apart."""
    cohort = ps.Cohort.build("acute", n=40, seed=2)
    ps.simulate(cohort, 3)
    compiled = len(vkernel._compiled[False].signatures)
    ready = len(vkernel._ready)
    for days in (1, 9):
        ps.simulate(cohort.subset(slice(0, 7)), days, Record(variables=("pain",), every=3))
    assert len(vkernel._compiled[False].signatures) == compiled
    assert len(vkernel._ready) == ready
    a = np.zeros((3, 4), dtype=np.float32)
    readonly = a.copy()
    readonly.flags.writeable = False
    kinds = [a, a.astype(np.float64), np.asfortranarray(a), a[:, ::2], readonly, a[0], (a, a), (a,), 1, 1.0]
    assert len({vkernel._fingerprint(k) for k in kinds}) == len(kinds)
    assert vkernel._fingerprint((1.0, 2.0)) == vkernel._fingerprint((3.0, 4.0))
