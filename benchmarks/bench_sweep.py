"""A 64-task parameter sweep on 1 and 2 local Dask workers: the speed-up, measured in the same run.

Each task is a small painsim simulation (an acute cohort, summaries only) with a seed
derived from the task index (``SeedSequence([base, index])``) and a loop gain that varies
over the sweep, so the sweep's answer does not depend on which worker runs which task;
the benchmark checks that both cluster sizes return identical results. Written against
``dask.distributed`` directly: ``LocalCluster(n_workers=k, threads_per_worker=1,
processes=True, dashboard_address=None)``. Cluster start-up is not timed; every worker
runs one warm-up task first (imports, loading the compiled kernel).

    python benchmarks/bench_sweep.py            # 64 tasks of 5,000 patients x 365 days (~1 min)
    python benchmarks/bench_sweep.py --quick    # 8 tiny tasks (smoke)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from machine import load, machine

BASE_SEED = 20260


def task_seed(index: int, base: int = BASE_SEED) -> int:
    """The seed of task ``index``: independent streams for every task, reproducible."""
    return int(np.random.SeedSequence([base, index]).generate_state(1, np.uint64)[0] >> np.uint64(1))


def task(index: int, n: int, days: int, n_tasks: int) -> tuple[int, float, float]:
    """One sweep point: wind-up gain from 0 to 1.5 over the sweep; returns (index, mean pain, chronic share)."""
    import painsim as ps

    gain = 1.5 * index / max(1, n_tasks - 1)
    cohort = ps.Cohort.build("acute", n=n, seed=task_seed(index))
    result = ps.simulate(cohort, days, ps.Record.summaries(), loops={"wind_up": gain})
    return index, float(result.summary()["pain_mean"].mean()), result.chronic_share()


def run_sweep(workers: int, n_tasks: int, n: int, days: int) -> dict[str, object]:
    """Start a LocalCluster of ``workers`` processes, warm it up and time the sweep."""
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.wait_for_workers(workers)
        addresses = list(client.scheduler_info()["workers"])
        client.gather([client.submit(task, 1000 + j, 64, 2, 2, workers=[a], pure=False)
                       for j, a in enumerate(addresses)])
        load_before = load()
        t0 = time.perf_counter()
        futures = client.map(task, range(n_tasks), n=n, days=days, n_tasks=n_tasks, pure=False)
        results = sorted(client.gather(futures))
        seconds = time.perf_counter() - t0
    return {"workers": workers, "seconds": seconds, "tasks_per_s": n_tasks / seconds,
            "patient_days_per_s": n_tasks * n * days / seconds, "results": results,
            "load_before": load_before, "load_after": load()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="8 tiny tasks (smoke run)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "sweep.json")
    args = parser.parse_args()
    n_tasks, n, days = (8, 200, 30) if args.quick else (64, 5_000, 365)
    one = run_sweep(1, n_tasks, n, days)
    two = run_sweep(2, n_tasks, n, days)
    res = {"machine": machine(), "tasks": n_tasks, "patients_per_task": n, "days": days,
           "one_worker": one, "two_workers": two, "speedup": one["seconds"] / two["seconds"],
           "identical_results": one["results"] == two["results"]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2))
    print(tables(res))


def tables(res: dict) -> str:
    """Markdown table of a result file of this benchmark."""
    out = [f"{res['tasks']} tasks, each {res['patients_per_task']:,} patients x {res['days']} days "
           "(summaries only), on a Dask LocalCluster of single-threaded worker processes:", "",
           "| workers | sweep (s) | tasks/s | patient-days/s | load avg (1 min) |", "|---:|---:|---:|---:|---:|"]
    for key in ("one_worker", "two_workers"):
        r = res[key]
        out.append(f"| {r['workers']} | {r['seconds']:.2f} | {r['tasks_per_s']:.2f} | {r['patient_days_per_s']:,.0f} "
                   f"| {r['load_before'][0]:.2f} |")
    out += ["", f"Speed-up of 2 workers over 1: **{res['speedup']:.2f}×**; results identical on 1 and 2 workers: "
            f"{res['identical_results']}."]
    return "\n".join(out)


if __name__ == "__main__":
    main()
