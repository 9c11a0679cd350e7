"""Engine throughput: patient-days per second for 10^3..10^6 patients, on 1 and 2 threads.

Each configuration runs in a fresh subprocess (so peak memory is its own) after one
warm-up call that compiles or loads the kernel. Throughput is reported with two ratios
measured in the same run: against the 5-million-patient-days-per-second aim, and two
threads against one. Recording is summaries only (the mode meant for large cohorts).

    python benchmarks/bench_engine.py                 # full: 10^3..10^6 (a few minutes)
    python benchmarks/bench_engine.py --quick         # smoke: 10^3 and 10^4, 30 days
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

AIM = 5e6


def measure(n: int, days: int, jobs: int) -> dict[str, float]:
    import painsim as ps

    warm = ps.Cohort.build("acute", n=64, seed=0)
    ps.simulate(warm, 2, ps.Record.summaries(), n_jobs=jobs)
    cohort = ps.Cohort.build("acute", n=n, seed=1)
    start = time.perf_counter()
    ps.simulate(cohort, days, ps.Record.summaries(), n_jobs=jobs)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"n": n, "days": days, "jobs": jobs, "seconds": seconds,
            "patient_days_per_s": n * days / seconds, "peak_rss_mib": peak / 2**20}


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
    million = run_isolated(10**6, 1825, 2) if parser_million else None
    machine = {"python": platform.python_version(), "machine": platform.machine(),
               "processor": platform.processor() or platform.machine(), "system": platform.system()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine, "rows": rows, "million_5y": million}, indent=2))
    print("| patients | days | 1 thread (patient-days/s) | x aim (5e6) | 2 threads | speed-up | peak RSS (MiB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['n']:,} | {r['days']:,} | {r['patient_days_per_s']:,.0f} | {r['ratio_to_aim_1_thread']:.2f} "
              f"| {r['per_s_2_threads']:,.0f} | {r['speedup_2_threads']:.2f} | {r['peak_rss_mib']:.0f} |")
    if million:
        print(f"\n1,000,000 patients x 1,825 days (5 years), summaries only, 2 threads: {million['seconds']:.0f} s, "
              f"{million['patient_days_per_s']:,.0f} patient-days/s, peak RSS {million['peak_rss_mib'] / 1024:.2f} GiB")


if __name__ == "__main__":
    main()
