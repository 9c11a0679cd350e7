"""Care: treatments as plug-ins acting on the kernel's levers and hooks, and care plans.

Built-in treatments (massage, sham, exercise, pain education, sleep and stress care, usual
care) and those of installed plug-in packages (entry-point group ``painsim.care``) are
found in one :data:`REGISTRY`; ``CarePlan`` and ``CareParams`` are composed from it.
"""

from painsim.care.horizon import check_plans_fit_horizon
from painsim.care.registry import ENTRY_POINT_GROUP, PluginError, Registry, check_treatment, did_you_mean
from painsim.care.relationship import Relationship, VisitParams
from painsim.care.schedule import Schedule
from painsim.care.treatment import Effect, Kick, Treatment
from painsim.care.treatments import (
    BUILTIN_TREATMENTS,
    Education,
    Exercise,
    Massage,
    Sham,
    SleepStressCare,
    UsualCare,
)

SHARED_PARAMETERS = frozenset(VisitParams.model_fields)

REGISTRY = Registry()
"""Every treatment painsim knows: the built-ins, then installed plug-ins."""
for _treatment in BUILTIN_TREATMENTS:
    REGISTRY.register(_treatment, builtin=True, shared_parameters=SHARED_PARAMETERS)
PLUGINS: tuple[str, ...] = tuple(REGISTRY.load_entry_points(SHARED_PARAMETERS))
"""Names of the treatments added by plug-in packages."""
REGISTRY.frozen = True

from painsim.care.params import build_care_params  # noqa: E402
from painsim.care.plan import build_care_plan  # noqa: E402

CareParams = build_care_params(REGISTRY)
CarePlan = build_care_plan(REGISTRY)
NO_CARE = CarePlan()

__all__ = [
    "BUILTIN_TREATMENTS",
    "ENTRY_POINT_GROUP",
    "NO_CARE",
    "REGISTRY",
    "CareParams",
    "CarePlan",
    "Education",
    "Effect",
    "Exercise",
    "Kick",
    "Massage",
    "PluginError",
    "Registry",
    "Relationship",
    "Schedule",
    "Sham",
    "SleepStressCare",
    "Treatment",
    "UsualCare",
    "VisitParams",
    "check_plans_fit_horizon",
    "check_treatment",
    "did_you_mean",
]
