"""What a simulation returns: trajectories, per-patient summaries and cohort daily means."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from painsim.engine.program import EMPTY_PROGRAM, CareProgram
from painsim.engine.variables import (
    D_DIS,
    D_HIGH,
    D_PAIN,
    D_REC,
    FIXED_POINT_SCALE,
    Q_DIS,
    Q_DIS28,
    Q_FIRST,
    Q_HIGH,
    Q_NREC,
    Q_PAIN,
    Q_PAIN28,
    Q_WORST,
)  # fmt: skip

if TYPE_CHECKING:
    from painsim.engine.cohort import Cohort

LAST_DAYS = 28


@dataclass
class SimulationResult:
    """Outcome of :func:`painsim.simulate`.

    Attributes
    ----------
    cohort : the cohort at the end of the simulation (the input cohort is left unchanged).
    days : number of simulated days.
    start_day : first simulated day, counted from entry.
    every : days per recorded period.
    trajectories : variable -> float32 array (periods x recorded patients).
    recorded : positions in the cohort of the recorded patients.
    summaries : float64 array (summaries x patients), see :meth:`summary`.
    daily_sums : int64 fixed-point array (days x quantities), see :meth:`daily`.
    care : the care plan simulated (None without care).
    session_days : scheduled visit (massage, sham...) session days, from the first simulated day.
    session_relief : float32 (sessions x patients): relief duration in days after each
        session (0: no relief episode, -1: session not attended).
    care_outcomes : float64 (records x patients): ``engine.levers.CARE_RECORDS``, then the
        sessions done of each channel of ``care_program``; see :meth:`care_summary`.
    care_program : the compiled care (channels, hooks).
    care_params : the care gains simulated (None: the defaults).
    """

    cohort: Cohort
    days: int
    start_day: int
    every: int
    trajectories: dict[str, np.ndarray]
    recorded: np.ndarray
    summaries: np.ndarray
    daily_sums: np.ndarray
    care: Any = None
    session_days: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    session_relief: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype=np.float32))
    care_outcomes: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    care_program: CareProgram = EMPTY_PROGRAM
    care_params: Any = None

    @property
    def period_days(self) -> np.ndarray:
        """Day (from entry) at which each recorded period starts."""
        n_periods = -(-self.days // self.every)
        return self.start_day + self.every * np.arange(n_periods)

    def summary(self) -> pd.DataFrame:
        """One row per patient: mean and last-28-day pain and disability, days in high pain,
        mean weekly worst pain, first recovery day (NaN if none) and recurrences."""
        q = self.summaries
        last = min(LAST_DAYS, self.days)
        weeks = max(1, self.days // 7)
        first = np.where(q[Q_FIRST] >= 0, q[Q_FIRST] + self.start_day, np.nan)
        return pd.DataFrame(
            {
                "patient": self.cohort.ids,
                "pain_mean": q[Q_PAIN] / self.days,
                "pain_last28": q[Q_PAIN28] / last,
                "disability_mean": q[Q_DIS] / self.days,
                "disability_last28": q[Q_DIS28] / last,
                "days_high_pain": q[Q_HIGH].astype(np.int64),
                "worst_weekly_pain_mean": q[Q_WORST] / weeks,
                "first_recovery_day": first,
                "recurrences": q[Q_NREC].astype(np.int64),
            }
        )

    def daily(self) -> pd.DataFrame:
        """Cohort means per day (from entry): pain, disability, share in high pain,
        share in a recovered spell."""
        n = len(self.cohort)
        s = self.daily_sums.astype(np.float64)
        return pd.DataFrame(
            {
                "day": self.start_day + np.arange(self.days),
                "pain_mean": s[:, D_PAIN] / FIXED_POINT_SCALE / n,
                "disability_mean": s[:, D_DIS] / FIXED_POINT_SCALE / n,
                "share_high_pain": s[:, D_HIGH] / n,
                "share_recovered": s[:, D_REC] / n,
            }
        ).set_index("day")

    def chronic_share(self, min_pain: float = 4.0) -> float:
        """Share of patients whose mean reported pain over the last 28 days is >= min_pain."""
        return float(np.mean(self.summary()["pain_last28"] >= min_pain))

    def to_frame(self) -> pd.DataFrame:
        """Trajectories in long form: one row per (day, patient) with one column per variable."""
        days = self.period_days
        n_rec = self.recorded.size
        frame: dict[str, Any] = {
            "day": np.repeat(days, n_rec),
            "patient": np.tile(self.cohort.ids[self.recorded], days.size),
        }
        for name, values in self.trajectories.items():
            frame[name] = values.reshape(-1)
        return pd.DataFrame(frame)

    def plot(self, variable: str = "pain", ax: Any = None, n_lines: int = 12) -> Any:
        """Median and 10-90% / 25-75% bands of ``variable`` over recorded patients, with a
        few individual trajectories. Returns the matplotlib Axes."""
        import matplotlib.pyplot as plt

        if variable not in self.trajectories:
            raise KeyError(f"{variable!r} was not recorded; recorded: {list(self.trajectories)}")
        values = self.trajectories[variable]
        days = self.period_days
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4.5))
        lo, q1, med, q3, hi = np.percentile(values, [10, 25, 50, 75, 90], axis=1)
        ax.fill_between(days, lo, hi, color="tab:blue", alpha=0.15, lw=0, label="10-90%")
        ax.fill_between(days, q1, q3, color="tab:blue", alpha=0.3, lw=0, label="25-75%")
        for j in range(min(n_lines, values.shape[1])):
            ax.plot(days, values[:, j], color="0.35", lw=0.5, alpha=0.6)
        ax.plot(days, med, color="tab:blue", lw=2, label="median")
        ax.set_xlabel("day since entry")
        ax.set_ylabel(variable)
        ax.legend(loc="upper right", frameon=False)
        ax.set_title(f"{variable}: {values.shape[1]} recorded patients")
        return ax

    @classmethod
    def concat(cls, parts: list[SimulationResult]) -> SimulationResult:
        """Join results of disjoint chunks of one cohort (same days and recording)."""
        from painsim.engine.cohort import Cohort

        first = parts[0]
        offsets = np.cumsum([0] + [len(p.cohort) for p in parts[:-1]])
        return cls(
            cohort=Cohort.concat([p.cohort for p in parts]),
            days=first.days,
            start_day=first.start_day,
            every=first.every,
            trajectories={
                k: np.concatenate([p.trajectories[k] for p in parts], axis=1)
                for k in first.trajectories
            },
            recorded=np.concatenate([p.recorded + o for p, o in zip(parts, offsets, strict=True)]),
            summaries=np.concatenate([p.summaries for p in parts], axis=1),
            daily_sums=np.sum([p.daily_sums for p in parts], axis=0),
            care=first.care,
            session_days=first.session_days,
            session_relief=np.concatenate([p.session_relief for p in parts], axis=1),
            care_outcomes=np.concatenate([p.care_outcomes for p in parts], axis=1),
            care_program=first.care_program,
            care_params=first.care_params,
        )
