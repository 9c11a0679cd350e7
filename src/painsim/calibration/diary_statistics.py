"""Statistics of daily pain diaries (days x patients arrays of reported pain, 0-10).

These read the day-by-day course the way cohort studies and trials define it: recovery as
a run of low-pain days (PACE: pain 0-1 for 7 consecutive days, Williams et al. 2014), flares
as a rise of at least 2 points over the person's recent level (Costa N et al. 2021), the
person's own day-to-day variation as the SD of their ratings over a week (Pagé et al. 2022),
recurrence as pain again after a recovery (da Silva et al. 2019). Pure functions on arrays.

Examples
--------
>>> import numpy as np
>>> pain = np.array([[5.0, 0.0], [1.0, 0.0], [0.5, 0.0], [0.0, 3.0]])
>>> first_run_start(pain, threshold=1.0, run_days=2)
array([1., 0.])
"""

from __future__ import annotations

import math

import numpy as np


def first_run_start(pain: np.ndarray, threshold: float, run_days: int, after: np.ndarray | None = None) -> np.ndarray:
    """Per patient, the first day that starts ``run_days`` consecutive days with pain <=
    ``threshold`` (on or after day ``after``, if given); ``inf`` when there is none."""
    ok = pain <= threshold
    return _first_run(ok, run_days, after)


def first_high_run_start(pain: np.ndarray, threshold: float, run_days: int, after: np.ndarray) -> np.ndarray:
    """Per patient, the first day on or after ``after`` that starts ``run_days`` consecutive
    days with pain >= ``threshold``; ``inf`` when there is none."""
    return _first_run(pain >= threshold, run_days, after)


def _first_run(ok: np.ndarray, run_days: int, after: np.ndarray | None) -> np.ndarray:
    """Per patient (column of ``ok``), the first day that starts ``run_days`` consecutive
    ``ok`` days (on or after ``after``); ``inf`` when there is none. A run of ``run_days``
    starts on day ``s`` when the days ``s .. s + run_days - 1`` are all ``ok``: counted
    from cumulative sums, for every day and patient at once."""
    if run_days < 1:
        raise ValueError(f"run_days must be at least 1, got {run_days}")
    n_days, n = ok.shape
    if after is not None:
        days = np.arange(n_days)[:, None]
        ok = ok & (days >= after[None, :])
    if n_days < run_days:
        return np.full(n, np.inf)
    counted = np.zeros((n_days + 1, n), dtype=np.int64)
    np.cumsum(ok, axis=0, out=counted[1:])
    starts = counted[run_days:] - counted[:-run_days] == run_days
    return np.where(starts.any(axis=0), starts.argmax(axis=0), np.inf)


def recovery_median_days(pain: np.ndarray, threshold: float, run_days: int, day: int) -> float:
    """Median day of recovery (start of the first low-pain run, see :func:`first_run_start`),
    counting patients not recovered by ``day`` as later than ``day`` (NaN if the median is
    beyond it): the Kaplan-Meier median when follow-up is complete to ``day``."""
    start = first_run_start(pain[: day + run_days], threshold, run_days)
    start[start > day] = np.inf
    median = float(np.median(start))
    return median if math.isfinite(median) else math.nan


def recovered_by(pain: np.ndarray, threshold: float, run_days: int, day: int) -> float:
    """Share of patients whose first low-pain run starts on or before ``day`` (and is
    complete within the diary)."""
    start = first_run_start(pain, threshold, run_days)
    return float(np.mean(start <= day))


def within_person_sd(pain: np.ndarray, day: int, window: int) -> float:
    """Mean over patients of the SD of their daily ratings over the ``window`` days ending
    on ``day`` (patients whose ratings are all 0 included)."""
    block = pain[max(0, day - window + 1): day + 1]
    return float(np.mean(np.std(block, axis=0, ddof=1)))


def flare_days(pain: np.ndarray, rise: float = 2.0, reference_days: int = 7) -> np.ndarray:
    """Boolean (days x patients): a flare day is rated at least ``rise`` points above the
    mean of the ``reference_days`` before it (the first ``reference_days`` are never flares)."""
    out = np.zeros(pain.shape, dtype=bool)
    csum = np.cumsum(np.vstack([np.zeros((1, pain.shape[1])), pain]), axis=0)
    for d in range(reference_days, pain.shape[0]):
        reference = (csum[d] - csum[d - reference_days]) / reference_days
        out[d] = pain[d] >= reference + rise
    return out


def flare_share(pain: np.ndarray, day: int, window: int, rise: float = 2.0) -> float:
    """Share of patients with at least one flare day in the ``window`` days ending on ``day``."""
    flares = flare_days(pain[: day + 1], rise)
    return float(np.mean(flares[max(0, day - window + 1):].any(axis=0)))


def flare_one_day_share(pain: np.ndarray, day: int, window: int, rise: float = 2.0) -> float:
    """Of all flares (runs of consecutive flare days) starting in the ``window`` days ending
    on ``day``, the share that last a single day (NaN if there are none)."""
    flares = flare_days(pain[: day + 2], rise)
    first = max(0, day - window + 1)
    start = flares[first: day + 1] & ~np.vstack([flares[first - 1: first] if first else
                                                  np.zeros((1, flares.shape[1]), bool), flares[first: day]])
    nxt = flares[first + 1: day + 2]
    if nxt.shape[0] < start.shape[0]:
        nxt = np.vstack([nxt, np.zeros((start.shape[0] - nxt.shape[0], flares.shape[1]), bool)])
    n = int(start.sum())
    return float((start & ~nxt).sum() / n) if n else math.nan


def recurrence_within(pain: np.ndarray, recovery_pain: float, recovery_days: int, threshold: float,
                      run_days: int, follow_days: int = 365) -> float:
    """Among patients who recover (``recovery_days`` days with pain <= ``recovery_pain``) early
    enough to be followed ``follow_days`` after the recovery run, the share with a recurrence:
    ``run_days`` consecutive days with pain >= ``threshold`` within those days (NaN if none
    recover in time)."""
    n_days = pain.shape[0]
    start = first_run_start(pain, recovery_pain, recovery_days)
    end = start + recovery_days
    followed = end + follow_days <= n_days
    if not followed.any():
        return math.nan
    after = np.where(followed, end, n_days).astype(np.int64)
    again = first_high_run_start(pain, threshold, run_days, after)
    return float(np.mean((again[followed] - end[followed]) < follow_days))
