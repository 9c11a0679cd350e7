"""Sleep and stress care (e.g. CBT for insomnia, stress management) as a course."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from painsim.care.treatment import Effect, Treatment
from painsim.engine.params import parameter


class SleepStressParams(BaseModel):
    """Gains of sleep and stress care while it runs."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    sleep_care_sleep: float = parameter(0.2, "sleep-quality target added by sleep and stress care",
                                        "CBT-I in chronic pain (Finan et al. 2013)", le=1.0, unit="sleep quality")
    sleep_care_stress: float = parameter(0.3, "relative cut of the stress-hormone target",
                                         "stress management (Hoffman et al. 2007)", le=1.0, unit="fraction")


class SleepStressCare(Treatment):
    """Sleep and stress care (e.g. CBT for insomnia, stress management): improves the
    sleep-quality target and lowers the stress-hormone response while it runs; a share of
    the effect is retained afterwards as learned skills."""

    name: ClassVar[str] = "sleep_stress"
    label: ClassVar[str] = "Sleep and stress care"
    Params: ClassVar[type[BaseModel]] = SleepStressParams
    timing: ClassVar[str] = "before_observation"
    exposure: ClassVar[str] = "course"
    effects: ClassVar[tuple[Effect, ...]] = (
        Effect("sleep_target", "add", "sleep_care_sleep"),
        Effect("stress_target", "reduce", "sleep_care_stress"),
    )

    start_day: int = Field(0, ge=0)
    weeks: int = Field(8, ge=1, le=520)
    retention: float = Field(0.5, ge=0.0, le=1.0, description="share of the effect kept after the course")
    cost_per_week: float = Field(80.0, ge=0.0)

    def session_days(self) -> np.ndarray:
        """One billed week of care every 7 days of the course."""
        return self.start_day + 7 * np.arange(self.weeks, dtype=np.int64)

    def session_cost(self) -> float:
        """Cost of a week of care."""
        return self.cost_per_week

    def course_window(self) -> tuple[float, float, float]:
        """The course runs ``weeks`` weeks from ``start_day``; ``retention`` of it stays."""
        return float(self.start_day), float(self.start_day + 7 * self.weeks), self.retention

    def check_horizon(self, horizon: int) -> None:
        """The course must start within the horizon (it may run past it)."""
        if self.start_day >= horizon:
            raise ValueError(f"sleep_stress: starts on day {self.start_day}, outside the horizon of {horizon} days")
