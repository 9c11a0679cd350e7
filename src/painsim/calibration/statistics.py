"""Statistics that calibration targets and sensitivity outputs are computed from.

Each statistic reads one simulated arm (a :class:`painsim.SimulationResult` whose weekly
pain was recorded for every patient) and returns one number. Days count from entry
(day 0 is the first simulated day).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from painsim.outcomes.trajectories import MIN_WEEKS

STATISTICS: dict[str, str] = {
    "pain_ratio": "mean pain over the `window` days ending on `day` / mean pain over the first `baseline_window` days",
    "pain_mean": "mean reported pain (0-10) over the `window` days ending on `day`",
    "disability_mean": "mean disability (RMDQ-like, 0-24) over the `window` days ending on `day`",
    "recovered_fraction": "share of patients whose first recovery began on or before `day`",
    "recurrence_share": "share of the patients who recovered that had a recurrence (whole run)",
    "chronic_share": "share with mean weekly reported pain >= 4 over the 4 weeks ending on `day`",
    "chronic_screen_share": "share meeting the chronic screen (docs/model.md, Populations) over days 0..`day`",
    "responder_share": "share of clients in `responder_class` (non_responder, transient, lasting)",
    "relief_median_days": "median duration (days) of all relief episodes after sessions",
    "trajectory_share": "share in the trajectory pattern `trajectory_class` (recovery, slow_improvement, "
                        "improvement_with_relapse, mild, moderate_severe) of latent classes fitted to the weekly "
                        "pain of the whole weeks ending by `day` (docs/trajectories.md)",
    "recovery_median_days": "median day on which the first run of `run_days` days with pain <= `threshold` starts "
                            "(patients not recovered by `day` count as later)",
    "recovered_by": "share whose first run of `run_days` days with pain <= `threshold` starts by `day`",
    "within_person_sd": "mean over patients of the SD of their daily pain over the `window` days ending on `day`",
    "flare_share": "share with a flare day (pain >= `threshold` points above the previous 7 days' mean) "
                   "in the `window` days ending on `day`",
    "flare_one_day_share": "of the flares starting in the `window` days ending on `day`, the share lasting one day",
    "recurrence_within": "of those recovered (`recovery_days` days with pain <= `recovery_pain`) and followed "
                         "365 days, the share with `run_days` days of pain >= `threshold` within them",
}
# Statistics of the daily diary (painsim.calibration.diary_statistics): their scenario records
# daily pain of every patient.
DIARY_STATISTICS = {"recovery_median_days", "recovered_by", "within_person_sd", "flare_share",
                    "flare_one_day_share", "recurrence_within"}
# Statistics of a virtual trial's comparison (source kind "trial"), averaged over replicate trials.
TRIAL_STATISTICS: dict[str, str] = {
    "md": "adjusted mean difference, arm minus comparator (ANCOVA on change, the trial's analysis)",
    "smd": "Hedges' g of that difference",
    "ci_halfwidth": "half-width of its confidence interval (how variable the outcome is)",
}
StatisticName = Literal[
    "pain_ratio", "pain_mean", "disability_mean", "recovered_fraction", "recurrence_share", "chronic_share",
    "chronic_screen_share", "responder_share", "relief_median_days", "trajectory_share", "recovery_median_days",
    "recovered_by", "within_person_sd", "flare_share", "flare_one_day_share", "recurrence_within", "md", "smd",
    "ci_halfwidth",
]  # fmt: skip
NEEDS_DAY = {"pain_ratio", "pain_mean", "disability_mean", "recovered_fraction", "chronic_share",
             "chronic_screen_share", "trajectory_share", "recovery_median_days", "recovered_by", "within_person_sd",
             "flare_share", "flare_one_day_share"}
NEEDS_THRESHOLD = {"recovery_median_days", "recovered_by", "recurrence_within"}
#: Whole weeks a trajectory_share needs at least (its `day` is 7 * weeks - 1 or later).
TRAJECTORY_MIN_WEEKS = MIN_WEEKS
NEEDS_CARE = {"responder_share", "relief_median_days"}
CHRONIC_PAIN = 4.0


def _window_mean(series: np.ndarray, day: int, window: int) -> float:
    return float(np.mean(series[max(0, day - window + 1): day + 1]))


def _weekly_pain(result: Any) -> tuple[np.ndarray, np.ndarray]:
    """Weekly mean pain (weeks x patients) and each week's first day from entry; a daily
    recording is averaged by week (the last week may be short)."""
    pain = result.trajectories.get("pain")
    if pain is None or not every_patient_recorded(result):
        raise ValueError("this statistic needs the weekly (or daily) pain of every patient recorded")
    starts = result.period_days - result.start_day
    if result.every == 7:
        return pain, starts
    weeks = -(-pain.shape[0] // 7)
    weekly = np.stack([pain[7 * w: 7 * w + 7].mean(axis=0) for w in range(weeks)])
    return weekly, starts[::7]


def _daily_pain(result: Any) -> np.ndarray:
    pain = result.trajectories.get("pain")
    if pain is None or result.every != 1 or result.recorded.size != len(result.cohort):
        raise ValueError("this statistic needs the daily pain of every patient recorded")
    return pain


def every_patient_recorded(result: Any) -> bool:
    """Whether the weekly (or daily) pain of every patient was recorded."""
    return result.every in (1, 7) and result.recorded.size == len(result.cohort)


def trial_statistic(name: str, comparisons: Any) -> float:
    """A :data:`TRIAL_STATISTICS` entry from rows of ``TrialResult.comparisons`` (their mean)."""
    if name == "ci_halfwidth":
        return float(((comparisons["ci_ub"] - comparisons["ci_lb"]) / 2).mean())
    if name in ("md", "smd"):
        return float(comparisons[name].mean())
    raise ValueError(f"unknown trial statistic {name!r}; allowed: {', '.join(TRIAL_STATISTICS)}")


def compute(name: str, result: Any, day: int | None = None, window: int = 1, baseline_window: int = 1,
            responder_class: str | None = None, trajectory_class: str | None = None,
            classes: int | None = None, threshold: float | None = None, run_days: int = 1,
            recovery_pain: float = 1.0, recovery_days: int = 7) -> float:
    """The statistic ``name`` of one simulated arm (NaN when it is undefined, e.g. no relief).

    ``trajectory_class`` and ``classes`` (None: by BIC) are the parameters of ``trajectory_share``;
    ``threshold``, ``run_days``, ``recovery_pain`` and ``recovery_days`` those of the diary
    statistics (:data:`DIARY_STATISTICS`)."""
    if name in DIARY_STATISTICS:
        return _diary_statistic(name, _daily_pain(result), day, window, threshold, run_days, recovery_pain,
                                recovery_days)
    functions: dict[str, Callable[[], float]] = {
        "pain_ratio": lambda: _pain_ratio(result, day, window, baseline_window),
        "pain_mean": lambda: _window_mean(result.daily()["pain_mean"].to_numpy(), day, window),
        "disability_mean": lambda: _window_mean(result.daily()["disability_mean"].to_numpy(), day, window),
        "recovered_fraction": lambda: float(np.mean(result.summary()["first_recovery_day"].to_numpy() <= day)),
        "recurrence_share": lambda: _recurrence_share(result),
        "chronic_share": lambda: _chronic_share(result, day),
        "chronic_screen_share": lambda: _screen_share(result, day),
        "responder_share": lambda: _responder_share(result, responder_class),
        "relief_median_days": lambda: _relief_median(result),
        "trajectory_share": lambda: _trajectory_share(result, day, trajectory_class, classes),
    }
    if name not in functions:
        raise ValueError(f"unknown statistic {name!r}; allowed: {', '.join(STATISTICS)}")
    return functions[name]()


def _diary_statistic(name: str, pain: np.ndarray, day: int | None, window: int, threshold: float | None,
                     run_days: int, recovery_pain: float, recovery_days: int) -> float:
    from painsim.calibration import diary_statistics as ds

    if name in NEEDS_DAY and day is not None and day >= pain.shape[0]:
        raise ValueError(f"{name}: day {day} is beyond the {pain.shape[0]} days simulated")
    rise = 2.0 if threshold is None else threshold
    if name == "recovery_median_days":
        return ds.recovery_median_days(pain, threshold, run_days, day)
    if name == "recovered_by":
        return ds.recovered_by(pain, threshold, run_days, day)
    if name == "within_person_sd":
        return ds.within_person_sd(pain, day, window)
    if name == "flare_share":
        return ds.flare_share(pain, day, window, rise)
    if name == "flare_one_day_share":
        return ds.flare_one_day_share(pain, day, window, rise)
    return ds.recurrence_within(pain, recovery_pain, recovery_days, threshold, run_days)


def _pain_ratio(result: Any, day: int, window: int, baseline_window: int) -> float:
    pain = result.daily()["pain_mean"].to_numpy()
    base = _window_mean(pain, baseline_window - 1, baseline_window)
    return _window_mean(pain, day, window) / base if base > 0 else math.nan


def _recurrence_share(result: Any) -> float:
    summary = result.summary()
    recovered = summary["first_recovery_day"].notna()
    return float((summary.loc[recovered, "recurrences"] > 0).mean()) if recovered.any() else math.nan


def _chronic_share(result: Any, day: int) -> float:
    weekly, starts = _weekly_pain(result)
    weeks = (starts >= day + 1 - 28) & (starts + 7 <= day + 1)
    if not weeks.any():
        raise ValueError(f"chronic_share: no whole week ends by day {day}")
    return float(np.mean(weekly[weeks].mean(axis=0) >= CHRONIC_PAIN))


def _screen_share(result: Any, day: int) -> float:
    """The chronic screen of painsim.engine.cohort applied to days 0..day of an acute cohort."""
    weekly, _ = _weekly_pain(result)
    days = day + 1
    n_periods = -(-days // 7)
    blocks = [weekly[w:w + 4].mean(axis=0) for w in range(0, days // 7 - 3, 4)]
    persistent = np.all(np.array(blocks) >= CHRONIC_PAIN, axis=0) if blocks else np.ones(weekly.shape[1], bool)
    persistent &= weekly[n_periods - 1] >= CHRONIC_PAIN
    return float(np.mean(persistent))


def _responder_share(result: Any, responder_class: str | None) -> float:
    from painsim.outcomes.care_outcomes import care_summary, class_shares

    return class_shares(care_summary(result))[responder_class or "lasting"]


def _relief_median(result: Any) -> float:
    from painsim.outcomes.care_outcomes import relief_durations

    durations = relief_durations(result)
    return float(np.median(durations)) if durations.size else math.nan


def _trajectory_share(result: Any, day: int, trajectory_class: str | None, classes: int | None) -> float:
    """Share of the arm in one trajectory pattern: latent classes (BIC over 1-7 unless
    ``classes`` is given, seed 0) of the weekly pain of the whole weeks in days 0..day."""
    from painsim.outcomes.trajectories import LABELS, fit_trajectory_classes, pain_curves

    if trajectory_class not in LABELS:
        raise ValueError(f"trajectory_share: trajectory_class must be one of {', '.join(LABELS)} "
                         f"(got {trajectory_class!r})")
    weekly, starts = _weekly_pain(result)
    weeks = int(np.sum(starts + 7 <= day + 1))
    if weeks < TRAJECTORY_MIN_WEEKS:
        raise ValueError(f"trajectory_share: {weeks} whole week(s) end by day {day}; at least "
                         f"{TRAJECTORY_MIN_WEEKS} are needed (day >= {7 * TRAJECTORY_MIN_WEEKS - 1})")
    fits = _trajectory_fits(result)
    if (weeks, classes) not in fits:  # the five pattern targets of one arm share one fit
        fits[weeks, classes] = fit_trajectory_classes(pain_curves(weekly, weeks),
                                                      "auto" if classes is None else classes, seed=0)
    return fits[weeks, classes].label_shares()[trajectory_class]


#: Trajectory fits of each simulated arm (by its id), kept while the arm is alive.
_TRAJECTORY_FITS: dict[int, dict[tuple[int, int | None], Any]] = {}


def _trajectory_fits(result: Any) -> dict[tuple[int, int | None], Any]:
    key = id(result)
    if key not in _TRAJECTORY_FITS:
        _TRAJECTORY_FITS[key] = {}
        weakref.finalize(result, _TRAJECTORY_FITS.pop, key, None)  # an id is reused once its arm is gone
    return _TRAJECTORY_FITS[key]
