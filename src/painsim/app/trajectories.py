"""Trajectory classes of one arm of a stored run or of a scenario: the job behind
``painsim trajectories`` (docs/trajectories.md), written once for every face.

>>> from painsim.app.trajectories import trajectories_of_run       # doctest: +SKIP
>>> from painsim.store import Store                                 # doctest: +SKIP
>>> found = trajectories_of_run(Store().get("20261129"), months=12)  # doctest: +SKIP
>>> found.fit.label_shares()["recovery"]                            # doctest: +SKIP
0.26
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from painsim.app.errors import AppInputError
from painsim.outcomes.trajectories import (
    CLASS_RANGE,
    KONGSTED_2015,
    PERIOD_WEEKS,
    TrajectoryClasses,
    TrajectoryInputError,
    fit_trajectory_classes,
    pain_curves,
    save_trajectory_figure,
    weekly_pain_from_table,
    weeks_in_months,
)

if TYPE_CHECKING:  # pragma: no cover
    from painsim.scenario import Scenario
    from painsim.store import StoredRun

#: Patients simulated for a scenario (``--n``): enough for classes of a few percent.
DEFAULT_N = 2000
DEFAULT_MONTHS = 12.0
Classes = int | Literal["auto"]


@dataclass
class TrajectoryReport:
    """The trajectory classes of one arm: where the pain came from and the fit."""

    name: str
    arm: str
    months: float
    weeks: int
    fit: TrajectoryClasses
    run_id: str | None = None
    scenario_file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``painsim trajectories --json``)."""
        source = {"run_id": self.run_id} if self.run_id else {"scenario": self.scenario_file or self.name}
        return {"name": self.name, **source, "arm": self.arm, "months": self.months, "weeks": self.weeks,
                **self.fit.to_dict(), "reference": KONGSTED_2015}

    def figure_title(self) -> str:
        where = f"run {self.run_id}" if self.run_id else self.name
        return (f"Trajectory classes of {self.arm} ({where}): {self.fit.k} classes over {self.weeks} weeks "
                f"({self.fit.selected_by.upper() if self.fit.selected_by == 'bic' else 'fixed number'})")


def parse_classes(value: str | int) -> Classes:
    """``"auto"`` or a number of classes from 1 to 7; AppInputError otherwise."""
    text = str(value).strip().lower()
    low, high = CLASS_RANGE
    if text == "auto":
        return "auto"
    if text.isdigit() and low <= int(text) <= high:
        return int(text)
    raise AppInputError(f"--classes: must be 'auto' (the number of classes by BIC over {low}-{high}) or a whole "
                        f"number from {low} to {high}; got {value!r}")


def check_months(months: float, horizon_days: int, what: str) -> int:
    """The whole weeks in ``months``; AppInputError when they do not fit in ``horizon_days``."""
    weeks = weeks_in_months(months) if months > 0 else 0
    if weeks < 2:
        raise AppInputError(f"--months: must cover at least 2 whole weeks (0.5 months or more); got {months:g}")
    if weeks * 7 > horizon_days:
        raise AppInputError(f"--months: {months:g} months need {weeks} whole weeks ({weeks * 7} days) but {what} "
                            f"follows {horizon_days} days ({horizon_days // 7} whole weeks, "
                            f"--months {_months_of(horizon_days // 7)} at most)")
    return weeks


def check_period(period: str) -> str:
    """``week`` or ``month`` (4-week blocks); AppInputError otherwise."""
    if period not in PERIOD_WEEKS:
        raise AppInputError(f"--period: must be {' or '.join(PERIOD_WEEKS)}; got {period!r}")
    return period


def default_arm(arms: list[str], untreated: list[str]) -> str:
    """The arm a trajectory fit reads when none is named: the first without care, else the first."""
    return untreated[0] if untreated else arms[0]


def check_arm(arm: str | None, arms: list[str], untreated: list[str], what: str) -> str:
    """``arm``, or the default one; AppInputError naming the arms when it is unknown."""
    if arm is None:
        return default_arm(arms, untreated)
    if arm not in arms:
        raise AppInputError(f"--arm: {what} has no arm {arm!r}; its arms: {', '.join(arms)}")
    return arm


