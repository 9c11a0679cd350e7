"""Exercise therapy: conditioning, graded exposure, sleep and mastery, session by session."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from painsim.care.treatment import Effect, Kick, Treatment
from painsim.engine import rng
from painsim.engine.params import parameter

# Supervision raises adherence (and an unsupervised home programme lowers it); a fixed
# shape of the adherence model, not calibrated.
SUPERVISED_BOOST = 1.15
HOME_BOOST = 0.85


class ExerciseParams(BaseModel):
    """Gains of an exercise session."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    exercise_activity: float = parameter(0.4, "activity added on a day with an exercise session",
                                         "exercise therapy for LBP (Hayden et al. 2021, Cochrane CD009790)",
                                         le=1.0, unit="activity")
    exercise_fear: float = parameter(0.04, "relative fall of fear-avoidance per session (graded exposure)",
                                     "graded exposure (Vlaeyen et al. 2002)", le=1.0, unit="1/session")
    exercise_sleep: float = parameter(0.03, "relative gain of sleep quality per session",
                                      "exercise and sleep (Kredlow et al. 2015)", le=1.0, unit="1/session")
    exercise_self_efficacy: float = parameter(0.02, "relative gain of self-efficacy per session (mastery)",
                                              "Bandura 1977", le=1.0, unit="1/session")
    exercise_inhibition: float = parameter(
        0.039, "descending inhibition added while a programme runs (exercise-induced hypoalgesia)",
        "exercise-induced hypoalgesia (Naugle et al. 2012, J Pain 13:1139)", le=2.0, unit="inhibition")
    exercise_conditioning: float = parameter(
        0.37, "relative rise of the conditioning rate while a programme runs (training load)",
        "progressive loading in supervised programmes (Hayden et al. 2021, Cochrane CD009790)", le=10.0,
        unit="1")


class Exercise(Treatment):
    """A course of exercise: conditioning, less fear-avoidance (graded exposure), better
    sleep and self-efficacy through mastery, slowly. Sessions are done when the client
    adheres that day (adherence grows with self-efficacy and supervision)."""

    name: ClassVar[str] = "exercise"
    label: ClassVar[str] = "Exercise therapy"
    Params: ClassVar[type[BaseModel]] = ExerciseParams
    attendance: ClassVar[str] = "adherence"
    kicks: ClassVar[tuple[Kick, ...]] = (
        Kick("activity", "add_capped", "exercise_activity"),
        Kick("fear_avoidance", "scale_down", "exercise_fear"),
        Kick("sleep", "toward_one", "exercise_sleep"),
        Kick("self_efficacy", "toward_one", "exercise_self_efficacy"),
    )
    exposure: ClassVar[str] = "course"
    effects: ClassVar[tuple[Effect, ...]] = (
        Effect("inhibition", "add", "exercise_inhibition"),
        Effect("conditioning_rate", "increase", "exercise_conditioning"),
    )
    stream: ClassVar[int] = rng.EXERCISE
    sessions_column: ClassVar[str] = "exercise_sessions_done"
    always_reported: ClassVar[bool] = True

    start_day: int = Field(0, ge=0)
    weeks: int = Field(12, ge=1, le=520)
    sessions_per_week: int = Field(2, ge=1, le=7)
    supervised: bool = True
    adherence: float = Field(0.7, ge=0.0, le=1.0, description="intended share of sessions done")
    cost_per_session: float = Field(60.0, ge=0.0, description="USD per supervised session")

    def session_days(self) -> np.ndarray:
        """``sessions_per_week`` sessions spread over each of ``weeks`` weeks from ``start_day``."""
        days = []
        for week in range(self.weeks):
            first = self.start_day + 7 * week
            days.extend(first + np.floor(np.arange(self.sessions_per_week) * 7 / self.sessions_per_week))
        return np.array(days, dtype=np.int64)

    def course_window(self) -> tuple[float, float, float]:
        """The programme's course effects start the day after its first session, last ``weeks``
        weeks and end with it (what lasts is what the sessions changed: conditioning, fear,
        sleep, self-efficacy)."""
        return float(self.start_day + 1), float(self.start_day + 1 + 7 * self.weeks), 0.0

    def session_cost(self) -> float:
        """Supervised sessions are paid; a home programme costs nothing."""
        return self.cost_per_session * (1.0 if self.supervised else 0.0)

    def adherence_terms(self) -> tuple[float, float]:
        """Intended adherence, and the supervision boost."""
        return self.adherence, SUPERVISED_BOOST if self.supervised else HOME_BOOST
