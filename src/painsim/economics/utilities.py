"""EQ-5D utility of a patient-day from painsim's pain (0-10 NRS) and disability (RMDQ-like, 0-24).

Every mapping is declared once, in :data:`MAPPINGS`: its inputs, coefficients, population,
fit and source. Scenario validation, ``painsim cea --help``, the web app and
docs/economics.md read this table.

painsim has back-pain NRS and an RMDQ-like disability score, but no Oswestry Disability
Index (ODI) and no leg pain. The ODI-based mapping therefore needs two conversions, both
scenario fields with stated defaults (docs/economics.md, "Utilities"):

* ODI (0-100) = ``odi_per_rmdq`` x RMDQ (default 100/24: the same fraction of the scale's
  maximum; no published one-to-one RMDQ-to-ODI conversion was found that holds, e.g. the
  two "cannot be used interchangeably" after lumbar fusion, J Back Musculoskelet Rehabil
  2021, doi 10.3233/BMR-200206);
* leg pain NRS = ``leg_pain_per_back_pain`` x back pain (default 0: painsim's patients have
  non-specific low back pain without radiating leg pain).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

#: The widest range of an EQ-5D-3L index: the UK value set (Dolan 1997, Med Care 35:1095)
#: reaches -0.594; full health is 1. A mapping that can leave it is refused.
EQ5D_RANGE = (-0.594, 1.0)

PAIN_RANGE = (0.0, 10.0)
DISABILITY_RANGE = (0.0, 24.0)

#: RMDQ (0-24) to ODI (0-100) at the same fraction of each scale's maximum.
ODI_PER_RMDQ = 100.0 / 24.0


@dataclass(frozen=True)
class Conversion:
    """How painsim's outputs stand in for the inputs a mapping was fitted on."""

    odi_per_rmdq: float = ODI_PER_RMDQ
    leg_pain_per_back_pain: float = 0.0


#: ``terms(coefficients, conversion) -> (a, b, c)``: utility = a + b x RMDQ + c x back pain. Every
#: mapping is linear in painsim's two outputs, so a patient's QALYs follow from sums of pain and
#: disability over days, and the extremes of a mapping are at the corners of their ranges.
Terms = Callable[[Mapping[str, float], Conversion], tuple[float, float, float]]


@dataclass(frozen=True)
class UtilityMapping:
    """A published (or user-given) mapping from pain and disability to an EQ-5D index."""

    name: str
    label: str
    formula_text: str
    coefficients: dict[str, float]  # defaults; empty: the scenario must give every one
    required: tuple[str, ...]
    population: str
    fit: str
    source: str
    terms: Terms
    uses_conversion: bool

    def coefficients_for(self, given: Mapping[str, float]) -> dict[str, float]:
        """The defaults updated with ``given``; ValueError naming unknown or missing keys."""
        unknown = sorted(set(given) - set(self.required))
        if unknown:
            raise ValueError(f"mapping {self.name!r} has no coefficient(s) {', '.join(unknown)}; "
                             f"its coefficients: {', '.join(self.required)}")
        merged = {**self.coefficients, **given}
        missing = [k for k in self.required if k not in merged]
        if missing:
            raise ValueError(f"mapping {self.name!r} needs coefficient(s) {', '.join(missing)} "
                             "(it has no published defaults in painsim: give them in the scenario)")
        return merged


def _carreon(c: Mapping[str, float], conv: Conversion) -> tuple[float, float, float]:
    # ODI = odi_per_rmdq x RMDQ; leg NRS = leg_pain_per_back_pain x back NRS
    return (c["intercept"], c["odi"] * conv.odi_per_rmdq,
            c["back_pain"] + c["leg_pain"] * conv.leg_pain_per_back_pain)


def _linear(c: Mapping[str, float], conv: Conversion) -> tuple[float, float, float]:
    return c["intercept"], c["rmdq"], c["back_pain"]


