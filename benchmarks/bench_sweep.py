"""A 64-task parameter sweep on 1 and 2 local Dask workers: the speed-up, measured in the same run.

The sweep goes through painsim's own sweep machinery (``painsim.app.grid_sweep``), the
path that ``painsim calibrate``, ``painsim sensitivity`` and power curves take: every
finished task is written to a results folder as it completes, keyed by (spec, parameters,
seed). The grid is 4 x 4 x 4 values of heal_rate, sensitization_up and the sleep-loop
gain; each task builds a chronic cohort and follows it for a year. Each cluster size gets a
LocalCluster of single-threaded worker processes (``painsim.sweeps.sweep_client``) and a
fresh results folder; cluster start-up and numba loading are not timed (every worker runs a
warm-up sweep first). The benchmark checks that both cluster sizes return identical results.

    python benchmarks/bench_sweep.py            # 64 tasks of 2,000 patients x 365 days (~1 min)
    python benchmarks/bench_sweep.py --quick    # 8 tiny tasks (smoke)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from machine import load, machine
from painsim.app import grid_sweep
from painsim.scenario import parse_scenario
from painsim.sweeps import ResultsFolder, sweep_client

SCENARIO = """
name = "bench-sweep"
horizon_days = {days}
[population]
entry = "chronic"
[arms.no_care]
"""
GRID = {"heal_rate": [0.05, 0.06, 0.07, 0.08], "sensitization_up": [0.009, 0.010, 0.011, 0.012],
        "loop.sleep": [0.5, 0.8, 1.0, 1.2]}  # 4 x 4 x 4 = 64 tasks
QUICK_GRID = {"heal_rate": [0.05, 0.08], "loop.sleep": [0.5, 1.0], "loop.wind_up": [0.8, 1.2]}  # 8 tasks


def run_sweep(workers: int, grid: dict, n: int, days: int) -> dict[str, object]:
    """Time one sweep of ``grid`` on a LocalCluster of ``workers`` processes (start-up excluded)."""
    scenario = parse_scenario(SCENARIO.format(days=days))
    with sweep_client(None, n_workers=workers) as client, tempfile.TemporaryDirectory() as tmp:
        warm = {"loop.wind_up": [1.0 + 0.01 * k for k in range(2 * workers)]}
        grid_sweep(scenario, warm, ResultsFolder(f"{tmp}/warm"), client, n=50, seed=1)
        load_before = load()
        t0 = time.perf_counter()
        frame, outcome = grid_sweep(scenario, grid, ResultsFolder(f"{tmp}/run"), client, n=n, seed=1)
        seconds = time.perf_counter() - t0
    n_tasks = outcome.ran
    return {"workers": workers, "seconds": seconds, "tasks_per_s": n_tasks / seconds,
            "patient_days_per_s": n_tasks * n * days / seconds,
            "results": frame.round(12).to_dict(orient="records"), "load_before": load_before, "load_after": load()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="8 tiny tasks (smoke run)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "sweep.json")
    args = parser.parse_args()
    grid, n, days = (QUICK_GRID, 100, 30) if args.quick else (GRID, 2_000, 365)
    one = run_sweep(1, grid, n, days)
    two = run_sweep(2, grid, n, days)
    res = {"machine": machine(), "tasks": len(one["results"]), "patients_per_task": n, "days": days,
           "one_worker": one, "two_workers": two, "speedup": one["seconds"] / two["seconds"],
           "identical_results": one["results"] == two["results"]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2))
    print(tables(res))


def tables(res: dict) -> str:
    """Markdown table of a result file of this benchmark."""
    out = [f"{res['tasks']} tasks of `painsim.app.grid_sweep` (each a chronic cohort of "
           f"{res['patients_per_task']:,} patients followed {res['days']} days, summaries only, "
           "results stored as each task finishes), on a Dask LocalCluster of single-threaded worker processes:", "",
           "| workers | sweep (s) | tasks/s | follow-up patient-days/s | load avg (1 min) |",
           "|---:|---:|---:|---:|---:|"]
    for key in ("one_worker", "two_workers"):
        r = res[key]
        out.append(f"| {r['workers']} | {r['seconds']:.2f} | {r['tasks_per_s']:.2f} | {r['patient_days_per_s']:,.0f} "
                   f"| {r['load_before'][0]:.2f} |")
    out += ["", f"Speed-up of 2 workers over 1: **{res['speedup']:.2f}×**; results identical on 1 and 2 workers: "
            f"{res['identical_results']}."]
    return "\n".join(out)


if __name__ == "__main__":
    main()
