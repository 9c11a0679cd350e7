"""What a simulation keeps: the caller chooses, so that a million patients fit in memory.

* every day of chosen variables (``Record.daily``), or period means (``Record.weekly``);
* all patients, a deterministic sample of them, or chosen patients;
* or summaries only (``Record.summaries``): per-patient outcome summaries and cohort
  daily means, whose size does not grow with the horizon per patient.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from painsim.engine.variables import RECORDABLE, STATE, STATE_INDEX

DEFAULT_MAX_BYTES = 8 * 2**30


class Record(BaseModel):
    """Recording choice for a simulation.

    Examples
    --------
    >>> Record.weekly("pain", "disability", patients=500).every
    7
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    variables: tuple[str, ...] = Field(("pain", "disability"), description="variables to record")
    every: int = Field(1, ge=1, le=3650, description="days per recorded period (period means)")
    patients: int | tuple[int, ...] | None = Field(
        None, description="None: all; an int k: a fixed sample of k; a list: those positions"
    )
    max_bytes: int = Field(DEFAULT_MAX_BYTES, ge=0, description="refuse recordings larger than this")

    @field_validator("variables")
    @classmethod
    def _known(cls, variables: tuple[str, ...]) -> tuple[str, ...]:
        return check_recordable(variables)

    @classmethod
    def daily(cls, *variables: str, patients: int | Sequence[int] | None = None) -> Record:
        """Every day of ``variables`` (default pain and disability)."""
        return cls(variables=variables or ("pain", "disability"), every=1,
                   patients=_as_patients(patients))

    @classmethod
    def weekly(cls, *variables: str, patients: int | Sequence[int] | None = None) -> Record:
        """Weekly means of ``variables``; ``pain_worst`` gives the worst pain of each week."""
        return cls(variables=variables or ("pain", "disability"), every=7,
                   patients=_as_patients(patients))

    @classmethod
    def summaries(cls) -> Record:
        """No trajectories: per-patient summaries and cohort daily means only."""
        return cls(variables=(), every=1, patients=0)

    def variable_codes(self) -> np.ndarray:
        """Row indices of the recorded variables (``pain_worst`` is one past the state)."""
        return np.array(
            [STATE_INDEX[v] if v in STATE_INDEX else len(STATE) for v in self.variables],
            dtype=np.int64,
        )

    def patient_positions(self, n: int, seed: int) -> np.ndarray:
        """Positions (0..n-1, sorted) of the recorded patients in a cohort of ``n``."""
        if not self.variables or self.patients == 0:
            return np.empty(0, dtype=np.int64)
        if self.patients is None:
            return np.arange(n, dtype=np.int64)
        if isinstance(self.patients, int):
            k = min(self.patients, n)
            chosen = np.random.default_rng([seed, 0x5A3]).choice(n, size=k, replace=False)
            return np.sort(chosen).astype(np.int64)
        positions = np.asarray(self.patients, dtype=np.int64)
        if positions.size and (positions.min() < 0 or positions.max() >= n):
            raise ValueError(f"record.patients: positions must lie in 0..{n - 1}")
        return np.unique(positions)

    def check_size(self, n_periods: int, n_patients: int) -> None:
        """Raise a clear error if the recording would exceed ``max_bytes``."""
        size = 4 * len(self.variables) * n_periods * n_patients
        if size > self.max_bytes:
            raise MemoryError(
                f"recording {len(self.variables)} variable(s) x {n_periods} periods x "
                f"{n_patients} patients needs {size / 2**30:.1f} GiB (limit "
                f"{self.max_bytes / 2**30:.1f} GiB): record weekly, sample patients "
                "(patients=k) or keep summaries only"
            )


def check_recordable(variables: Sequence[str]) -> tuple[str, ...]:
    """``variables`` as a tuple, or ValueError naming each unknown one (with the closest
    recordable name) and listing the recordable variables."""
    unknown = [v for v in variables if v not in RECORDABLE]
    if unknown:
        named = []
        for name in unknown:
            close = difflib.get_close_matches(str(name), RECORDABLE, n=1, cutoff=0.6)
            named.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ValueError(f"unknown variable(s) {', '.join(named)}; recordable: {', '.join(RECORDABLE)}")
    return tuple(variables)


def _as_patients(patients: int | Sequence[int] | None) -> int | tuple[int, ...] | None:
    if patients is None or isinstance(patients, int):
        return patients
    return tuple(int(p) for p in patients)
