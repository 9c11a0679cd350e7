"""A care plan: the care modules one arm receives, and how they compile for the kernel."""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from painsim.care.modules import Education, Exercise, Massage, Relationship, Sham, SleepStressCare, UsualCare
from painsim.care.params import CARE_PARAM_NAMES, CareParams

PLAN_FIELDS: tuple[str, ...] = (
    "massage_mechanical", "massage_dose", "massage_cost", "alliance", "framing_level",
    "exercise_adherence", "exercise_supervised", "exercise_cost", "sleep_start", "sleep_end",
    "sleep_retention", "sleep_cost_week", "education_cost", "course_end",
)  # fmt: skip
CareKernel = namedtuple("CareKernel", CARE_PARAM_NAMES + PLAN_FIELDS)  # type: ignore[misc]

# Rows of the per-patient care outcomes written by the kernel.
CARE_OUTCOMES: tuple[str, ...] = (
    "sessions_attended", "cost", "disappointment", "dropout_day", "exercise_sessions_done",
    "recovered_run_after_course", "relief_days",
)  # fmt: skip
(C_SESSIONS, C_COST, C_DISAPPOINT, C_DROPOUT, C_EXDONE, C_LASTING, C_RELIEF) = range(len(CARE_OUTCOMES))


@dataclass(frozen=True)
class CompiledCare:
    """A plan as the kernel reads it: gains, plan values and session days."""

    kernel: CareKernel
    massage_days: np.ndarray
    exercise_days: np.ndarray
    education_days: np.ndarray

    @property
    def n_sessions(self) -> int:
        """Number of scheduled massage (or sham) sessions of the compiled plan."""
        return int(self.massage_days.size)


class CarePlan(BaseModel):
    """The care one arm receives: at most one module of each kind, and a relationship.

    Examples
    --------
    >>> from painsim.care import CarePlan, Massage, Relationship
    >>> plan = CarePlan(massage=Massage(), relationship=Relationship(alliance=0.8))
    >>> plan.compile(horizon=365).n_sessions
    10
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    massage: Massage | None = None
    sham: Sham | None = None
    exercise: Exercise | None = None
    sleep_stress: SleepStressCare | None = None
    education: Education | None = None
    usual_care: UsualCare | None = None
    relationship: Relationship = Field(default_factory=Relationship)

    @model_validator(mode="after")
    def _one_kind_of_visit(self) -> CarePlan:
        if self.massage is not None and self.sham is not None:
            raise ValueError("a plan has either massage or sham sessions, not both")
        return self

    @property
    def is_empty(self) -> bool:
        """True when the plan adds no care (usual care or nothing)."""
        return all(getattr(self, kind) is None for kind in ("massage", "sham", "exercise", "sleep_stress",
                                                            "education"))

    def compile(self, horizon: int, params: CareParams | None = None) -> CompiledCare:
        """Check the schedules against the horizon and build the kernel's view of the plan."""
        params = params or CareParams()
        visits = self.massage or self.sham
        massage_days = visits.session_days() if visits else np.empty(0, dtype=np.int64)
        exercise_days = self.exercise.session_days() if self.exercise else np.empty(0, dtype=np.int64)
        education_days = self.education.session_days() if self.education else np.empty(0, dtype=np.int64)
        for kind, days in (("massage" if self.massage else "sham", massage_days), ("exercise", exercise_days),
                           ("education", education_days)):
            if days.size and days.max() >= horizon:
                raise ValueError(f"{kind}: a session is scheduled on day {int(days.max())}, outside the "
                                 f"horizon of {horizon} days (days 0-{horizon - 1})")
        sleep = self.sleep_stress
        if sleep is not None and sleep.start_day >= horizon:
            raise ValueError(f"sleep_stress: starts on day {sleep.start_day}, outside the horizon of {horizon} days")
        rel = self.relationship
        plan = {
            "massage_mechanical": 1.0 if self.massage is not None else 0.0,
            "massage_dose": visits.dose if visits else 0.0,
            "massage_cost": visits.cost_per_session if visits else 0.0,
            "alliance": rel.alliance,
            "framing_level": params.framing_fix if rel.framing == "fix" else params.framing_manage,
            "exercise_adherence": self.exercise.adherence if self.exercise else 0.0,
            "exercise_supervised": 1.0 if self.exercise and self.exercise.supervised else 0.0,
            "exercise_cost": self.exercise.cost_per_session if self.exercise else 0.0,
            "sleep_start": float(sleep.start_day) if sleep else -1.0,
            "sleep_end": float(sleep.start_day + 7 * sleep.weeks) if sleep else -1.0,
            "sleep_retention": sleep.retention if sleep else 0.0,
            "sleep_cost_week": sleep.cost_per_week if sleep else 0.0,
            "education_cost": self.education.cost_per_session if self.education else 0.0,
            "course_end": float(massage_days.max()) if massage_days.size else -1.0,
        }
        values = [getattr(params, name) for name in CARE_PARAM_NAMES] + [float(plan[f]) for f in PLAN_FIELDS]
        return CompiledCare(CareKernel(*values), massage_days, exercise_days, education_days)


NO_CARE = CarePlan()
