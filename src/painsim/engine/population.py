"""Populations: who the virtual patients are when they enter.

Traits are drawn once per patient from a Gaussian copula with logit-normal marginals:
``z ~ N(0, R)``, ``trait_k = expit(logit(median_k) + spread_k * z_k)``. Each patient's
normal draws are keyed by (seed, patient id), so patient *i* is the same person in a
cohort of 100 or of 1,000,000, and in every chunk.

Two default populations are provided (docs/model.md, "Populations"):

* :func:`acute_episode` - adults at the start of an acute low-back-pain episode;
* :func:`chronic_low_back_pain` - adults with chronic low back pain: acute episodes whose
  pain persisted (weekly mean >= 4/10 at each month) for three months. Chronicity is not
  assigned: it is screened from simulated histories, so who becomes chronic emerges from
  the loops.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from scipy.special import expit, logit

from painsim.engine import rng
from painsim.engine.variables import TRAITS


class TraitMarginal(BaseModel):
    """Logit-normal marginal of a trait on 0-1: its median and its spread (logit-scale SD)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    median: float = Field(gt=0.0, lt=1.0, description="median of the trait, in (0, 1)")
    spread: float = Field(ge=0.0, le=5.0, description="SD on the logit scale, in [0, 5]")


# Defaults: medians at 0.5 (the trait scales its process by 1 at the median) except where a
# population mean is known on a 0-1 rescaled instrument; spreads give a 10-90% range of
# roughly 0.25-0.75 (spread 0.85).
DEFAULT_MARGINALS: dict[str, TraitMarginal] = {
    name: TraitMarginal(median=0.5, spread=0.85) for name in TRAITS
}
DEFAULT_MARGINALS["self_efficacy"] = TraitMarginal(median=0.6, spread=0.85)
DEFAULT_MARGINALS["social_support"] = TraitMarginal(median=0.6, spread=0.85)
DEFAULT_MARGINALS["work_strain"] = TraitMarginal(median=0.35, spread=0.85)

# Correlations on the normal scale (documented with sources in docs/model.md).
DEFAULT_CORRELATIONS: dict[tuple[str, str], float] = {
    ("catastrophizing", "stress_reactivity"): 0.4,
    ("catastrophizing", "self_efficacy"): -0.4,
    ("catastrophizing", "pain_sensitivity"): 0.3,
    ("sleep_vulnerability", "stress_reactivity"): 0.3,
    ("social_support", "resources"): 0.3,
    ("work_strain", "resources"): -0.3,
    ("social_support", "catastrophizing"): -0.2,
    ("self_efficacy", "resources"): 0.2,
}


class Population(BaseModel):
    """A population of virtual patients: trait distribution and entry condition.

    Examples
    --------
    >>> from painsim.engine.population import chronic_low_back_pain
    >>> pop = chronic_low_back_pain()
    >>> pop.entry
    'chronic'
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = "population"
    entry: Literal["acute", "chronic"] = "chronic"
    marginals: dict[str, TraitMarginal] = Field(default_factory=lambda: dict(DEFAULT_MARGINALS))
    correlations: dict[str, float] = Field(
        default_factory=lambda: {f"{a}~{b}": r for (a, b), r in DEFAULT_CORRELATIONS.items()},
        description="pairwise correlations on the normal scale, keyed 'trait_a~trait_b'",
    )
    chronic_min_pain: float = Field(4.0, ge=0.0, le=10.0, description="entry pain (weekly mean)")
    chronic_min_days: int = Field(90, ge=7, le=3650, description="days of persistent pain")

    @field_validator("marginals")
    @classmethod
    def _known_traits(cls, marginals: dict[str, TraitMarginal]) -> dict[str, TraitMarginal]:
        unknown = sorted(set(marginals) - set(TRAITS))
        if unknown:
            raise ValueError(f"unknown trait(s) {unknown}; allowed: {list(TRAITS)}")
        return {**DEFAULT_MARGINALS, **marginals}

    @field_validator("correlations")
    @classmethod
    def _valid_pairs(cls, correlations: dict[str, float]) -> dict[str, float]:
        for pair, r in correlations.items():
            parts = pair.split("~")
            if len(parts) != 2 or any(p not in TRAITS for p in parts) or parts[0] == parts[1]:
                raise ValueError(
                    f"correlation key {pair!r} must be 'trait_a~trait_b' with two different "
                    f"traits from {list(TRAITS)}"
                )
            if not -1.0 < r < 1.0:
                raise ValueError(f"correlation {pair!r} = {r} must lie in (-1, 1)")
        return correlations

    @model_validator(mode="after")
    def _positive_definite(self) -> Population:
        try:
            np.linalg.cholesky(self.correlation_matrix())
        except np.linalg.LinAlgError:
            raise ValueError(
                "correlations: the trait correlations do not form a valid (positive definite) "
                "correlation matrix; weaken the strongest ones"
            ) from None
        return self

    def correlation_matrix(self) -> np.ndarray:
        """The full trait correlation matrix on the normal scale."""
        R = np.eye(len(TRAITS))
        for pair, r in self.correlations.items():
            a, b = (TRAITS.index(t) for t in pair.split("~"))
            R[a, b] = R[b, a] = r
        return R

    def draw_traits(self, ids: np.ndarray, seed: int) -> np.ndarray:
        """Traits (float32, traits x patients) of the patients with the given ids."""
        ids = np.asarray(ids, dtype=np.int64)
        z = np.empty((len(TRAITS), ids.size))
        for k in range(len(TRAITS)):
            a = rng.TRAITS_BASE + 2 * k
            z[k] = rng.normals_for(seed, ids, a, a + 1, 0)
        z = np.linalg.cholesky(self.correlation_matrix()) @ z
        med = np.array([self.marginals[t].median for t in TRAITS])[:, None]
        spread = np.array([self.marginals[t].spread for t in TRAITS])[:, None]
        return expit(logit(med) + spread * z).astype(np.float32)


def acute_episode() -> Population:
    """Adults at the first day of an acute episode of low back pain."""
    return Population(name="acute low back pain episode", entry="acute")


def chronic_low_back_pain() -> Population:
    """Adults with chronic low back pain: >= 4/10 for >= 3 months at entry."""
    return Population(name="chronic low back pain", entry="chronic")
