"""The engine's kernel against the baseline kernel, called directly (no ``simulate`` driver).

    python benchmarks/kernel_ab.py 20000 100 3            # patients, days, passes; no care and care
    python benchmarks/kernel_ab.py 20000 100 3 care       # one case

Both kernels run on the same patients in one process and one thread. The cohort is cut into
slices of 500 patients and each slice runs on both kernels in turn (which goes first
alternates), for every slice and pass; each call is timed by the thread's CPU time. Ratio =
total baseline time / total engine time, with a 95% bootstrap interval over the slice pairs.
Interleaving calls of about 10 ms keeps a slow spell of a shared machine from favouring
either kernel: repeats of whole 20,000 x 100 calls scattered between 0.65 and 0.96 on the
same code, slices agree to about +-0.01 within a process. Separate processes still differ by
a few per cent (code and array placement), so compare variants over several processes.
The two kernels' summaries must agree exactly. Numba's cache of ``kernel.py`` is keyed on
that file: touch it after editing a phase.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import baseline_kernel as bk
import painsim as ps
from painsim.care import NO_CARE, CarePlan, Education, Exercise, Massage, SleepStressCare
from painsim.engine import kernel
from painsim.engine.levers import CARE_RECORDS
from painsim.engine.loops import LOOP_NAMES
from painsim.engine.program import EMPTY_PROGRAM
from painsim.engine.variables import DAILY, SUMMARIES

COMBINED = CarePlan(massage=Massage(), exercise=Exercise(), sleep_stress=SleepStressCare(), education=Education())
FIRST = SUMMARIES.index("first_recovery_day")


def engine_run(cohort: ps.Cohort, days: int, care):
    """A function that runs the engine's kernel once on fresh copies of the outputs."""
    n = len(cohort)
    program = care.compile(days, None) if care is not None else EMPTY_PROGRAM
    summ, state = np.zeros((len(SUMMARIES), n)), cohort.state.copy()
    daily = np.zeros((days, len(DAILY)), dtype=np.int64)
    care_out = (np.full((program.n_sessions, n), -1.0, dtype=np.float32),
                np.zeros((0 if program.is_empty else len(CARE_RECORDS) + len(program.channels), n)))
    rec = (np.empty(0, dtype=np.int64), days, np.full(n, -1, dtype=np.int64), np.zeros((0, 1, 0), dtype=np.float32))
    fn = kernel.simulate_natural if program.is_empty else kernel.simulate_with_care
    args = ((state, cohort.traits, cohort.modifiers, cohort.ids), kernel.kernel_params(cohort.params),
            np.ones(len(LOOP_NAMES)), np.uint64(cohort.seed), cohort.day, days, 0, n, rec, summ, daily,
            program.kernel_args(), care_out)

    def run():
        state[:], summ[:], daily[:] = cohort.state, 0.0, 0
        summ[FIRST] = -1.0
        fn(*args)
        return summ

    return run


def baseline_run(cohort: ps.Cohort, days: int, care):
    """A function that runs the baseline kernel once on fresh copies of the outputs."""
    n = len(cohort)
    plan = care or NO_CARE
    summ, state = np.zeros((len(SUMMARIES), n)), cohort.state.copy()
    daily = np.zeros((days, len(DAILY)), dtype=np.int64)
    c, massage, exercise, education = bk._old_care(plan, days)
    session_out = np.full((massage.size, n), -1.0, dtype=np.float32)
    care_out = np.zeros((0 if plan.is_empty else 7, n))
    args = (state, cohort.traits, cohort.modifiers, bk.kernel_params(cohort.params), np.ones(len(LOOP_NAMES)),
            cohort.ids, np.uint64(cohort.seed), cohort.day, days, 0, n, np.empty(0, dtype=np.int64), days,
            np.full(n, -1, dtype=np.int64), np.zeros((0, 1, 0), dtype=np.float32), summ, daily,
            c, massage, exercise, education, session_out, care_out)

    def run():
        state[:], summ[:], daily[:] = cohort.state, 0.0, 0
        summ[FIRST] = -1.0
        bk.simulate_range(*args)
        return summ

    return run


SLICE = 500


def interleaved_ratio(cohort: ps.Cohort, days: int, care, passes: int = 3, slice_n: int = SLICE,
                      seed: int = 0) -> dict[str, float]:
    """Baseline time / engine time over interleaved slices of ``cohort`` (see the module docstring)."""
    slices = cohort.split(max(1, round(len(cohort) / slice_n)))
    pairs = [(engine_run(part, days, care), baseline_run(part, days, care)) for part in slices]
    identical = all(bool(np.array_equal(new(), old())) for new, old in pairs)
    old_t, new_t = [], []
    for r in range(passes):
        for j, (new, old) in enumerate(pairs):
            order = ((old_t, old), (new_t, new)) if (r + j) % 2 == 0 else ((new_t, new), (old_t, old))
            for times, fn in order:
                t0 = time.thread_time()
                fn()
                times.append(time.thread_time() - t0)
    old_a, new_a = np.array(old_t), np.array(new_t)
    draws = np.random.default_rng(seed).integers(0, old_a.size, (2000, old_a.size))
    boot = old_a[draws].sum(axis=1) / new_a[draws].sum(axis=1)
    return {"ratio": float(old_a.sum() / new_a.sum()), "ci_low": float(np.percentile(boot, 2.5)),
            "ci_high": float(np.percentile(boot, 97.5)), "median": float(statistics.median(old_a / new_a)),
            "baseline_per_s": passes * len(cohort) * days / float(old_a.sum()),
            "engine_per_s": passes * len(cohort) * days / float(new_a.sum()), "identical": identical,
            "calls": int(old_a.size), "slice": slice_n, "passes": passes}


def compare(n: int, days: int, passes: int, cases=("none", "care")) -> dict[str, dict[str, float]]:
    """:func:`interleaved_ratio` of an acute cohort of ``n`` for each case, printed."""
    cohort = ps.Cohort.build("acute", n=n, seed=1)
    out = {}
    for case in cases:
        r = out[case] = interleaved_ratio(cohort, days, None if case == "none" else COMBINED, passes)
        print(f"{case:5s} {n}x{days}: ratio {r['ratio']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}] "
              f"(median of calls {r['median']:.3f}), {r['calls']} calls of {SLICE} patients"
              f"{'' if r['identical'] else ', RESULTS DIFFER'}", flush=True)
    return out


if __name__ == "__main__":
    n_, days_, repeat_ = (int(a) for a in sys.argv[1:4])
    compare(n_, days_, repeat_, tuple(sys.argv[4].split(",")) if len(sys.argv) > 4 else ("none", "care"))
