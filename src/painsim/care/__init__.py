"""Care: massage, exercise, sleep and stress care, pain education, sham and usual care,
and the therapist-client relationship, as modules acting on the loops."""

from painsim.care.modules import (
    MODULE_KINDS,
    CareModule,
    Education,
    Exercise,
    Massage,
    Relationship,
    Schedule,
    Sham,
    SleepStressCare,
    UsualCare,
)
from painsim.care.params import CareParams
from painsim.care.plan import CARE_OUTCOMES, NO_CARE, CarePlan, CompiledCare

__all__ = [
    "CARE_OUTCOMES",
    "MODULE_KINDS",
    "NO_CARE",
    "CareModule",
    "CareParams",
    "CarePlan",
    "CompiledCare",
    "Education",
    "Exercise",
    "Massage",
    "Relationship",
    "Schedule",
    "Sham",
    "SleepStressCare",
    "UsualCare",
]
