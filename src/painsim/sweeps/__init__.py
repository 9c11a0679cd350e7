"""Sweeps on Dask: many independent simulations, resumable, equal to a serial run.

>>> from painsim.sweeps import Sweep, ResultsFolder, run_sweep, sweep_client   # doctest: +SKIP
>>> sweep = Sweep("grid", my_task, tasks=[{"x": 1}, {"x": 2}], spec={"model": "v1"}, seed=3)
>>> with sweep_client() as client:                  # LocalCluster on all cores (processes)
...     outcome = run_sweep(sweep, ResultsFolder("results/grid"), client)

The sweeps are infrastructure: they run any task function and know no model; the grid
sweep of a scenario (``painsim sweep``) is a job of the application layer,
:func:`painsim.app.grid_sweep`. See docs/scaling.md.
"""

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
    "run_sweep",
    "sweep_client",
    "task_key",
]
