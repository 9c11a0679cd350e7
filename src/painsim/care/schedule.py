"""Session schedules shared by treatments: explicit days, or a count at a fixed interval."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator


class Schedule(BaseModel):
    """Session days: either explicit ``days`` or ``count`` sessions every ``every_days``
    from ``start_day`` (days counted from the start of the simulation).

    Examples
    --------
    >>> Schedule(count=3, every_days=7).session_days().tolist()
    [0, 7, 14]
    """

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
