"""Sweeps as application jobs: the results folder a command resumes from, a scenario at every
point of a parameter grid, and keeping a finished sweep as a run of the store."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover  (imported where used: the CLI starts without them)
    import pandas as pd

    from painsim.scenario import Scenario
    from painsim.sweeps import ResultsFolder, SweepOutcome

Progress = Callable[[int, int], None]


def sweep_results_folder(results: Path | None, store: Path | None, kind: str, name: str, key: str) -> ResultsFolder:
    """``results`` if given, else ``sweeps/<kind>-<name>-<hash of key>`` in the store, with
    the name made safe (painsim.outputs.output_stem): the same job finds the same folder
    again, which is what makes a rerun resume."""
    from painsim.outputs import output_stem
    from painsim.store import default_root
    from painsim.sweeps import ResultsFolder

    if results is not None:
        return ResultsFolder(results)
    root = Path(store).expanduser() if store is not None else default_root()
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return ResultsFolder(root / "sweeps" / f"{kind}-{output_stem(name)}-{digest}")


#: The name grid tasks are keyed by: where grid_task was written first (painsim.sweeps.grid),
#: so results folders kept before it moved here are reused.
GRID_TASK_KEY_NAME = "painsim.sweeps.grid.grid_task"


@dataclass(frozen=True)
class GridCommon:
    """What every grid task shares: the scenario, patients per point and the seed."""

    scenario: Scenario
    n: int
    seed: int


def grid_task(params: dict, common: GridCommon) -> dict:
    """Simulate the scenario with ``params["values"]`` (model parameters and ``loop.NAME``
    gains); per arm: mean pain over the last 28 days, share chronic at the end, share recovered."""
    import numpy as np

    from painsim.calibration.targets import split_params
    from painsim.scenario import run_scenario

    values = params["values"]
    loops = {k.removeprefix("loop."): v for k, v in values.items() if k.startswith("loop.")}
    model, care = split_params({k: v for k, v in values.items() if not k.startswith("loop.")})
    scenario = common.scenario.model_copy(update={
        "model": type(common.scenario.model).model_validate({**common.scenario.model.model_dump(), **model}),
        "care_params": type(common.scenario.care_params).model_validate(
            {**common.scenario.care_params.model_dump(), **care}),
    })
    result = run_scenario(scenario, n=common.n, seed=common.seed)
    if loops:  # loop gains act on the follow-up, from the same entry cohort
        from painsim.engine import Record, simulate

        result.arms = {name: simulate(result.cohort, scenario.horizon_days, Record.summaries(), loops=loops,
                                      care=plan, care_params=scenario.care_params)
                       for name, plan in scenario.arms.items()}
    out: dict[str, float] = {}
    for name, arm in result.arms.items():
        summary = arm.summary()
        out[f"{name}.pain_end"] = float(summary["pain_last28"].mean())
        out[f"{name}.chronic_end"] = arm.chronic_share()
        out[f"{name}.recovered"] = float(np.mean(summary["first_recovery_day"].notna()))
    return out


def grid_tasks(grid: Mapping[str, Sequence[float]]) -> list[dict]:
    """Every combination of the grid's values, in a fixed order."""
    names = list(grid)
    return [{"values": dict(zip(names, map(float, combo), strict=True))}
            for combo in itertools.product(*(grid[name] for name in names))]


def run_grid_sweep(scenario: Scenario, grid: Mapping[str, Sequence[float]], results: ResultsFolder, client: Any,
                   n: int | None = None, seed: int | None = None,
                   progress: Progress | None = None) -> tuple[pd.DataFrame, SweepOutcome]:
    """Run ``scenario`` at every point of ``grid`` (model or care parameters, ``loop.NAME``
    gains) as a resumable sweep on ``client``; one row per point (parameters and outputs).
    Raise SweepError."""
    import pandas as pd

    from painsim.sweeps import Sweep, run_sweep

    n = n or scenario.n
    seed = scenario.seed if seed is None else seed
    tasks = grid_tasks(grid)
    sweep = Sweep("grid", grid_task, tasks, spec={"scenario": scenario.model_dump(mode="json"), "n": n},
                  seed=seed, common=GridCommon(scenario, n, seed), fn_name=GRID_TASK_KEY_NAME)
    outcome = run_sweep(sweep, results, client, progress=progress)
    frame = pd.DataFrame([{**t["values"], **r} for t, r in zip(tasks, outcome.results, strict=True)])
    return frame, outcome


#: The name the grid sweep had in painsim.sweeps (tests, benchmarks and scripts use it).
grid_sweep = run_grid_sweep
