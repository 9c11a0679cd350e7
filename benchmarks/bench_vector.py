"""The vector kernel against the scalar kernels, side by side in one process (issue 17).

    python benchmarks/bench_vector.py                  # kernels, end to end, agreement (~3 min)
    python benchmarks/bench_vector.py --million        # and 10^6 patients x 5 years (peak RSS)
    python benchmarks/bench_vector.py --quick          # smoke sizes
    python benchmarks/bench_vector.py --out results/vector.json

Kernels (one thread, called directly on the same acute patients, no care, summaries only):
``scalar (libm)``, the kernel before issue 17 (``benchmarks/scalar_kernel.py``: patients outer,
days inner, numpy's libm exp/log/cos); ``scalar (vmath)``, the engine's scalar kernel that
care runs use (``painsim.engine.kernel.simulate_natural``, the vectorisable math of
``painsim.engine.vmath`` but one patient per instruction); ``vector``, ``painsim.engine.vkernel``.
The cohort is cut into slices and each slice runs on the three kernels in turn (the order
rotating), ``passes`` times; each call is timed by the thread's CPU time (the machine is
shared: wall time would count the other jobs). Ratios are total times over total times.

End to end (the ``simulate`` driver and screening, one thread, wall time): building a screened
chronic cohort against simulating it for a year, and a sweep-like task (build a chronic
cohort of 2,000, follow it a year) in patient-days per second of the task's own simulating;
and a calibration task (one evaluation of the default posterior's targets at parameter sets
drawn from the prior: its screening and follow-up patient-days, the kernel calls' share of
its time and their rate, the task's rate).

Agreement (the vector engine against the libm kernel, the same patients and random numbers,
a chronic cohort under no care and massage): cohort mean pain and its Monte Carlo standard
error, the share of patients with the same responder class, the largest per-patient
difference in mean pain over the year.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import painsim as ps
import scalar_kernel
from machine import load, vectors
from painsim.engine import kernel, vkernel
from painsim.engine.levers import CARE_RECORDS
from painsim.engine.loops import LOOP_NAMES
from painsim.engine.program import EMPTY_PROGRAM
from painsim.engine.variables import DAILY, SUMMARIES

FIRST = SUMMARIES.index("first_recovery_day")
KERNELS = {"scalar (libm)": scalar_kernel.simulate_natural, "scalar (vmath)": kernel.simulate_natural,
           "vector": vkernel.simulate_vector}


def kernel_call(fn, cohort: ps.Cohort, days: int, program=EMPTY_PROGRAM):
    """A function that runs kernel ``fn`` once on fresh copies of the outputs (with the care
    ``program``, default none); returns them."""
    n = len(cohort)
    summ, state = np.zeros((len(SUMMARIES), n)), cohort.state.copy()
    daily = np.zeros((days, len(DAILY)), dtype=np.int64)
    rec = (np.empty(0, dtype=np.int64), days, np.full(n, -1, dtype=np.int64), np.zeros((0, 1, 0), dtype=np.float32))
    relief = np.full((program.n_sessions, n), -1.0, dtype=np.float32)
    records = np.zeros((0 if program.is_empty else len(CARE_RECORDS) + len(program.channels), n))
    args = ((state, cohort.traits, cohort.modifiers, cohort.ids), kernel.kernel_params(cohort.params),
            np.ones(len(LOOP_NAMES)), np.uint64(cohort.seed), cohort.day, days, 0, n, rec, summ, daily,
            program.kernel_args(), (relief, records))

    def run():
        state[:], summ[:], daily[:], relief[:], records[:] = cohort.state, 0.0, 0, -1.0, 0.0
        summ[FIRST] = -1.0
        fn(*args)
        return state, summ, daily, relief, records

    return run


def interleaved_seconds(calls: list[dict], passes: int) -> dict[str, float]:
    """Thread CPU time of each kernel, summed over ``passes`` passes of the slices ``calls``
    (one dict of kernel name -> call per slice), the kernels' order rotating from slice to
    slice and pass to pass."""
    names = list(calls[0])
    seconds = dict.fromkeys(names, 0.0)
    for r in range(passes):
        for j, c in enumerate(calls):
            k = (r + j) % len(names)
            for name in names[k:] + names[:k]:
                t0 = time.thread_time()
                c[name]()
                seconds[name] += time.thread_time() - t0
    return seconds


def kernels(n: int, days: int, passes: int, slice_n: int) -> dict[str, object]:
    """Thread CPU time of each kernel over interleaved slices; rates, ratios, identity."""
    for fn in KERNELS.values():  # compile (or load) every kernel before timing
        kernel_call(fn, ps.Cohort.build("acute", n=20, seed=0), 5)()
    cohort = ps.Cohort.build("acute", n=n, seed=1)
    slices = cohort.split(max(1, round(n / slice_n)))
    calls = [{name: kernel_call(fn, part, days) for name, fn in KERNELS.items()} for part in slices]
    identical = all(all(np.array_equal(a, b) for a, b in zip(c["scalar (vmath)"](), c["vector"](), strict=True))
                    for c in calls)
    seconds = interleaved_seconds(calls, passes)
    work = passes * n * days
    base = seconds["scalar (libm)"]
    return {"n": n, "days": days, "passes": passes, "slice": slice_n, "identical_vmath_vector": identical,
            "per_s": {k: work / v for k, v in seconds.items()},
            "ns_per_patient_day": {k: v / work * 1e9 for k, v in seconds.items()},
            "ratio_over_libm": {k: base / v for k, v in seconds.items()},
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


CARE_KERNELS = {"scalar (vmath)": kernel.simulate_with_care, "vector": vkernel.simulate_vector_with_care}
#: The plan of the care kernels' comparison: the combined arm of examples/massage_question.toml.
COMBINED_PLAN = {"massage": {"schedule": {"count": 10, "every_days": 7}},
                 "exercise": {"weeks": 12, "sessions_per_week": 2, "supervised": True, "adherence": 0.7},
                 "sleep_stress": {"weeks": 8}, "education": {"schedule": {"count": 2, "every_days": 7}}}


def care_kernels(n: int, days: int, passes: int, slice_n: int) -> dict[str, object]:
    """The kernels with care (scalar and vector) on the same chronic patients under the
    combined plan, as :func:`kernels` times them; ratio vector / scalar and identity."""
    from painsim.care import CareParams, CarePlan

    program = CarePlan(**COMBINED_PLAN).compile(days, CareParams())
    cohort = ps.Cohort.build("chronic", n=n, seed=1)
    for fn in CARE_KERNELS.values():
        kernel_call(fn, cohort.subset(slice(0, 20)), days, program)()
    calls = [{name: kernel_call(fn, part, days, program) for name, fn in CARE_KERNELS.items()}
             for part in cohort.split(max(1, round(n / slice_n)))]
    identical = all(all(np.array_equal(a, b) for a, b in zip(c["scalar (vmath)"](), c["vector"](), strict=True))
                    for c in calls)
    seconds = interleaved_seconds(calls, passes)
    work = passes * n * days
    return {"n": n, "days": days, "passes": passes, "slice": slice_n, "identical": identical,
            "ns_per_patient_day": {k: v / work * 1e9 for k, v in seconds.items()},
            "per_s": {k: work / v for k, v in seconds.items()},
            "vector_over_scalar": seconds["scalar (vmath)"] / seconds["vector"]}


def end_to_end(n: int, sweep_n: int) -> dict[str, object]:
    """Screening a chronic cohort against simulating it a year; a sweep task's rate (wall time)."""
    from painsim.engine.cohort_cache import SCREENED_COHORTS

    ps.simulate(ps.Cohort.build("chronic", n=50, seed=0), 10)  # compile, imports
    SCREENED_COHORTS.clear()
    t0 = time.perf_counter()
    cohort = ps.Cohort.build("chronic", n=n, seed=3)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    ps.Cohort.build("chronic", n=n, seed=3)  # the same request again: the cache's copy
    build_again = time.perf_counter() - t0
    t0 = time.perf_counter()
    ps.simulate(cohort, 365, ps.Record.summaries())
    year = time.perf_counter() - t0
    t0 = time.perf_counter()
    task_cohort = ps.Cohort.build("chronic", n=sweep_n, seed=4)
    result = ps.simulate(task_cohort, 365, ps.Record.summaries())
    result.summary()
    task = time.perf_counter() - t0
    t0 = time.perf_counter()
    ps.simulate(task_cohort, 365, ps.Record.summaries())
    follow = time.perf_counter() - t0
    t0 = time.perf_counter()  # a later task of a sweep that shares the cohort (care or loop gains)
    ps.simulate(ps.Cohort.build("chronic", n=sweep_n, seed=4), 365, ps.Record.summaries()).summary()
    task_reused = time.perf_counter() - t0
    return {"n": n, "build_s": build, "year_s": year, "build_over_year": build / year,
            "build_again_s": build_again, "build_again_over_year": build_again / year,
            "sweep_n": sweep_n, "task_s": task, "task_follow_up_per_s": sweep_n * 365 / task,
            "follow_up_alone_per_s": sweep_n * 365 / follow, "task_reused_s": task_reused,
            "task_reused_follow_up_per_s": sweep_n * 365 / task_reused}