def trajectories_of_run(run: StoredRun, *, arm: str | None = None, months: float = DEFAULT_MONTHS,
                        classes: Classes = "auto", seed: int = 0, period: str = "week") -> TrajectoryReport:
    """Trajectory classes of one arm of a stored run, from its weekly pain (the ``trajectories``
    table). AppInputError when the run does not hold what is needed (the message says what to record)."""
    check_period(period)
    tables = set(run.tables)
    what = f"run {run.run_id}"
    frame = run.table("trajectories") if "trajectories" in tables else None
    if frame is None or not len(frame):
        raise AppInputError(f"{what} has no per-patient trajectories (tables: {', '.join(sorted(tables)) or 'none'}): "
                            "trajectory classes need the weekly pain of each patient; run a scenario whose [record] "
                            'keeps it (variables including "pain", every = 7, patients > 0; the defaults do)')
    arms = [str(a) for a in dict.fromkeys(frame["arm"])] if "arm" in frame else []
    if not arms:
        raise AppInputError(f"{what}: its trajectories table has no arm column (not a scenario run)")
    chosen = check_arm(arm, arms, _untreated_arms(run, arms), what)
    horizon = _run_horizon(run, frame)
    weeks = check_months(months, horizon, what)
    try:
        weekly = weekly_pain_from_table(frame, chosen, horizon)
        fit = fit_trajectory_classes(pain_curves(weekly, weeks, period), classes, seed=seed, period=period)
    except TrajectoryInputError as err:
        raise AppInputError(f"{what}, arm {chosen}: {err}") from None
    name = str(run.metadata.get("name") or "run")
    return TrajectoryReport(name=name, arm=chosen, months=months, weeks=weeks, fit=fit, run_id=run.run_id)


def check_scenario_options(scenario: Scenario, arm: str | None, months: float, period: str) -> tuple[str, int]:
    """The arm and the whole weeks a scenario fit reads; AppInputError when they cannot be had."""
    check_period(period)
    arms = list(scenario.arms)
    chosen = check_arm(arm, arms, [a for a in arms if scenario.arms[a].is_empty], f"scenario {scenario.name}")
    return chosen, check_months(months, scenario.horizon_days, f"scenario {scenario.name}")


def trajectories_of_scenario(scenario: Scenario, *, arm: str | None = None, n: int = DEFAULT_N,
                             months: float = DEFAULT_MONTHS, classes: Classes = "auto", seed: int = 0,
                             period: str = "week", n_jobs: int = 1, source: str | None = None,
                             progress: Callable[[str, int, int], None] | None = None) -> TrajectoryReport:
    """Simulate one arm of ``scenario`` for ``n`` patients (its own seed; weekly pain of every
    patient recorded) and fit its trajectory classes; nothing is stored. Options are checked
    before simulating (AppInputError); a cohort that cannot be screened raises ScreeningError."""
    from painsim.app.scenarios import check_scenario_run
    from painsim.scenario import RecordSpec
    from painsim.scenario import run_scenario as simulate_scenario

    chosen, weeks = check_scenario_options(scenario, arm, months, period)
    one_arm = scenario.model_copy(update={
        "arms": {chosen: scenario.arms[chosen]},
        "record": RecordSpec(variables=("pain",), every=7, patients=n),
    })
    check_scenario_run(one_arm, n, store=False)
    result = simulate_scenario(one_arm, n=n, n_jobs=n_jobs, progress=progress).arms[chosen]
    try:
        fit = fit_trajectory_classes(pain_curves(result.trajectories["pain"], weeks, period), classes, seed=seed,
                                     period=period)
    except TrajectoryInputError as err:
        raise AppInputError(f"scenario {scenario.name}, arm {chosen}: {err}") from None
    return TrajectoryReport(name=scenario.name, arm=chosen, months=months, weeks=weeks, fit=fit,
                            scenario_file=source)


def figure_name(name: str, run_id: str | None = None) -> str:
    """The file name of the figure: ``<scenario name>[-<run id>]_trajectories.png`` (the JSON
    summary beside it ends in ``_trajectories.json``)."""
    from painsim.outputs import output_stem

    return f"{output_stem(name, run_id)}_trajectories.png"


def write_trajectory_outputs(report: TrajectoryReport, folder: str | Path) -> tuple[Path, Path]:
    """Write the figure (PNG) and the JSON summary into ``folder``; return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    figure = folder / figure_name(report.name, report.run_id)
    save_trajectory_figure(report.fit, figure, title=report.figure_title())
    summary = figure.with_suffix(".json")
    summary.write_text(json.dumps(report.to_dict(), indent=2))
    return figure, summary


def _months_of(weeks: int) -> str:
    """The largest --months (one decimal) whose whole weeks are at most ``weeks``."""
    months = int(weeks * 7 * 12 / 365.25 * 10) / 10
    while months > 0 and weeks_in_months(months) > weeks:
        months = round(months - 0.1, 1)
    return f"{months:g}"


def _run_horizon(run: StoredRun, trajectories: Any) -> int:
    """Days a stored run followed: its daily table, else its scenario's horizon_days."""
    if "daily" in set(run.tables):
        daily = run.table("daily")
        if len(daily) and "day" in daily:
            return int(daily["day"].max()) + 1
    import tomllib

    try:
        return int(tomllib.loads(run.scenario_text).get("horizon_days", 730))
    except (tomllib.TOMLDecodeError, TypeError, ValueError):
        return int(trajectories["day"].max()) + 1


def _untreated_arms(run: StoredRun, arms: list[str]) -> list[str]:
    """Arms of a stored run without care (no cost in its summary), in the run's order."""
    summary = run.summary or {}
    return [a for a in arms if isinstance(summary.get(a), dict) and "cost_mean" not in summary[a]]