MAPPINGS: dict[str, UtilityMapping] = {
    m.name: m
    for m in (
        UtilityMapping(
            name="carreon_odi_nrs",
            label="Carreon et al.: EQ-5D from ODI, leg and back pain NRS",
            formula_text="EQ-5D = 0.97711 - 0.00687 ODI - 0.01488 leg NRS - 0.01008 back NRS",
            coefficients={"intercept": 0.97711, "odi": -0.00687, "leg_pain": -0.01488, "back_pain": -0.01008},
            required=("intercept", "odi", "leg_pain", "back_pain"),
            population="14,544 clinic patients with lumbar degenerative disorders (mean age 53, 41% men); "
                       "observed EQ-5D 0.553 (SD 0.238)",
            fit="R2 0.61, RMSE 0.149 (ODI alone: R2 0.57)",
            source="Carreon LY, Bratcher KR, Das N, Nienhuis JB, Glassman SD: Estimating EQ-5D values "
                   "from the Oswestry Disability Index and numeric rating scales for back and leg pain "
                   "(abstract checked: coefficients, n, fit; journal volume and pages not checked here)",
            terms=_carreon, uses_conversion=True),
        UtilityMapping(
            name="linear_rmdq_nrs",
            label="Linear in RMDQ and back pain NRS, coefficients given in the scenario",
            formula_text="EQ-5D = intercept + rmdq x RMDQ + back_pain x back NRS",
            coefficients={},
            required=("intercept", "rmdq", "back_pain"),
            population="the one of the coefficients you give, e.g. the BOLD registry's adults >= 65 "
                       "(5,224; predictors age, RMDQ, back NRS: put age x its coefficient in the intercept)",
            fit="BOLD model: R2 > 0.41, MAE < 0.119 (PMID 24829274)",
            source="the form of the BOLD mapping (PMID 24829274); its coefficients are in the paper and "
                   "were not verified for painsim, so none are built in",
            terms=_linear, uses_conversion=False),
    )
}

DEFAULT_MAPPING = "carreon_odi_nrs"


def get_mapping(name: str) -> UtilityMapping:
    """The mapping called ``name``; ValueError listing the mappings otherwise."""
    try:
        return MAPPINGS[name]
    except KeyError:
        raise ValueError(f"unknown utility mapping {name!r}; mappings: {', '.join(MAPPINGS)}") from None


def utility(pain: np.ndarray | float, disability: np.ndarray | float, mapping: str = DEFAULT_MAPPING,
            coefficients: Mapping[str, float] | None = None, conversion: Conversion | None = None) -> np.ndarray:
    """EQ-5D index of each (pain, disability): pain on the 0-10 NRS, disability on 0-24.

    Examples
    --------
    >>> float(utility(0.0, 0.0))
    0.97711
    """
    a, b, c = linear_terms(mapping, coefficients, conversion)
    return a + b * np.asarray(disability, dtype=np.float64) + c * np.asarray(pain, dtype=np.float64)


def linear_terms(mapping: str = DEFAULT_MAPPING, coefficients: Mapping[str, float] | None = None,
                 conversion: Conversion | None = None) -> tuple[float, float, float]:
    """``(a, b, c)`` of the mapping: utility = a + b x RMDQ + c x back-pain NRS."""
    m = get_mapping(mapping)
    return m.terms(m.coefficients_for(coefficients or {}), conversion or Conversion())


def utility_bounds(mapping: str, coefficients: Mapping[str, float] | None = None,
                   conversion: Conversion | None = None) -> tuple[float, float]:
    """Lowest and highest utility the mapping gives over painsim's whole range of pain and
    disability (every mapping here is linear, so the extremes are at the corners)."""
    corners_pain = np.array([PAIN_RANGE[0], PAIN_RANGE[0], PAIN_RANGE[1], PAIN_RANGE[1]])
    corners_dis = np.array([DISABILITY_RANGE[0], DISABILITY_RANGE[1], DISABILITY_RANGE[0], DISABILITY_RANGE[1]])
    values = utility(corners_pain, corners_dis, mapping, coefficients, conversion)
    return float(values.min()), float(values.max())


def check_utility_range(mapping: str, coefficients: Mapping[str, float] | None = None,
                        conversion: Conversion | None = None) -> None:
    """ValueError when the mapping gives a utility outside :data:`EQ5D_RANGE` anywhere in
    painsim's range of pain (0-10) and disability (0-24), or a non-finite one."""
    low, high = utility_bounds(mapping, coefficients, conversion)
    lo, hi = EQ5D_RANGE
    if not (np.isfinite(low) and np.isfinite(high)) or low < lo - 1e-12 or high > hi + 1e-12:
        raise ValueError(f"mapping {mapping!r} with these coefficients gives utilities from {low:.4g} to "
                         f"{high:.4g} over pain 0-10 and disability 0-24; an EQ-5D index must lie in "
                         f"{lo} to {hi}")
