"""The engine's kernel against the baseline kernel, called directly (no ``simulate`` driver).

    python benchmarks/kernel_ab.py 20000 100 3            # patients, days, passes; no care and care
    python benchmarks/kernel_ab.py 20000 100 3 care       # one case
    python benchmarks/kernel_ab.py 10000 365 2 care --processes 5   # the same case in 5 fresh processes

Both kernels run on the same patients in one process and one thread. The cohort is cut into
slices of 500 patients and each slice runs on both kernels in turn (which goes first
alternates), for every slice and pass; each call is timed by the thread's CPU time. Ratio =
total baseline time / total engine time, with a 95% bootstrap interval over the slice pairs.
Interleaving calls of about 10 ms keeps a slow spell of a shared machine from favouring
either kernel: repeats of whole 20,000 x 100 calls scattered between 0.65 and 0.96 on the
same code, slices agree to about +-0.01 within a process. Separate processes still differ by
a few per cent (code and array placement: two copies of the same kernel compiled in one
process ran at 1.024 [0.998, 1.051] of each other), so :func:`across_processes` runs a case
in several fresh processes and reports the median ratio and the range; compare variants
that way too.
The two kernels' summaries must agree exactly. Numba's cache of ``kernel.py`` is keyed on
that file: touch it after editing a phase.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
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
            "baseline_seconds": float(old_a.sum()), "engine_seconds": float(new_a.sum()),
            "baseline_per_s": passes * len(cohort) * days / float(old_a.sum()),
            "engine_per_s": passes * len(cohort) * days / float(new_a.sum()), "identical": identical,
            "calls": int(old_a.size), "slice": slice_n, "passes": passes}


def across_processes(n: int, days: int, case: str, passes: int, processes: int) -> dict[str, object]:
    """:func:`interleaved_ratio` of one case (``"none"`` or ``"care"``) in ``processes`` fresh
    Python processes, one after the other: the median of their ratios (the figure to read),
    their range, the pooled ratio (all baseline time / all engine time) and each process's
    result. A fresh process places the compiled code and the arrays anew, which moves the
    ratio by a few per cent; one process's bootstrap interval does not show that."""
    runs = []
    for _ in range(processes):
        out = subprocess.run([sys.executable, __file__, str(n), str(days), str(passes), case, "--json"],
                             capture_output=True, text=True)
        if out.returncode:
            raise RuntimeError(f"kernel_ab.py {n} {days} {passes} {case} --json failed:\n{out.stderr}")
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    ratios = [r["ratio"] for r in runs]
    pooled = sum(r["baseline_seconds"] for r in runs) / sum(r["engine_seconds"] for r in runs)
    return {"ratio": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
            "pooled": pooled, "processes": processes, "runs": runs,
            "identical": all(r["identical"] for r in runs), "calls": sum(r["calls"] for r in runs),
            "baseline_per_s": statistics.median(r["baseline_per_s"] for r in runs),
            "engine_per_s": statistics.median(r["engine_per_s"] for r in runs),
            "slice": runs[0]["slice"], "passes": passes}


def _one_case_json(n: int, days: int, passes: int, case: str) -> None:
    care = None if case == "none" else COMBINED
    interleaved_ratio(ps.Cohort.build("acute", n=64, seed=0), 100, care, passes=1)  # load both kernels
    cohort = ps.Cohort.build("acute", n=n, seed=1)
    print(json.dumps(interleaved_ratio(cohort, days, care, passes)))


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


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int)
    parser.add_argument("days", type=int)
    parser.add_argument("passes", type=int)
    parser.add_argument("cases", nargs="?", default="none,care", help="none, care or none,care")
    parser.add_argument("--processes", type=int, default=0, help="run each case in this many fresh processes")
    parser.add_argument("--json", action="store_true", help="one case, its result as JSON (used by --processes)")
    args = parser.parse_args(argv)
    cases = tuple(args.cases.split(","))
    if not set(cases) <= {"none", "care"}:
        parser.error(f"cases must be none, care or none,care (got {args.cases!r})")
    if args.json:
        _one_case_json(args.n, args.days, args.passes, cases[0])
    elif args.processes:
        for case in cases:
            r = across_processes(args.n, args.days, case, args.passes, args.processes)
            print(f"{case:5s} {args.n}x{args.days}: median ratio {r['ratio']:.3f} over {r['processes']} processes "
                  f"(range {r['ratio_min']:.3f}-{r['ratio_max']:.3f}, pooled {r['pooled']:.3f})"
                  f"{'' if r['identical'] else ', RESULTS DIFFER'}", flush=True)
    else:
        compare(args.n, args.days, args.passes, cases)


if __name__ == "__main__":
    main(sys.argv[1:])
