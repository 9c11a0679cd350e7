"""Care modules: each kind of care is a small validated object with a schedule.

Every module shares one interface: ``session_days(horizon)`` says when its sessions are
scheduled (days from the start of care), and ``kernel_values()`` gives the gains the
compiled kernel reads. Care never writes outcomes: each module acts on named gains of the
daily update (docs/care.md maps each module to the states it acts on, with evidence).
No parameter is, or acts as, a probability of responding.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator


class Schedule(BaseModel):
    """Session days: either explicit ``days`` or ``count`` sessions every ``every_days``
    from ``start_day`` (days counted from the start of the simulation)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    days: tuple[int, ...] | None = Field(None, description="explicit session days (>= 0)")
    start_day: int = Field(0, ge=0, description="day of the first session")
    every_days: int = Field(7, ge=1, le=365, description="days between sessions")
    count: int = Field(10, ge=0, le=1000, description="number of sessions")

    @model_validator(mode="after")
    def _sorted_days(self) -> Schedule:
        if self.days is not None:
            if any(d < 0 for d in self.days):
                raise ValueError("days: session days must be >= 0")
            if list(self.days) != sorted(set(self.days)):
                raise ValueError("days: session days must be strictly increasing")
        return self

    def session_days(self) -> np.ndarray:
        """Session days (from the start of the simulation): ``days`` if given, else the series."""
        if self.days is not None:
            return np.array(self.days, dtype=np.int64)
        return self.start_day + self.every_days * np.arange(self.count, dtype=np.int64)


class CareModule(BaseModel):
    """The shared interface of every kind of care."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    kind: ClassVar[str] = "care"

    def session_days(self) -> np.ndarray:
        """Scheduled session days (from the start of the simulation), sorted."""
        return np.empty(0, dtype=np.int64)


class Massage(CareModule):
    """Massage therapy sessions.

    Per session a relief impulse, scaled by expectation and alliance, lowers nociceptive
    drive and the guarding target and engages descending inhibition; it decays over days.
    """

    kind: ClassVar[str] = "massage"
    schedule: Schedule = Field(default_factory=Schedule)
    cost_per_session: float = Field(90.0, ge=0.0, description="USD per session")
    dose: float = Field(1.0, ge=0.0, le=3.0, description="relief impulse per session (1 = typical)")

    def session_days(self) -> np.ndarray:
        """The days of this module's sessions (its schedule's)."""
        return self.schedule.session_days()


class Sham(Massage):
    """Sham sessions for trials: the same visits, expectation only (descending inhibition
    through expectation, no mechanical effect on nociception or guarding)."""

    kind: ClassVar[str] = "sham"
    cost_per_session: float = Field(40.0, ge=0.0, description="USD per session")


class Exercise(CareModule):
    """A course of exercise: conditioning, less fear-avoidance (graded exposure), better
    sleep and self-efficacy through mastery, slowly. Sessions are done when the client
    adheres that day (adherence grows with self-efficacy and supervision)."""

    kind: ClassVar[str] = "exercise"
    start_day: int = Field(0, ge=0)
    weeks: int = Field(12, ge=1, le=520)
    sessions_per_week: int = Field(2, ge=1, le=7)
    supervised: bool = True
    adherence: float = Field(0.7, ge=0.0, le=1.0, description="intended share of sessions done")
    cost_per_session: float = Field(60.0, ge=0.0, description="USD per supervised session")

    def session_days(self) -> np.ndarray:
        days = []
        for week in range(self.weeks):
            first = self.start_day + 7 * week
            days.extend(first + np.floor(np.arange(self.sessions_per_week) * 7 / self.sessions_per_week))
        return np.array(days, dtype=np.int64)


class SleepStressCare(CareModule):
    """Sleep and stress care (e.g. CBT for insomnia, stress management): improves the
    sleep-quality target and lowers the stress-hormone response while it runs; a share of
    the effect is retained afterwards as learned skills."""

    kind: ClassVar[str] = "sleep_stress"
    start_day: int = Field(0, ge=0)
    weeks: int = Field(8, ge=1, le=520)
    retention: float = Field(0.5, ge=0.0, le=1.0, description="share of the effect kept after the course")
    cost_per_week: float = Field(80.0, ge=0.0)


class Education(CareModule):
    """Pain (neuroscience) education sessions: raise knowledge about pain, which lowers
    threat appraisal and so catastrophizing, fear and guarding."""

    kind: ClassVar[str] = "education"
    schedule: Schedule = Field(default_factory=lambda: Schedule(count=2, every_days=7))
    cost_per_session: float = Field(50.0, ge=0.0)

    def session_days(self) -> np.ndarray:
        """The days of this module's sessions (its schedule's)."""
        return self.schedule.session_days()


class UsualCare(CareModule):
    """Continued usual care: nothing is added to the client's own course."""

    kind: ClassVar[str] = "usual_care"


class Relationship(BaseModel):
    """The therapist-client relationship: alliance (0-1) and framing.

    Framing sets expectation: "fix" promises a cure (high expectation), "manage" promises
    help in managing pain (moderate, realistic expectation).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    alliance: float = Field(0.6, ge=0.0, le=1.0, description="therapeutic alliance, 0-1")
    framing: Literal["manage", "fix"] = "manage"


MODULE_KINDS: dict[str, type[CareModule]] = {
    cls.kind: cls for cls in (Massage, Sham, Exercise, SleepStressCare, Education, UsualCare)
}
