"""The therapist-client relationship and the parameters of the kernel's visit hooks.

Not a treatment: alliance and framing shape every visit treatment's sessions (expectation,
disappointment, attendance), and the relief definitions say what counts as relief.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from painsim.engine.params import parameter

_ASSUMED = "modelling assumption, calibrated (docs/care.md)"


class Relationship(BaseModel):
    """The therapist-client relationship: alliance (0-1) and framing.

    Framing sets expectation: "fix" promises a cure (high expectation), "manage" promises
    help in managing pain (moderate, realistic expectation).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    alliance: float = Field(0.6, ge=0.0, le=1.0, description="therapeutic alliance, 0-1")
    framing: Literal["manage", "fix"] = "manage"


class VisitParams(BaseModel):
    """Gains of the visit hooks: expectation, disappointment, attendance, relief definitions."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    # relationship and expectation
    framing_fix: float = parameter(0.82, "expectation set by 'we fix' framing", "Bialosky et al. 2011", le=1.0,
                                   unit="expectation")
    framing_manage: float = parameter(0.22, "expectation set by 'we help you manage' framing",
                                      "Bialosky et al. 2011", le=1.0, unit="expectation")
    framing_weight: float = parameter(0.7, "weight of the framing (vs the client's prior) in the first "
                                      "expectation", _ASSUMED, le=1.0, unit="fraction")
    expected_relief: float = parameter(0.74, "relative relief expected at full expectation", _ASSUMED, le=1.0,
                                       unit="fraction of pain")
    expectation_learning: float = parameter(0.3, "how far expectation moves toward experienced relief",
                                            _ASSUMED, le=1.0, unit="fraction")
    disappointment_self_efficacy: float = parameter(0.1, "self-efficacy lost per unit of disappointment",
                                                    "unmet expectations and outcomes (Bialosky et al. 2011)",
                                                    le=1.0, unit="self-efficacy")
    alliance_self_efficacy: float = parameter(0.02, "self-efficacy gained per session at full alliance",
                                              "alliance and outcomes (Ferreira et al. 2013, Phys Ther 93:470)",
                                              le=1.0, unit="1/session")
    # attendance (whether a client comes back, never whether they respond)
    attend_base: float = parameter(3.0, "log-odds of coming back at neutral alliance, no disappointment",
                                   _ASSUMED, ge=-10.0, le=10.0, unit="log-odds")
    attend_alliance: float = parameter(3.0, "log-odds per unit of alliance above 0.5", "Ferreira et al. 2013",
                                       le=20.0, unit="log-odds")
    attend_relief: float = parameter(1.0, "log-odds per unit of relative relief at the last session", _ASSUMED,
                                     le=20.0, unit="log-odds")
    attend_disappointment: float = parameter(7.4, "log-odds lost per unit of disappointment", _ASSUMED, le=50.0,
                                             unit="log-odds")
    attend_cost: float = parameter(1.0, "log-odds lost per 100 USD per session, scaled by lack of resources",
                                   _ASSUMED, le=20.0, unit="log-odds per 100 USD")
    # outcome definitions
    relief_relative: float = parameter(0.3, "relief: pain at least this share below the pre-session level",
                                       "IMMPACT: 30% is moderately important (Dworkin et al. 2008)", le=1.0,
                                       unit="fraction")
    relief_absolute: float = parameter(2.0, "relief: or at least this many points below it",
                                       "IMMPACT: 2 NRS points (Dworkin et al. 2008)", le=10.0, unit="NRS points")
    relief_window: float = parameter(2.0, "days after a session within which relief must begin", _ASSUMED,
                                     ge=1.0, le=30.0, unit="days")
    lasting_days: float = parameter(365.0, "days in the recovered range after the course for 'lasting'",
                                    "the model brief", ge=1.0, le=3650.0, unit="days")
