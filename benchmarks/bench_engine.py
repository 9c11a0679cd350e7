"""Engine throughput: patient-days per second for 10^3..10^6 patients, on 1 and 2 threads,
against the same model written as Mesa agents and against the kernel's speed of light.

Each configuration runs in a fresh subprocess (so peak memory is its own) after one
warm-up call that compiles or loads the kernel. Throughput is reported with ratios
measured in the same run: against the 5-million-patient-days-per-second aim, two
threads against one, painsim against the Mesa version of the same daily update
(``benchmarks/mesa_model.py``, on sizes Mesa handles, same patients and days), and the
kernel against its speed-of-light estimate (``benchmarks/speed_of_light.py``: operations
per patient-day x this machine's measured cost per operation). Recording is summaries
only (the mode meant for large cohorts). Every measurement carries the load average.

The Mesa agents run the same equations with Python's ``random`` for the shocks; the
agreement check compares the cohort mean reported pain per day of both on the same
patients, next to the difference between two Mesa runs with different seeds (the noise).

    python benchmarks/bench_engine.py --no-million    # 10^3..10^6, Mesa, speed of light (~2 min)
    python benchmarks/bench_engine.py                 # + the 10^6 patients x 5 years run (+3 min)
    python benchmarks/bench_engine.py --quick         # smoke: small sizes, few days
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from machine import load, machine

AIM = 5e6


def measure(n: int, days: int, jobs: int) -> dict[str, float]:
    import painsim as ps

    warm = ps.Cohort.build("acute", n=64, seed=0)
    ps.simulate(warm, 2, ps.Record.summaries(), n_jobs=jobs)
    cohort = ps.Cohort.build("acute", n=n, seed=1)
    load_before = load()
    start = time.perf_counter()
    ps.simulate(cohort, days, ps.Record.summaries(), n_jobs=jobs)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"n": n, "days": days, "jobs": jobs, "seconds": seconds,
            "patient_days_per_s": n * days / seconds, "peak_rss_mib": peak / 2**20,
            "load_before": load_before, "load_after": load()}


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def mesa_compare(plan: list[tuple[int, int]], check: tuple[int, int]) -> dict[str, object]:
    """painsim (1 and 2 threads, best of 3) against the Mesa agents on the same patients and days.

    ``check`` = (patients, days) of the agreement check of cohort mean pain.
    """
    import numpy as np

    import painsim as ps
    from mesa_model import run_mesa

    ps.simulate(ps.Cohort.build("acute", n=64, seed=0), 2, ps.Record.summaries(), n_jobs=2)  # warm-up
    rows = []
    for n, days in plan:
        cohort = ps.Cohort.build("acute", n=n, seed=1)
        load_before = load()
        one = _best(lambda c=cohort, d=days: ps.simulate(c, d, ps.Record.summaries()), 3)
        two = _best(lambda c=cohort, d=days: ps.simulate(c, d, ps.Record.summaries(), n_jobs=2), 3)
        _, build_s, step_s = run_mesa(cohort, days, seed=1)
        pd_ = n * days
        rows.append({"n": n, "days": days, "painsim_1_thread_per_s": pd_ / one, "painsim_2_threads_per_s": pd_ / two,
                     "mesa_per_s": pd_ / step_s, "mesa_build_s": build_s,
                     "ratio_1_thread": step_s / one, "ratio_2_threads": step_s / two,
                     "ratio_1_thread_incl_mesa_build": (step_s + build_s) / one,
                     "load_before": load_before, "load_after": load()})
    n, days = check
    cohort = ps.Cohort.build("acute", n=n, seed=1)
    ours = ps.simulate(cohort, days, ps.Record.summaries()).daily()["pain_mean"].to_numpy()
    mesa_a, _, _ = run_mesa(cohort, days, seed=1)
    mesa_b, _, _ = run_mesa(cohort, days, seed=2)
    agreement = {"n": n, "days": days, "population": "acute",
                 "max_abs_diff_painsim_vs_mesa": float(np.max(np.abs(ours - mesa_a))),
                 "mean_diff_painsim_minus_mesa": float(np.mean(ours - mesa_a)),
                 "max_abs_diff_mesa_seed1_vs_seed2": float(np.max(np.abs(mesa_a - mesa_b))),
                 "painsim_mean_pain_first_last": [float(ours[0]), float(ours[-1])],
                 "mesa_mean_pain_first_last": [float(mesa_a[0]), float(mesa_a[-1])]}
    return {"rows": rows, "agreement": agreement}


def baseline_compare(plan: list[tuple[int, int]], passes: int = 2, processes: int = 5) -> dict[str, object]:
    """The engine against the pre-issue-13 kernel (``baseline_kernel.py``), one thread,
    without and with care: both kernels called directly on interleaved slices of the same
    cohort (``kernel_ab.interleaved_ratio``: ratio = total baseline time / total engine
    time; > 1: the engine is faster; issue 13 asks >= 0.95), each case in ``processes``
    fresh processes (``kernel_ab.across_processes``: the median ratio, the range and the
    pooled ratio). The two must agree exactly (their summaries are compared)."""
    from kernel_ab import across_processes

    rows = []
    for n, days in plan:
        for label, case in (("no care", "none"), ("massage + exercise + sleep + education", "care")):
            load_before = load()
            result = across_processes(n, days, case, passes, processes)
            rows.append({"n": n, "days": days, "care": label, **result, "load_before": load_before,
                         "load_after": load()})
    return {"rows": rows}


def speed_of_light(n_iter: int) -> dict[str, object]:
    """The speed-of-light estimate (see speed_of_light.py), measured now."""
    from speed_of_light import COUNTS, estimate, measure_costs, measure_vector_peak

    load_before = load()
    out = estimate(measure_costs(n_iter))
    gflops = measure_vector_peak(reps=max(1000, n_iter // 100))
    flops = COUNTS["arith"] + COUNTS["div"]
    return {**out, "vector_gflops_f64": gflops, "vector_flops_per_patient_day": flops,
            "vector_ns_per_patient_day_arith": flops / gflops, "load_before": load_before, "load_after": load()}


def run_isolated(n: int, days: int, jobs: int) -> dict[str, float]:
    code = f"import json,sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); " \
           f"from bench_engine import measure; print(json.dumps(measure({n}, {days}, {jobs})))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, few days (smoke run)")
    parser.add_argument("--no-million", action="store_true", help="skip the 10^6 patients x 5 years memory run")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "engine.json")
    args = parser.parse_args()
    parser_million = not args.quick and not args.no_million
    plan = [(10**3, 30), (10**4, 30)] if args.quick else [
        (10**3, 3650), (10**4, 1825), (10**5, 365), (10**6, 100)]
    rows = []
    for n, days in plan:
        one = run_isolated(n, days, 1)
        two = run_isolated(n, days, 2)
        rows.append({**one, "per_s_2_threads": two["patient_days_per_s"],
                     "speedup_2_threads": two["patient_days_per_s"] / one["patient_days_per_s"],
                     "ratio_to_aim_1_thread": one["patient_days_per_s"] / AIM,
                     "peak_rss_mib_2_threads": two["peak_rss_mib"]})
    mesa_plan = [(10**2, 30), (10**3, 30)] if args.quick else [(10**2, 365), (10**3, 100), (10**4, 60)]
    try:
        import mesa
    except ImportError:  # the bench dependency group is not installed
        print("mesa is not installed (pip install -e '.[bench]'): skipping the Mesa comparison", file=sys.stderr)
        mesa = None
    else:
        del mesa
        mesa = mesa_compare(mesa_plan, (500, 20) if args.quick else (10**4, 60))
    baseline = baseline_compare([(10**3, 120)] if args.quick else [(10**4, 365), (10**5, 100)],
                                passes=1 if args.quick else 2, processes=1 if args.quick else 5)
    sol = speed_of_light(10**6 if args.quick else 2 * 10**7)
    best_1 = max(rows, key=lambda r: r["patient_days_per_s"])
    sol["kernel_ns_per_patient_day_1_thread"] = 1e9 / best_1["patient_days_per_s"]
    sol["kernel_best_row_n"] = best_1["n"]
    sol["ratio_kernel_to_speed_of_light"] = sol["kernel_ns_per_patient_day_1_thread"] / sol["ns_per_patient_day"]
    million = run_isolated(10**6, 1825, 2) if parser_million else None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"machine": machine(), "rows": rows, "mesa": mesa, "baseline": baseline, "speed_of_light": sol,
              "million_5y": million}
    args.out.write_text(json.dumps(result, indent=2))
    print(tables(result))


def tables(res: dict) -> str:
    """Markdown tables of a result file of this benchmark."""
    out = ["| patients | days | 1 thread (patient-days/s) | x aim (5e6) | 2 threads | speed-up | "
           "peak RSS (MiB) | load avg (1 min) |", "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in res["rows"]:
        out.append(f"| {r['n']:,} | {r['days']:,} | {r['patient_days_per_s']:,.0f} | {r['ratio_to_aim_1_thread']:.2f} "
                   f"| {r['per_s_2_threads']:,.0f} | {r['speedup_2_threads']:.2f} | {r['peak_rss_mib']:.0f} "
                   f"| {r['load_before'][0]:.2f} |")
    if res.get("mesa"):
        out += _mesa_tables(res["mesa"])
    if res.get("baseline"):
        out += _baseline_tables(res["baseline"])
    s = res["speed_of_light"]
    out += ["", "| operation class | count per patient-day | ns per op (measured) | ns per patient-day |",
            "|---|---:|---:|---:|"]
    for k, c in s["counts"].items():
        out.append(f"| {k} | {c:g} | {s['ns_per_op'][k]:.3f} | {s['ns_per_patient_day_by_class'][k]:.1f} |")
    out.append(f"| **speed of light** | | | **{s['ns_per_patient_day']:.1f}** |")
    out += ["", f"Kernel, 1 thread, best row ({s['kernel_best_row_n']:,} patients): "
            f"{s['kernel_ns_per_patient_day_1_thread']:.1f} ns per patient-day = "
            f"**{s['ratio_kernel_to_speed_of_light']:.2f} × the speed-of-light estimate** "
            f"({s['patient_days_per_s']:,.0f} patient-days/s; load average {s['load_before'][0]:.2f} when measured)."]
    if "vector_gflops_f64" in s:
        ratio = s["kernel_ns_per_patient_day_1_thread"] / s["vector_ns_per_patient_day_arith"]
        out += ["", f"SIMD bound (not reached by design; see below): one core's measured vector FMA throughput is "
                f"{s['vector_gflops_f64']:.1f} GFLOP/s (float64), so the kernel's "
                f"{s['vector_flops_per_patient_day']:g} arithmetic operations per patient-day could take "
                f"{s['vector_ns_per_patient_day_arith']:.1f} ns if "
                f"vectorised across patients, transcendental functions and random numbers not counted: the kernel "
                f"is {ratio:.0f} × that bound."]
    m = res.get("million_5y")
    if m:
        out += ["", f"1,000,000 patients x 1,825 days (5 years), summaries only, 2 threads: {m['seconds']:.0f} s, "
                f"{m['patient_days_per_s']:,.0f} patient-days/s, peak RSS {m['peak_rss_mib'] / 1024:.2f} GiB "
                f"(load average {m['load_before'][0]:.2f})"]
    return "\n".join(out)


def _baseline_tables(baseline: dict) -> list[str]:
    rows = baseline["rows"]
    if rows and "ratio_min" not in rows[0]:  # a results file from before the method of several processes
        return ["", "(engine against baseline: results file of an older format; rerun the benchmark)"]
    first = rows[0] if rows else {"slice": 500, "passes": 2, "processes": 5}
    out = ["", "Engine (levers, hooks and phases) against the pre-plug-in kernel (`benchmarks/baseline_kernel.py`), "
           "both kernels called directly on the same patients, one thread: the cohort cut into slices of "
           f"{first['slice']} patients, each slice run on both kernels in turn (alternating which goes first), "
           f"{first['passes']} passes, thread CPU time; ratio = total baseline time / total engine time. Each case "
           f"runs in {first['processes']} fresh processes, since where a process places the compiled code and the "
           "arrays moves the ratio by a few per cent: the table gives the median of the processes' ratios (≥ 0.95 "
           "is the aim), their range and the pooled ratio (`python benchmarks/kernel_ab.py N DAYS 2 care "
           "--processes 5` runs one case):",
           "",
           "| patients | days | care | baseline (patient-days/s) | engine | ratio (median) | range over processes "
           "| pooled | processes | identical | load avg (1 min) |",
           "|---:|---:|---|---:|---:|---:|---|---:|---:|---|---:|"]
    for r in rows:
        out.append(f"| {r['n']:,} | {r['days']:,} | {r['care']} | {r['baseline_per_s']:,.0f} "
                   f"| {r['engine_per_s']:,.0f} | {r['ratio']:.3f} | {r['ratio_min']:.3f}-{r['ratio_max']:.3f} "
                   f"| {r['pooled']:.3f} | {r['processes']} | {'yes' if r['identical'] else 'NO'} "
                   f"| {r['load_before'][0]:.2f} |")
    return out


def _mesa_tables(mesa: dict) -> list[str]:
    out = ["", "| patients | days | Mesa (patient-days/s) | painsim 1 thread | painsim 2 threads | "
           "× Mesa, 1 thread | × Mesa, 2 threads | load avg (1 min) |", "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in mesa["rows"]:
        out.append(f"| {r['n']:,} | {r['days']:,} | {r['mesa_per_s']:,.0f} | {r['painsim_1_thread_per_s']:,.0f} "
                   f"| {r['painsim_2_threads_per_s']:,.0f} | {r['ratio_1_thread']:.0f} | {r['ratio_2_threads']:.0f} "
                   f"| {r['load_before'][0]:.2f} |")
    a = mesa["agreement"]
    out += ["", f"Agreement ({a['n']:,} acute patients, {a['days']} days, cohort mean reported pain per day): "
            f"max |painsim − Mesa| = {a['max_abs_diff_painsim_vs_mesa']:.3f} NRS points (mean difference "
            f"{a['mean_diff_painsim_minus_mesa']:+.3f}); two Mesa runs with different seeds differ by up to "
            f"{a['max_abs_diff_mesa_seed1_vs_seed2']:.3f}. Mean pain day 1 → day {a['days']}: painsim "
            f"{a['painsim_mean_pain_first_last'][0]:.2f} → {a['painsim_mean_pain_first_last'][1]:.2f}, Mesa "
            f"{a['mesa_mean_pain_first_last'][0]:.2f} → {a['mesa_mean_pain_first_last'][1]:.2f}."]
    return out


if __name__ == "__main__":
    main()
