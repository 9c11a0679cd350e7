"""Massage therapy: a therapist visit whose relief impulse lowers nociception and guarding
and engages descending inhibition, scaled by expectation and alliance; it decays over days."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from painsim.care.schedule import Schedule
from painsim.care.treatment import Effect, Treatment
from painsim.engine import rng
from painsim.engine.params import parameter


class MassageParams(BaseModel):
    """Gains of massage (defaults: the calibrated model, docs/care.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    massage_decay: float = parameter(0.23, "daily decay of the massage relief impulse",
                                     "relief from a session fades over days (Sherman et al. 2006)", le=1.0,
                                     unit="1/day")
    massage_nociception: float = parameter(0.185, "relative cut of nociceptive drive per unit of impulse",
                                           "massage lowers tissue and muscle nociception (Field 2014)", le=1.0,
                                           unit="1/impulse")
    massage_guarding: float = parameter(0.36, "relative cut of the guarding target per unit of impulse",
                                        "massage reduces muscle tone and guarding (Moyer et al. 2004)", le=1.0,
                                        unit="1/impulse")
    massage_inhibition: float = parameter(0.124, "descending inhibition per unit of impulse",
                                          "touch engages descending modulation (Bialosky et al. 2009)", le=5.0,
                                          unit="inhibition/impulse")


class Massage(Treatment):
    """Massage therapy sessions.

    Per session a relief impulse, scaled by expectation and alliance, lowers nociceptive
    drive and the guarding target and engages descending inhibition; it decays over days.
    """

    name: ClassVar[str] = "massage"
    label: ClassVar[str] = "Massage therapy"
    Params: ClassVar[type[BaseModel]] = MassageParams
    visit: ClassVar[bool] = True
    attendance: ClassVar[str] = "return_visit"
    exposure: ClassVar[str] = "impulse"
    decay: ClassVar[str] = "massage_decay"
    effects: ClassVar[tuple[Effect, ...]] = (
        Effect("nociception", "reduce", "massage_nociception", cap=1.0),
        Effect("guarding_target", "reduce", "massage_guarding", cap=1.0),
        Effect("inhibition", "add", "massage_inhibition", cap=1.5),
    )
    stream: ClassVar[int] = rng.ATTENDANCE

    schedule: Schedule = Field(default_factory=Schedule)
    cost_per_session: float = Field(90.0, ge=0.0, description="USD per session")
    dose: float = Field(1.0, ge=0.0, le=3.0, description="relief impulse per session (1 = typical)")
