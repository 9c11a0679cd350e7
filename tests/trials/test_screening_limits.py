"""Trial screening is bounded (issue 14, item 1): a trial whose eligibility nobody meets stops
with counts per criterion instead of growing its pool for ever; progress comes per batch;
batching does not change who is enrolled."""

import math
import re
from pathlib import Path

import numpy as np
import pytest

from painsim.engine import Cohort, Record, simulate
from painsim.engine.screening import ScreeningError
from painsim.limits import SCREEN_BATCH_MAX, Limits
from painsim.trials import load_trial, parse_trial, run_trial
from painsim.trials.run import BASELINE_VISIT, OUTCOMES, rdq_score, screen

ROOT = Path(__file__).resolve().parents[2]


def _old_screen(spec, seed):
    """Trial screening as it was before the limits: a growing pool rebuilt each round."""
    elig = spec.eligibility
    need = spec.n_total
    pool = math.ceil(1.6 * need) + 16
    while True:
        candidates = Cohort.build(spec.screening_population(), n=pool, seed=seed, params=spec.model)
        run_in = simulate(candidates, elig.screening_days,
                          Record(variables=("pain", "disability"), every=elig.screening_days))
        base = {o: run_in.trajectories[v][0].astype(np.float64) for o, v in OUTCOMES.items()}
        base["rmdq"] = rdq_score(base["rmdq"], spec.outcomes.rmdq_measurement_sd, seed, BASELINE_VISIT,
                                 candidates.ids)
        out = [base["pain"] < elig.min_pain, base["pain"] > elig.max_pain, base["rmdq"] < elig.min_rmdq,
               base["rmdq"] > elig.max_rmdq]
        eligible = ~(out[0] | out[1] | out[2] | out[3])
        if eligible.sum() >= need:
            break
        pool = math.ceil(pool * 1.25 * need / max(int(eligible.sum()), 1)) + 16
    chosen = np.flatnonzero(eligible)[:need]
    screened = int(chosen[-1]) + 1
    reasons = dict(zip(["pain below minimum", "pain above maximum", "rmdq below minimum", "rmdq above maximum"],
                       [int(o[:screened].sum()) for o in out], strict=True))
    counts = {"screened": screened, "excluded": screened - need, "excluded_reasons": reasons, "eligible": need}
    return run_in.cohort.subset(chosen), {o: b[chosen] for o, b in base.items()}, counts


@pytest.mark.parametrize("strict", [False, True])
def test_batches_do_not_change_who_is_enrolled(three_arm_spec, strict):
    spec = three_arm_spec
    if strict:
        spec = spec.model_copy(update={"eligibility": spec.eligibility.model_copy(update={"min_pain": 5,
                                                                                           "min_rmdq": 8})})
    old_cohort, old_base, old_counts = _old_screen(spec, 4)
    assert old_counts["excluded"] > 0
    for limits, jobs in ((Limits(), 1), (Limits(screening_batch_patient_days=1), 1), (Limits(), 2)):
        # the smallest batches (256 candidates), and candidates and run-ins on two threads
        cohort, base, counts = screen(spec, 4, limits=limits, n_jobs=jobs)
        assert counts == old_counts
        np.testing.assert_array_equal(cohort.ids, old_cohort.ids)
        for name in ("traits", "state", "modifiers"):
            np.testing.assert_array_equal(getattr(cohort, name), getattr(old_cohort, name))
        assert (cohort.day, cohort.entry_day) == (old_cohort.day, old_cohort.entry_day)
        for outcome in OUTCOMES:
            np.testing.assert_array_equal(base[outcome], old_base[outcome])


class _UnboundedError(AssertionError):
    pass


@pytest.fixture
def between_progress(monkeypatch):
    """Candidates simulated between two progress calls; fails the test (instead of hanging)
    when more than one batch of the largest size runs without progress."""
    state = {"since": 0, "most": 0, "total": 0}
    original = Cohort._acute.__func__

    def counting(cls, population, ids, seed, params):
        state["since"] += ids.size
        state["total"] += ids.size
        state["most"] = max(state["most"], state["since"])
        if state["since"] > SCREEN_BATCH_MAX:
            raise _UnboundedError(f"{state['since']:,} candidates screened without a progress report")
        return original(cls, population, ids, seed, params)

    monkeypatch.setattr(Cohort, "_acute", classmethod(counting))

    def progress(stage, done, total):
        state["since"] = 0

    state["progress"] = progress
    return state


def _short_course_nobody_meets():
    text = (ROOT / "examples/trials/short_course.toml").read_text().replace("n = 60", "n = 20")
    return parse_trial(text + "\n[eligibility]\nmin_pain = 10\nmin_rmdq = 24\n")


def test_a_trial_nobody_is_eligible_for_stops_with_counts(between_progress):
    spec = _short_course_nobody_meets()
    with pytest.raises(ScreeningError) as err:
        run_trial(spec, progress=between_progress["progress"])
    message = str(err.value)
    screened = between_progress["total"]
    assert message.startswith(f"eligibility: screening stopped after {screened:,} of at most 100,000 candidates")
    assert "0 of the 40 participants wanted eligible" in message
    pain = int(re.search(r"pain >= 10 \(eligibility.min_pain\): ([\d,]+)", message).group(1).replace(",", ""))
    rmdq = int(re.search(r"RMDQ >= 24 \(eligibility.min_rmdq\): ([\d,]+)", message).group(1).replace(",", ""))
    fewest = ("eligibility.min_pain (10)", pain) if pain <= rmdq else ("eligibility.min_rmdq (24)", rmdq)
    assert f"relax {fewest[0]}" in message and f"met by the fewest ({fewest[1]:,})" in message


def test_an_exception_from_progress_stops_trial_screening(between_progress):
    class CancelledError(Exception):
        pass

    def cancel(stage, done, total):
        raise CancelledError

    with pytest.raises(CancelledError):
        run_trial(_short_course_nobody_meets(), progress=cancel)
    assert between_progress["total"] <= SCREEN_BATCH_MAX


def test_enrolment_reports_progress_per_batch(between_progress):
    calls = []

    def progress(stage, done, total):
        calls.append((stage, done, total))
        between_progress["progress"](stage, done, total)

    spec = load_trial(ROOT / "examples/trials/cherkin2011.toml")
    cohort, _, _ = screen(spec, 2011, progress=progress, limits=Limits(screening_batch_patient_days=100_000))
    assert len(cohort) == spec.n_total
    assert len(calls) > 2 and calls[-1] == ("screening", spec.n_total, spec.n_total)
    assert [done for _, done, _ in calls] == sorted(done for _, done, _ in calls)
