"""Tables of a scenario result, as they are stored (one DataFrame per table)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from painsim.outcomes.care_outcomes import care_summary

if TYPE_CHECKING:
    from painsim.scenario import ScenarioResult


def scenario_tables(result: ScenarioResult) -> dict[str, pd.DataFrame]:
    """``daily`` (cohort means per arm and day), ``patients`` (one row per arm and patient),
    ``trajectories`` (recorded sample, per arm, period and patient) and ``sessions``
    (relief after each scheduled session, per arm and patient)."""
    daily, patients, trajectories, sessions = [], [], [], []
    for name, arm in result.arms.items():
        daily.append(arm.daily().reset_index().assign(arm=name))
        per_patient = arm.summary()
        if arm.care_outcomes.shape[0]:
            per_patient = per_patient.merge(care_summary(arm), on="patient")
        patients.append(per_patient.assign(arm=name))
        if arm.trajectories:
            trajectories.append(arm.to_frame().assign(arm=name))
        if arm.session_days.size:
            n_sessions, n = arm.session_relief.shape
            sessions.append(pd.DataFrame({
                "arm": name,
                "patient": np.tile(arm.cohort.ids, n_sessions),
                "session": np.repeat(np.arange(n_sessions), n),
                "day": np.repeat(arm.session_days, n),
                "relief_days": arm.session_relief.reshape(-1),
            }))
    tables = {"daily": daily, "patients": patients, "trajectories": trajectories, "sessions": sessions}
    return {name: _first_arm_column(pd.concat(parts, ignore_index=True)) for name, parts in tables.items() if parts}


def _first_arm_column(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["arm", *[c for c in frame.columns if c != "arm"]]]
