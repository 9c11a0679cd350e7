"""Parameter grids: a scenario simulated at every combination of parameter values, as one sweep."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from painsim.scenario import Scenario, run_scenario
from painsim.sweeps.runner import ResultsFolder, Sweep, SweepOutcome, run_sweep


@dataclass(frozen=True)
class GridCommon:
    scenario: Scenario
    n: int
    seed: int


def grid_task(params: dict, common: GridCommon) -> dict:
    """Simulate the scenario with ``params["values"]`` (model parameters and ``loop.NAME``
    gains); per arm: mean pain over the last 28 days, share chronic at the end, share recovered."""
    from painsim.calibration.targets import split_params

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


def grid_sweep(scenario: Scenario, grid: Mapping[str, Sequence[float]], results: ResultsFolder, client: Any,
               n: int | None = None, seed: int | None = None,
               progress: Callable[[int, int], None] | None = None) -> tuple[pd.DataFrame, SweepOutcome]:
    """Run the scenario at every grid point; one row per point (parameters and outputs)."""
    n = n or scenario.n
    seed = scenario.seed if seed is None else seed
    tasks = grid_tasks(grid)
    sweep = Sweep("grid", grid_task, tasks, spec={"scenario": scenario.model_dump(mode="json"), "n": n},
                  seed=seed, common=GridCommon(scenario, n, seed))
    outcome = run_sweep(sweep, results, client, progress=progress)
    frame = pd.DataFrame([{**t["values"], **r} for t, r in zip(tasks, outcome.results, strict=True)])
    return frame, outcome
