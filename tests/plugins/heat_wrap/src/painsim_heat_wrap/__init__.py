"""Continuous low-level heat wraps for back pain, as a painsim treatment plug-in.

A wrap worn through the day relaxes muscle and dampens nociception: a short impulse on the
nociception and guarding levers that fades within a few days. Values are illustrative
(heat wraps give small short-term relief in acute low back pain: French et al. 2006,
Cochrane CD004750; Nadler et al. 2002, Spine 27:1012), not calibrated.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from painsim.care import Effect, Schedule, Treatment
from painsim.engine.params import parameter

SOURCE = "heat wrap therapy (French et al. 2006, Cochrane CD004750; Nadler et al. 2002)"


class HeatWrapParams(BaseModel):
    """Gains of a heat wrap (illustrative)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    heat_wrap_decay: float = parameter(0.6, "daily decay of the heat wrap's relief impulse", SOURCE,
                                       ge=0.0, le=1.0, unit="1/day")
    heat_wrap_nociception: float = parameter(0.15, "relative cut of nociceptive drive per unit of impulse",
                                             SOURCE, ge=0.0, le=1.0, unit="1/impulse")
    heat_wrap_guarding: float = parameter(0.2, "relative cut of the guarding target per unit of impulse",
                                          SOURCE, ge=0.0, le=1.0, unit="1/impulse")


class HeatWrap(Treatment):
    """Heat wraps worn at home: each wrap day lowers nociception and guarding for a few days."""

    name: ClassVar[str] = "heat_wrap"
    label: ClassVar[str] = "Heat wrap (plug-in)"
    Params: ClassVar[type[BaseModel]] = HeatWrapParams
    timing: ClassVar[str] = "before_observation"  # worn from the morning: relief the same day
    exposure: ClassVar[str] = "impulse"
    decay: ClassVar[str] = "heat_wrap_decay"
    effects: ClassVar[tuple[Effect, ...]] = (
        Effect("nociception", "reduce", "heat_wrap_nociception", cap=1.0),
        Effect("guarding_target", "reduce", "heat_wrap_guarding", cap=1.0),
    )
    sessions_column: ClassVar[str] = "heat_wrap_days"

    schedule: Schedule = Field(default_factory=lambda: Schedule(count=5, every_days=1),
                               description="days a wrap is worn")
    cost_per_session: float = Field(4.0, ge=0.0, description="USD per wrap")