def calibration_task(draws: int, seed: int = 3) -> dict[str, object]:
    """A calibration evaluation (every target of the default posterior, docs/calibration.md)
    at ``draws`` parameter sets drawn from the prior, one thread, wall time; and what its
    kernel calls did: the patient-days simulated (screening's included), split into screening
    and follow-up, and their thread CPU time, so that the task's rate can be read against
    the kernel's own."""
    import painsim
    from painsim.calibration import evaluate, load_targets
    from painsim.engine import screening
    from painsim.engine.screening import ScreeningError
    from painsim.trials import run as trials_run

    targets, _ = load_targets(Path(painsim.__file__).parent / "data" / "default_posterior_targets.toml")
    rng = np.random.default_rng(seed)
    draws_ = [{n: float(rng.uniform(r.low, r.high)) for n, r in targets.parameters.items()} for _ in range(draws)]
    evaluate(draws_[0], targets)  # compile, imports
    tally = {"screening": [0, 0.0], "follow-up": [0, 0.0]}
    where = ["follow-up"]
    run = vkernel._run

    def counted_run(with_care, args):
        t0 = time.thread_time()
        run(with_care, args)
        tally[where[0]][0] += (args[7] - args[6]) * args[5]  # (stop - start) patients x days
        tally[where[0]][1] += time.thread_time() - t0

    def screening_part(fn):
        def wrapped(*a, **k):
            where[0] = "screening"
            try:
                return fn(*a, **k)
            finally:
                where[0] = "follow-up"
        return wrapped

    patched = [(vkernel, "_run", counted_run), (screening, "screen_population",
               screening_part(screening.screen_population)), (trials_run, "screen", screening_part(trials_run.screen))]
    originals = [(m, name, getattr(m, name)) for m, name, _ in patched]
    for m, name, value in patched:
        setattr(m, name, value)
    failed = 0
    try:
        t0 = time.perf_counter()
        for values in draws_:
            try:
                evaluate(values, targets)
            except ScreeningError:
                failed += 1
        wall = time.perf_counter() - t0
    finally:
        for m, name, value in originals:
            setattr(m, name, value)
    pd_all = sum(v[0] for v in tally.values())
    kernel_s = sum(v[1] for v in tally.values())
    return {"draws": draws, "targets": len(targets.targets), "screening_failed": failed,
            "seconds_per_evaluation": wall / draws,
            "kernel_share_of_wall": kernel_s / wall,
            "patient_days": {k: v[0] / draws for k, v in tally.items()},
            "kernel_rate_per_s": pd_all / kernel_s,
            "task_rate_per_s": pd_all / wall,
            "task_follow_up_rate_per_s": tally["follow-up"][0] / wall}


