"""Care outcomes: relief episodes, responder classes, attendance and cost per relief-day.

Definitions (docs/care.md): a relief episode after a session is pain at least
``relief_relative`` (30%) or ``relief_absolute`` (2 points) below the pre-session level,
beginning within ``relief_window`` days; its duration is the number of days until pain
returns within that margin. Over a course, a client is

* **lasting** when they stay in the recovered range (no recurrence) for at least
  ``lasting_days`` (365) after the last scheduled session;
* otherwise a **non-responder** when neither of the first two sessions held within 30 days
  of the first gave a relief episode;
* otherwise **transient**.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from painsim.care.plan import C_COST, C_DISAPPOINT, C_DROPOUT, C_EXDONE, C_LASTING, C_RELIEF, C_SESSIONS

if TYPE_CHECKING:
    from painsim.engine.result import SimulationResult

CLASSES = ("non_responder", "transient", "lasting")
EARLY_SESSIONS = 2
EARLY_WINDOW_DAYS = 30


def responder_class(session_relief: np.ndarray, session_days: np.ndarray, lasting_run: np.ndarray,
                    lasting_days: float) -> np.ndarray:
    """Class of each client (array of strings) from per-session relief and the recovered run."""
    early = (np.arange(session_days.size) < EARLY_SESSIONS) & (session_days <= session_days[0] + EARLY_WINDOW_DAYS)
    early_relief = (session_relief[early] > 0).any(axis=0)
    return np.where(lasting_run >= lasting_days, "lasting", np.where(early_relief, "transient", "non_responder"))


def care_summary(result: SimulationResult) -> pd.DataFrame:
    """Per-patient care outcomes of a simulation with care (see module docstring)."""
    if result.care_outcomes.shape[0] == 0:
        raise ValueError("this simulation had no care: there are no care outcomes")
    q = result.care_outcomes
    frame = pd.DataFrame({
        "patient": result.cohort.ids,
        "sessions_attended": q[C_SESSIONS].astype(np.int64),
        "cost": q[C_COST],
        "relief_days": q[C_RELIEF],
        "cost_per_relief_day": np.where(q[C_RELIEF] > 0, q[C_COST] / np.maximum(q[C_RELIEF], 1), np.nan),
        "disappointment": q[C_DISAPPOINT],
        "dropout_day": np.where(q[C_DROPOUT] >= 0, q[C_DROPOUT], np.nan),
        "exercise_sessions_done": q[C_EXDONE].astype(np.int64),
        "recovered_run_after_course": q[C_LASTING],
    })
    if result.session_days.size:
        relief = result.session_relief
        attended = relief >= 0
        positive = np.where(relief > 0, relief, np.nan)
        frame["relief_episodes"] = (relief > 0).sum(axis=0)
        with warnings.catch_warnings():  # clients without any relief episode get NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            frame["relief_median_days"] = np.nanmedian(positive, axis=0)
        frame["sessions_scheduled"] = result.session_days.size
        frame["first_session_relief_days"] = np.where(attended[0], relief[0], np.nan)
        frame["responder_class"] = responder_class(relief, result.session_days, q[C_LASTING],
                                                   result.care_kernel.lasting_days)
    return frame


def class_shares(summary: pd.DataFrame) -> dict[str, float]:
    """Shares of non-responders, transient and lasting responders."""
    counts = summary["responder_class"].value_counts(normalize=True)
    return {name: float(counts.get(name, 0.0)) for name in CLASSES}


def relief_durations(result: SimulationResult) -> np.ndarray:
    """Durations (days) of every relief episode in the arm."""
    relief = result.session_relief
    return relief[relief > 0].astype(np.float64)
