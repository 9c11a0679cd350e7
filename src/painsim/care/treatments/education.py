"""Pain (neuroscience) education: knowledge about pain lowers threat appraisal."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from painsim.care.schedule import Schedule
from painsim.care.treatment import Kick, Treatment
from painsim.engine.params import parameter


class EducationParams(BaseModel):
    """Gain of an education session."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    education_knowledge: float = parameter(0.72, "share of missing knowledge gained per education session",
                                           "pain neuroscience education (Louw et al. 2016)", le=1.0,
                                           unit="1/session")


class Education(Treatment):
    """Pain (neuroscience) education sessions: raise knowledge about pain, which lowers
    threat appraisal and so catastrophizing, fear and guarding."""

    name: ClassVar[str] = "education"
    label: ClassVar[str] = "Pain education"
    Params: ClassVar[type[BaseModel]] = EducationParams
    timing: ClassVar[str] = "before_observation"
    kicks: ClassVar[tuple[Kick, ...]] = (Kick("knowledge", "toward_one", "education_knowledge"),)

    schedule: Schedule = Field(default_factory=lambda: Schedule(count=2, every_days=7))
    cost_per_session: float = Field(50.0, ge=0.0)
