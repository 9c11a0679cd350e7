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

from painsim.care import REGISTRY, CareParams
from painsim.engine.levers import R_COST, R_DISAPPOINT, R_DROPOUT, R_LASTING, R_RELIEF, R_SESSIONS

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
    """Per-patient care outcomes of a simulation with care (see module docstring).

    Columns: patient, sessions_attended (visits), cost, relief_days, cost_per_relief_day,
    disappointment, dropout_day (NaN: did not stop), the sessions done of each treatment
    that declares a ``sessions_column`` (e.g. exercise_sessions_done), and
    recovered_run_after_course; with visits also relief_episodes, relief_median_days,
    sessions_scheduled, first_session_relief_days and responder_class.
    """
    if result.care_outcomes.shape[0] == 0:
        raise ValueError("this simulation had no care: there are no care outcomes")
    q = result.care_outcomes
    program = result.care_program
    done = {ch.name: q[R_SESSIONS + j] for j, ch in enumerate(program.channels)}
    visit = program.visit_channel
    zeros = np.zeros(q.shape[1])
    columns = {
        "patient": result.cohort.ids,
        "sessions_attended": (q[R_SESSIONS + visit] if visit >= 0 else zeros).astype(np.int64),
        "cost": q[R_COST],
        "relief_days": q[R_RELIEF],
        "cost_per_relief_day": np.where(q[R_RELIEF] > 0, q[R_COST] / np.maximum(q[R_RELIEF], 1), np.nan),
        "disappointment": q[R_DISAPPOINT],
        "dropout_day": np.where(q[R_DROPOUT] >= 0, q[R_DROPOUT], np.nan),
    }
    for treatment in REGISTRY:
        if treatment.sessions_column and (treatment.always_reported or treatment.name in done):
            columns[treatment.sessions_column] = done.get(treatment.name, zeros).astype(np.int64)
    columns["recovered_run_after_course"] = q[R_LASTING]
    frame = pd.DataFrame(columns)
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
        lasting_days = (result.care_params or CareParams()).lasting_days
        frame["responder_class"] = responder_class(relief, result.session_days, q[R_LASTING], lasting_days)
    return frame


def class_shares(summary: pd.DataFrame) -> dict[str, float]:
    """Shares of non-responders, transient and lasting responders."""
    counts = summary["responder_class"].value_counts(normalize=True)
    return {name: float(counts.get(name, 0.0)) for name in CLASSES}


def relief_durations(result: SimulationResult) -> np.ndarray:
    """Durations (days) of every relief episode in the arm."""
    relief = result.session_relief
    return relief[relief > 0].astype(np.float64)