def agreement(n: int, days: int) -> dict[str, object]:
    """The vector engine against the libm kernel on the same chronic patients (see the module docstring)."""
    from painsim.care import CarePlan, Massage
    from painsim.outcomes.care_outcomes import care_summary

    cohort = ps.Cohort.build("chronic", n=n, seed=8)
    arms = {"no care": None, "massage": CarePlan(massage=Massage())}
    new = {arm: ps.simulate(cohort, days, ps.Record.summaries(), care=c) for arm, c in arms.items()}
    with scalar_kernel.libm_engine():
        old = {arm: ps.simulate(cohort, days, ps.Record.summaries(), care=c) for arm, c in arms.items()}
    out = {"n": n, "days": days, "arms": {}}
    for arm in arms:
        a, b = new[arm].summary()["pain_mean"].to_numpy(), old[arm].summary()["pain_mean"].to_numpy()
        out["arms"][arm] = {"pain_mean_vector": float(a.mean()), "pain_mean_libm": float(b.mean()),
                            "monte_carlo_se": float(a.std(ddof=1) / np.sqrt(a.size)),
                            "largest_patient_difference": float(np.max(np.abs(a - b))),
                            "identical_patients": float(np.mean(a == b))}
    ca = care_summary(new["massage"])["responder_class"].to_numpy()
    cb = care_summary(old["massage"])["responder_class"].to_numpy()
    out["same_responder_class"] = float(np.mean(ca == cb))
    return out


