"""Sham sessions for trials: the same visits as massage, expectation only."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from painsim.care.treatment import Effect
from painsim.care.treatments.massage import Massage
from painsim.engine.params import parameter


class ShamParams(BaseModel):
    """Gain of sham visits."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    sham_inhibition: float = parameter(0.15, "descending inhibition per unit of a sham impulse",
                                       "expectation-driven analgesia (Benedetti 2008)", le=5.0,
                                       unit="inhibition/impulse")


class Sham(Massage):
    """Sham sessions for trials: the same visits, expectation only (descending inhibition
    through expectation, no mechanical effect on nociception or guarding)."""

    name: ClassVar[str] = "sham"
    label: ClassVar[str] = "Sham (placebo) visits"
    Params: ClassVar[type[BaseModel]] = ShamParams
    effects: ClassVar[tuple[Effect, ...]] = (Effect("inhibition", "add", "sham_inhibition", cap=1.5),)

    cost_per_session: float = Field(40.0, ge=0.0, description="USD per session")
