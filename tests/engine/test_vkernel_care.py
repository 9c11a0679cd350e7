"""The vector kernel with care (engine.vcare) computes exactly what the scalar kernel with care
computes: every state, summary, daily sum, recording, relief episode and care record, bit for
bit, for every treatment, attendance model, exposure, timing and lever path."""

import numpy as np
import pytest

import painsim as ps
from painsim.care import CareParams, CarePlan
from painsim.engine import kernel, vkernel
from painsim.engine.levers import CARE_RECORDS
from painsim.engine.program import NEUTRAL_HOOKS, CareProgram, Channel
from painsim.engine.recording import Record
from painsim.engine.variables import DAILY, SUMMARIES

COMBINED = {"massage": {"schedule": {"count": 10, "every_days": 7}},
            "exercise": {"weeks": 12, "sessions_per_week": 2, "supervised": True, "adherence": 0.7},
            "sleep_stress": {"weeks": 8}, "education": {"schedule": {"count": 2, "every_days": 7}}}
PLANS = {
    "massage weekly": {"massage": {"schedule": {"count": 10, "every_days": 7}}},
    "massage spread": {"massage": {"schedule": {"days": [0, 21, 49, 84]}}},
    "combined": COMBINED,
    "poor alliance": {"massage": {"schedule": {"count": 10, "every_days": 7}}, "relationship": {"alliance": 0.1}},
    "exercise alone": {"exercise": {"weeks": 12, "sessions_per_week": 3, "adherence": 0.5}},
    "education alone": {"education": {"schedule": {"count": 3, "every_days": 14}}},
    "sham": {"sham": {"schedule": {"count": 6, "every_days": 7}}},
    "usual care with massage": {"usual_care": {}, "massage": {"schedule": {"count": 4, "every_days": 14}}},
}