def vector_speed_of_light(kernel_ns: float) -> dict[str, object]:
    """The vector speed-of-light estimate (speed_of_light.vector_estimate, measured now) and
    the vector kernel's time per patient-day over it."""
    from speed_of_light import measure_vector_costs, vector_estimate

    out = vector_estimate(measure_vector_costs())
    return {**out, "kernel_ns_per_patient_day": kernel_ns, "kernel_over_speed_of_light": kernel_ns
            / out["ns_per_patient_day"]}


def million() -> dict[str, float]:
    """1,000,000 patients x 5 years, summaries only, 2 threads, in a fresh process (bench_engine.measure)."""
    from bench_engine import run_isolated

    return run_isolated(10**6, 1825, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--million", action="store_true", help="also 10^6 patients x 5 years on 2 threads (~2 min)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.quick:
        res = {"kernels": kernels(400, 30, 1, 200), "care_kernels": care_kernels(200, 120, 1, 100),
               "end_to_end": end_to_end(100, 100), "calibration_task": calibration_task(2),
               "agreement": agreement(60, 120)}
    else:
        res = {"kernels": kernels(10_000, 365, 2, 2_000), "care_kernels": care_kernels(5_000, 365, 2, 1_000),
               "end_to_end": end_to_end(20_000, 2_000), "calibration_task": calibration_task(10),
               "agreement": agreement(2_000, 365)}
    res["speed_of_light"] = vector_speed_of_light(res["kernels"]["ns_per_patient_day"]["vector"])
    res["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res["load"] = load()
    res["vectors"] = vectors()
    if args.million:
        res["million_5y"] = million()
    text = json.dumps(res, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    print(text)


def tables(res: dict) -> str:
    """The docs section of a result file of this benchmark (run_all.py)."""
    k, e, a, sol = res["kernels"], res["end_to_end"], res["agreement"], res["speed_of_light"]
    out = [f"Kernels side by side, one thread, thread CPU time ({k['n']:,} acute patients x {k['days']} days, "
           f"no care, summaries only; slices of {k['slice']:,} run on the three kernels in turn, {k['passes']} "
           f"passes; `python benchmarks/bench_vector.py`; load average {res['load'][0]:.2f} at the end; "
           f"vectors: {res.get('vectors', 'AVX-512')}):", "",
           "| kernel | ns per patient-day | patient-days/s | × scalar (libm) |", "|---|---:|---:|---:|"]
    labels = {"scalar (libm)": "scalar, libm (before issue 17; `benchmarks/scalar_kernel.py`)",
              "scalar (vmath)": "scalar, engine.vmath (care runs)", "vector": "**vector** (`engine.vkernel`)"}
    for name, label in labels.items():
        out.append(f"| {label} | {k['ns_per_patient_day'][name]:.1f} | {k['per_s'][name]:,.0f} "
                   f"| {k['ratio_over_libm'][name]:.2f} |")
    out += ["", f"Vector and scalar (vmath) kernels bit-identical: {'yes' if k['identical_vmath_vector'] else 'NO'}. "
            f"Peak RSS of the benchmark process: {res['peak_rss_mib']:.0f} MiB.", ""]
    c = res.get("care_kernels")
    if c:
        out += [f"With care ({c['n']:,} chronic patients x {c['days']} days under the combined plan of "
                f"examples/massage_question.toml, timed as above, {c['passes']} passes): scalar kernel "
                f"{c['ns_per_patient_day']['scalar (vmath)']:.1f} ns per patient-day, vector kernel with "
                f"`engine.vcare` {c['ns_per_patient_day']['vector']:.1f} = **{c['vector_over_scalar']:.2f} ×** the "
                f"scalar kernel with care; bit-identical: {'yes' if c['identical'] else 'NO'}.", ""]
    out += [
            "Vector speed of light (the work of a patient-day, `speed_of_light.VECTOR_COUNTS`, times the cost "
            "of each operation per lane in vectorised loops compiled as the kernel is):", "",
            "| operation class | count per patient-day | ns per op and lane | ns per patient-day |",
            "|---|---:|---:|---:|"]
    for name, c in sol["counts"].items():
        per_day = sol["ns_per_patient_day_by_class"][name]
        out.append(f"| {name} | {c:g} | {sol['ns_per_op'][name]:.3f} | {per_day:.1f} |")
    out += [f"| **vector speed of light** | | | **{sol['ns_per_patient_day']:.1f}** |", "",
            f"Vector kernel: {sol['kernel_ns_per_patient_day']:.1f} ns per patient-day = "
            f"**{sol['kernel_over_speed_of_light']:.2f} × the vector speed of light**.", "",
            f"End to end (one thread, wall time): building a screened chronic cohort of {e['n']:,} took "
            f"{e['build_s']:.1f} s, simulating it for a year {e['year_s']:.1f} s (build / year = "
            f"**{e['build_over_year']:.2f}**); a sweep-like task (a chronic cohort of {e['sweep_n']:,} built and "
            f"followed 365 days, summarised) ran at **{e['task_follow_up_per_s']:,.0f}** follow-up patient-days/s "
            f"= {e['task_follow_up_per_s'] / k['per_s']['vector']:.2f} × the vector kernel's rate (the follow-up "
            f"alone: {e['follow_up_alone_per_s']:,.0f})."
            + (f" The same build again, from the process's cache of screened cohorts (`engine.cohort_cache`): "
               f"{e['build_again_s'] * 1000:.1f} ms (build / year = **{e['build_again_over_year']:.3f}**); a later "
               f"task of a sweep that shares its cohort (care or loop gains) ran at "
               f"**{e['task_reused_follow_up_per_s']:,.0f}** patient-days/s = "
               f"**{e['task_reused_follow_up_per_s'] / k['per_s']['vector']:.2f} ×** the vector kernel's rate."
               if "build_again_s" in e else ""), "",
            *_calibration_task_lines(res.get("calibration_task"), k),
            f"Agreement with the libm kernel ({a['n']:,} chronic patients, {a['days']} days, the same patients and "
            "random numbers; mean pain per patient over the run):", "",
            "| arm | cohort mean, vector engine | cohort mean, libm kernel | Monte Carlo SE | largest patient "
            "difference | patients identical |", "|---|---:|---:|---:|---:|---:|"]
    for arm, r in a["arms"].items():
        out.append(f"| {arm} | {r['pain_mean_vector']:.6f} | {r['pain_mean_libm']:.6f} | {r['monte_carlo_se']:.4f} "
                   f"| {r['largest_patient_difference']:.2e} | {r['identical_patients']:.1%} |")
    out += ["", f"Same responder class under massage: **{a['same_responder_class']:.1%}** of patients."]
    m = res.get("million_5y")
    if m:
        out += ["", f"1,000,000 patients x 1,825 days (5 years), summaries only, 2 threads: {m['seconds']:.0f} s, "
                f"{m['patient_days_per_s']:,.0f} patient-days/s, peak RSS **{m['peak_rss_mib'] / 1024:.2f} GiB** "
                f"(load average {m['load_before'][0]:.2f})."]
    return "\n".join(out)


def _calibration_task_lines(c: dict | None, k: dict) -> list[str]:
    if not c:
        return []
    pd = c["patient_days"]
    return [f"A calibration task (one evaluation of the {c['targets']} targets of the default posterior at "
            f"{c['draws']} parameter sets drawn from the prior, one thread, wall time): "
            f"**{c['seconds_per_evaluation']:.2f} s** per evaluation, "
            f"{pd['screening'] + pd['follow-up']:,.0f} patient-days simulated per evaluation "
            f"({pd['screening']:,.0f} of them screening candidates and trial run-ins, {pd['follow-up']:,.0f} "
            f"following the cohorts), the kernel calls {c['kernel_share_of_wall']:.0%} of the time at "
            f"{c['kernel_rate_per_s']:,.0f} patient-days/s; the task's rate: **{c['task_rate_per_s']:,.0f}** "
            f"patient-days/s = **{c['task_rate_per_s'] / c['kernel_rate_per_s']:.2f} ×** the kernel calls' rate "
            f"({c['task_rate_per_s'] / k['per_s']['vector']:.2f} × the vector kernel's rate above); counting only "
            f"the follow-up: {c['task_follow_up_rate_per_s']:,.0f} patient-days/s.", ""]


if __name__ == "__main__":
    main()
