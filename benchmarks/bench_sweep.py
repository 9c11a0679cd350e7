"""Speed-up of a sweep from 1 to 2 local Dask workers (docs/scaling.md).

A 64-task parameter grid (each task: build a chronic cohort of --n patients and follow it
for a year) run on a LocalCluster with 1 worker process, then with 2, each into a fresh
results folder; prints the wall times and their ratio. Cluster start-up is excluded (the
clusters are started and warmed, numba compiled, before timing).

    python benchmarks/bench_sweep.py            # --n 600 --workers 1 2
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

from painsim.scenario import parse_scenario
from painsim.sweeps import ResultsFolder, grid_sweep, grid_tasks, sweep_client

SCENARIO = """
name = "bench"
horizon_days = 365
[population]
entry = "chronic"
[arms.no_care]
"""
GRID = {"heal_rate": [0.05, 0.06, 0.07, 0.08], "sensitization_up": [0.009, 0.010, 0.011, 0.012],
        "loop.sleep": [0.5, 0.8, 1.0, 1.2]}  # 4 x 4 x 4 = 64 tasks


def timed_sweep(workers: int, n: int) -> float:
    scenario = parse_scenario(SCENARIO)
    with sweep_client(None, n_workers=workers) as client, tempfile.TemporaryDirectory() as tmp:
        warm = {"heal_rate": [0.066] * 1, "loop.wind_up": [float(k) for k in range(workers * 2)]}
        grid_sweep(scenario, warm, ResultsFolder(f"{tmp}/warm"), client, n=50, seed=1)  # start + compile
        start = time.perf_counter()
        _, outcome = grid_sweep(scenario, GRID, ResultsFolder(f"{tmp}/run"), client, n=n, seed=1)
        seconds = time.perf_counter() - start
        assert outcome.ran == len(grid_tasks(GRID)) == 64
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=600, help="patients per task")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    times = {w: timed_sweep(w, args.n) for w in args.workers}
    base = times[args.workers[0]]
    report = {"tasks": 64, "patients_per_task": args.n, "cores": os.cpu_count(),
              "seconds": {str(w): round(t, 2) for w, t in times.items()},
              "speedup": {str(w): round(base / t, 2) for w, t in times.items()}}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
