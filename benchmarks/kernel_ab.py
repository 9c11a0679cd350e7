"""The engine's kernel against the baseline kernel, called directly (no ``simulate`` driver).

    python benchmarks/kernel_ab.py 2000 365 21          # patients, days, repeats; no care and care
    python benchmarks/kernel_ab.py 2000 365 21 care     # one case

Both kernels run on the same arrays in one process, in alternating order, timed by the
process CPU time; prints the median of the per-repeat ratios (baseline time / engine time)
with their range and the ratio of the best times, and says so when the summaries differ.
Small runs with many repeats resolve a few per cent on a shared machine, where
``bench_engine.baseline_compare`` (whole ``simulate`` calls) is the figure of record.
Numba's cache of ``kernel.py`` is keyed on that file: touch it after editing a phase.
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


def compare(n: int, days: int, repeat: int, cases=("none", "care")) -> dict[str, dict[str, float]]:
    """Median, range and best/best of baseline time / engine time for each case."""
    cohort = ps.Cohort.build("acute", n=n, seed=1)
    out = {}
    for case in cases:
        care = None if case == "none" else COMBINED
        new, old = engine_run(cohort, days, care), baseline_run(cohort, days, care)
        identical = bool(np.array_equal(new(), old()))
        ratios, t_old, t_new = [], [], []
        for r in range(repeat):
            times = {}
            for name, fn in ((("old", old), ("new", new)) if r % 2 == 0 else (("new", new), ("old", old))):
                t0 = time.process_time()
                fn()
                times[name] = time.process_time() - t0
            ratios.append(times["old"] / times["new"])
            t_old.append(times["old"])
            t_new.append(times["new"])
        out[case] = {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios),
                     "best": min(t_old) / min(t_new), "identical": identical}
        print(f"{case:5s} {n}x{days}: ratio median {out[case]['median']:.3f} [{min(ratios):.3f}, {max(ratios):.3f}], "
              f"best/best {out[case]['best']:.3f}, {repeat} repeats{'' if identical else ', RESULTS DIFFER'}",
              flush=True)
    return out


if __name__ == "__main__":
    n_, days_, repeat_ = (int(a) for a in sys.argv[1:4])
    compare(n_, days_, repeat_, tuple(sys.argv[4].split(",")) if len(sys.argv) > 4 else ("none", "care"))
