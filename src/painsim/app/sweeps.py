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

    from painsim.calibration import TargetsFile
    from painsim.limits import Cost
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
    Raise LimitError (before any work: :func:`check_grid_sweep`) or SweepError."""
    import pandas as pd

    from painsim.sweeps import Sweep, run_sweep

    check_grid_sweep(scenario, n)
    n = n or scenario.n
    seed = scenario.seed if seed is None else seed
    tasks = grid_tasks(grid)
    sweep = Sweep("grid", grid_task, tasks, spec={"scenario": scenario.model_dump(mode="json"), "n": n},
                  seed=seed, common=GridCommon(scenario, n, seed), fn_name=GRID_TASK_KEY_NAME)
    outcome = run_sweep(sweep, results, client, progress=progress)
    frame = pd.DataFrame([{**t["values"], **r} for t, r in zip(tasks, outcome.results, strict=True)])
    return frame, outcome


# --- what a sweep costs, checked before any work (painsim.limits) ---------------------------
# Each task of a sweep is one run, checked as `painsim run` checks one: the same limits and
# messages. The parameters a sweep varies (model and care parameters, loop gains) do not
# change what a run costs (patients, arms, horizon, screening, the schedules' sessions).

def check_grid_sweep(scenario: Scenario, n: int | None = None) -> Cost:
    """What one point of a grid sweep costs (one run of ``scenario`` with ``n`` patients per
    arm, default its own ``n``); raise :class:`painsim.limits.LimitError` naming the field
    (``n (--n)`` when ``n`` is given) and the limit it would exceed."""
    from painsim.limits import check_scenario_cost

    return check_scenario_cost(scenario, n)


def _weekly_pain_run(scenario: Scenario, arms: Sequence[str], n: int) -> Scenario:
    """``scenario`` as a sensitivity sample or a calibration trial runs it: only ``arms``, the
    weekly pain of all ``n`` patients recorded."""
    from painsim.scenario import RecordSpec

    return scenario.model_copy(update={"record": RecordSpec(variables=("pain",), every=7, patients=n),
                                       "arms": {k: v for k, v in scenario.arms.items() if k in arms}})


def _check_weekly_pain_run(scenario: Scenario, arms: Sequence[str], n: int, n_field: str, where: str) -> Cost:
    from painsim.limits import DEFAULT_LIMITS, GiB, LimitError, check_scenario_cost, scenario_cost

    run = _weekly_pain_run(scenario, arms, n)
    recording = scenario_cost(run, n).recording_bytes
    limit = DEFAULT_LIMITS.max_recording_bytes
    if recording > limit:  # the recording is not the user's [record]: name what they can change
        raise LimitError(n_field, (
            f"{where} records the weekly pain of all {n:,} patients in {len(run.arms)} arm(s) over "
            f"{scenario.horizon_days:,} days: {recording / GiB:.1f} GiB; the limit is {limit / GiB:.1f} GiB: lower "
            f"{n_field} (or use fewer arms)"))
    try:
        return check_scenario_cost(run, n)
    except LimitError as err:
        raise LimitError(n_field, f"{where}: {err.detail}") from None


def check_sensitivity_cost(scenario: Scenario, method: str, arms: Sequence[str], inputs: int, budget: int,
                           n: int) -> Cost:
    """Before a sensitivity analysis: its samples (``budget`` x (``inputs`` + 2) for Sobol,
    x (``inputs`` + 1) for Morris) are within ``max_sweep_tasks``, and one sample (the cohort
    of ``n`` followed in ``arms``, weekly pain recorded) within the limits of one run. Return
    the cost of one sample; raise :class:`painsim.limits.LimitError` naming ``--budget`` or ``--n``."""
    from painsim.limits import check_sweep_tasks

    per_base = inputs + 2 if method == "sobol" else inputs + 1
    check_sweep_tasks(budget * per_base, "--budget",
                      f"{budget:,} base samples x {per_base} ({method} with {inputs} inputs)")
    return _check_weekly_pain_run(scenario, arms, n, "--n", f"each {method} sample")


def check_calibration_cost(targets: TargetsFile, budget: int, option: str = "--budget") -> list[Cost]:
    """Before a calibration: ``budget`` trials (an ABC-SMC: particles of a generation, given
    by ``option``) are within ``max_sweep_tasks``, and each scenario its targets simulate
    (``fit.n`` patients, the arms they need, weekly pain recorded) within the limits of one run
    (the trials were checked when the file was read). Return the cost of each scenario; raise
    :class:`painsim.limits.LimitError` naming ``option`` or ``fit.n``."""
    from painsim.calibration.targets import ScenarioSource
    from painsim.limits import check_sweep_tasks

    check_sweep_tasks(budget, option, f"{budget:,} calibration trials")
    costs = []
    for name, scenario in targets.scenarios.items():
        sources = [t.source for t in targets.targets if isinstance(t.source, ScenarioSource)
                   and t.source.scenario == name]
        arms = {a for s in sources for a in (s.arm, s.contrast) if a is not None}
        if arms:
            costs.append(_check_weekly_pain_run(scenario, sorted(arms), targets.fit.n, "fit.n",
                                                f"scenario {name!r} of every trial"))
    return costs


#: The name the grid sweep had in painsim.sweeps (tests, benchmarks and scripts use it).
grid_sweep = run_grid_sweep