def _run(fn, cohort: ps.Cohort, days: int, program: CareProgram, loop_gain=None):
    """One direct call of a kernel with care on fresh outputs."""
    n = len(cohort)
    state = cohort.state.copy()
    summ = np.zeros((len(SUMMARIES), n))
    summ[SUMMARIES.index("first_recovery_day")] = -1.0
    daily = np.zeros((days, len(DAILY)), dtype=np.int64)
    record = Record(variables=("pain", "pain_worst", "expectation", "self_efficacy", "activity"), every=7)
    periods = -(-days // record.every)
    slot = np.full(n, -1, dtype=np.int64)
    slot[1::2] = np.arange(slot[1::2].size)
    rec_out = np.zeros((len(record.variables), periods, slot[1::2].size), dtype=np.float32)
    session_out = np.full((program.n_sessions, n), -1.0, dtype=np.float32)
    care_out = np.zeros((len(CARE_RECORDS) + len(program.channels), n))
    gains = np.ones(5) if loop_gain is None else loop_gain
    fn((state, cohort.traits, cohort.modifiers, cohort.ids), kernel.kernel_params(cohort.params), gains,
       np.uint64(cohort.seed), cohort.day, days, 0, n, (record.variable_codes(), record.every, slot, rec_out), summ,
       daily, program.kernel_args(), (session_out, care_out))
    return {"state": state, "summaries": summ, "daily": daily, "recorded": rec_out, "relief": session_out,
            "care records": care_out}


def _assert_same(program: CareProgram, cohort: ps.Cohort, days: int, loop_gain=None) -> dict:
    scalar = _run(kernel.simulate_with_care, cohort, days, program, loop_gain)
    vector = _run(vkernel.simulate_vector_with_care, cohort, days, program, loop_gain)
    for name in scalar:
        np.testing.assert_array_equal(scalar[name], vector[name], err_msg=name)
    return scalar


@pytest.fixture(scope="module")
def chronic() -> ps.Cohort:
    return ps.Cohort.build("chronic", n=77, seed=5)  # two full blocks and a padded one


@pytest.mark.parametrize("name", list(PLANS))
def test_every_plan_gives_the_scalar_kernels_results_bit_for_bit(name, chronic):
    days = 160
    program = CarePlan(**PLANS[name]).compile(days, CareParams())
    out = _assert_same(program, chronic, days)
    natural = _run(kernel.simulate_natural, chronic, days, CareProgram.build((), NEUTRAL_HOOKS))
    assert not np.array_equal(out["state"], natural["state"])  # the care acts
    if program.n_sessions:
        assert np.any(out["relief"] >= 0)  # relief episodes were followed


def test_dropout_and_lasting_relief_agree(chronic):
    """A middling alliance makes some clients stop coming (the attendance model
    'return_visit'); the run goes on past the course, where lasting relief is counted."""
    days = 300
    params = CareParams()
    program = CarePlan(massage={"schedule": {"count": 12, "every_days": 7}, "cost_per_session": 90.0},
                       relationship={"alliance": 0.5}).compile(days, params)
    out = _assert_same(program, chronic, days)
    dropout = out["care records"][CARE_RECORDS.index("dropout_day")]
    lasting = out["care records"][CARE_RECORDS.index("recovered_run_after_course")]
    assert np.any(dropout >= 0) and np.any(dropout < 0)  # some stop coming, some stay
    assert np.any(lasting > 0)


class _Program:
    def __init__(self, program: CareProgram) -> None:
        self.program = program

    def compile(self, horizon: int, params=None) -> CareProgram:
        return self.program


def test_the_lever_table_path_and_kicks_before_and_after_observation_agree():
    """More than HELD_EFFECTS effects on a lever (the levers read from the tables every day), a
    course channel, kicks of every timing, and loop gains other than 1."""
    days = np.array([0, 3, 10, 17], dtype=np.int64)
    first = Channel("first", days, exposure="impulse", decay=0.3, dose=1.0, timing="before_observation",
                    attendance="adherence", adherence=0.8,
                    effects=(("nociception", "reduce", 0.2, 1.0), ("nociception", "reduce", 0.1, 2.0),
                             ("nociception", "increase", 0.05, 1.0), ("inhibition", "add", 0.3, 1.0)),
                    kicks=(("fear_avoidance", "scale_down", 0.2), ("activity", "toward_one", 0.3)))
    course = Channel("course", np.array([2], dtype=np.int64), exposure="course", course_start=2.0,
                     course_end=20.0, retention=0.3,
                     effects=(("conditioning_rate", "increase", 0.4, 1.0), ("sleep_target", "add", 0.1, 1.0),
                              ("guarding_target", "reduce", 0.2, 1.0), ("threat_target", "reduce", 0.1, 1.0),
                              ("fear_target", "reduce", 0.1, 1.0), ("stress_target", "reduce", 0.1, 1.0),
                              ("activity", "add", 0.1, 1.0), ("self_efficacy_target", "add", 0.05, 1.0)),
                     kicks=(("self_efficacy", "toward_one", 0.1), ("activity", "add_capped", 0.2)))
    program = CareProgram.build((first, course), NEUTRAL_HOOKS)
    cohort = ps.Cohort.build("acute", n=45, seed=8)
    _assert_same(program, cohort, 40, loop_gain=np.array([1.0, 0.5, 1.3, 0.0, 0.8]))


def test_simulate_runs_care_on_the_vector_kernel(chronic, monkeypatch):
    """painsim.simulate picks the vector kernel for a run with care, with any threads."""
    calls = []
    real = vkernel.simulate_vector_with_care
    monkeypatch.setattr("painsim.engine.cohort.simulate_vector_with_care",
                        lambda *a: calls.append(1) or real(*a))
    plan = CarePlan(**COMBINED)
    one = ps.simulate(chronic, 120, Record.summaries(), care=plan)
    two = ps.simulate(chronic, 120, Record.summaries(), care=plan, n_jobs=2)
    assert calls
    np.testing.assert_array_equal(one.summaries, two.summaries)
    np.testing.assert_array_equal(one.care_outcomes, two.care_outcomes)
