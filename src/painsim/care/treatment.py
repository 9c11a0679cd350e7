"""The treatment plug-in interface: what one file declares to add a treatment to painsim.

A treatment is a pydantic model (its fields are the TOML table of an arm, e.g.
``[arms.x.massage]``) with class-level declarations:

* ``name`` (the TOML key), ``label``, and ``Params``: a pydantic model of its gains, each
  made with :func:`painsim.engine.params.parameter` (meaning, unit, bounds, source);
* how its sessions happen: ``session_days()``, ``attendance`` (a model of
  ``engine.levers.ATTENDANCE_MODELS``), ``timing`` (before or after the day's observation)
  and ``visit`` (a therapist visit: expectation, framing, alliance, relief tracking and
  disappointment through the kernel's visit hooks);
* what it does: ``exposure`` (``impulse`` with the decay parameter ``decay``, or
  ``course``), ``effects`` on named levers and ``kicks`` of named states, each with the
  name of the parameter that sets its gain.

The kernel never sees the class: :meth:`Treatment.channel` compiles it into an
:class:`painsim.engine.program.Channel`. See docs/care.md, "Write your own treatment".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict

from painsim.engine.program import Channel


@dataclass(frozen=True)
class Effect:
    """A change of a named lever while the treatment's exposure ``x`` is non-zero: ``op``
    (reduce, increase, add, subtract) by ``gain`` x min(``cap``, x); ``gain`` names a parameter."""

    lever: str
    op: str
    gain: str
    cap: float = math.inf


@dataclass(frozen=True)
class Kick:
    """A one-off change of a state variable on the day a session is done: ``op``
    (toward_one, scale_down, add_capped) by the parameter named ``gain``."""

    state: str
    op: str
    gain: str


class Treatment(BaseModel):
    """Base class of every treatment (built in or plug-in); subclasses declare the class
    variables below and add their TOML fields."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    Params: ClassVar[type[BaseModel] | None] = None
    visit: ClassVar[bool] = False
    attendance: ClassVar[str] = "always"
    timing: ClassVar[str] = "after_observation"
    exposure: ClassVar[str] = "none"
    decay: ClassVar[str | None] = None
    effects: ClassVar[tuple[Effect, ...]] = ()
    kicks: ClassVar[tuple[Kick, ...]] = ()
    stream: ClassVar[int | None] = None
    sessions_column: ClassVar[str | None] = None
    always_reported: ClassVar[bool] = False

    # --- how sessions happen (override where the TOML fields differ) -------------------
    def session_days(self) -> np.ndarray:
        """Scheduled session days (from the start of the simulation), sorted."""
        schedule = getattr(self, "schedule", None)
        return schedule.session_days() if schedule is not None else np.empty(0, dtype=np.int64)

    def session_cost(self) -> float:
        """Cost of one session done (the plan's currency)."""
        return float(getattr(self, "cost_per_session", 0.0))

    def session_dose(self) -> float:
        """Impulse added by one session done (visits: before expectation and alliance)."""
        return float(getattr(self, "dose", 1.0))

    def course_window(self) -> tuple[float, float, float]:
        """``(start, end, retention)`` of a ``course`` exposure."""
        return -1.0, -1.0, 0.0

    def adherence_terms(self) -> tuple[float, float]:
        """``(adherence, boost)`` of the ``adherence`` attendance model."""
        return float(getattr(self, "adherence", 1.0)), 1.0

    def check_horizon(self, horizon: int) -> None:
        """Raise ValueError when the schedule does not fit the horizon (days 0 to horizon-1)."""
        days = self.session_days()
        if days.size and days.max() >= horizon:
            raise ValueError(f"{self.name}: a session is scheduled on day {int(days.max())}, outside the "
                             f"horizon of {horizon} days (days 0-{horizon - 1})")

    # --- compilation ---------------------------------------------------------------------
    def compiles(self) -> bool:
        """False for a treatment that adds nothing for the kernel to run (usual care)."""
        return True

    def channel(self, params: Any, stream: int) -> Channel:
        """This treatment as the kernel reads it, with gains from ``params`` (CareParams)."""
        start, end, retention = self.course_window()
        adherence, boost = self.adherence_terms()
        return Channel(
            name=self.name, session_days=self.session_days(), attendance=self.attendance, visit=self.visit,
            exposure=self.exposure, timing=self.timing, stream=stream, dose=self.session_dose(),
            cost=self.session_cost(), decay=float(getattr(params, self.decay)) if self.decay else 0.0,
            course_start=start, course_end=end, retention=retention, adherence=adherence, boost=boost,
            effects=tuple((e.lever, e.op, float(getattr(params, e.gain)), e.cap) for e in self.effects),
            kicks=tuple((k.state, k.op, float(getattr(params, k.gain))) for k in self.kicks),
        )  # fmt: skip

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """The declarations as plain data (docs, the web form, ``painsim treatments``)."""
        return {
            "name": cls.name, "label": cls.label, "summary": (cls.__doc__ or "").strip().split("\n\n")[0],
            "visit": cls.visit, "attendance": cls.attendance, "timing": cls.timing, "exposure": cls.exposure,
            "decay": cls.decay,
            "effects": [{"lever": e.lever, "op": e.op, "gain": e.gain, "cap": None if math.isinf(e.cap) else e.cap}
                        for e in cls.effects],
            "kicks": [{"state": k.state, "op": k.op, "gain": k.gain} for k in cls.kicks],
            "parameters": list(cls.Params.model_fields) if cls.Params is not None else [],
        }  # fmt: skip
