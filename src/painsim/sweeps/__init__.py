"""Sweeps on Dask: many independent simulations, resumable, equal to a serial run.

>>> from painsim.sweeps import Sweep, ResultsFolder, run_sweep, sweep_client   # doctest: +SKIP
>>> sweep = Sweep("grid", my_task, tasks=[{"x": 1}, {"x": 2}], spec={"model": "v1"}, seed=3)
>>> with sweep_client() as client:                  # LocalCluster on all cores (processes)
...     outcome = run_sweep(sweep, ResultsFolder("results/grid"), client)

See docs/scaling.md.
"""

from painsim.sweeps.grid import grid_sweep, grid_task, grid_tasks
from painsim.sweeps.runner import (
    SERIAL,
    ResultsFolder,
    SchedulerUnreachableError,
    Sweep,
    SweepError,
    SweepOutcome,
    run_sweep,
    sweep_client,
    task_key,
)

__all__ = [
    "SERIAL",
    "ResultsFolder",
    "SchedulerUnreachableError",
    "Sweep",
    "SweepError",
    "SweepOutcome",
    "grid_sweep",
    "grid_task",
    "grid_tasks",
    "run_sweep",
    "sweep_client",
    "task_key",
]
