"""The ``[economics]`` table of a scenario: currency, price year, utilities, discounting,
other health care for back pain and productivity (docs/economics.md, docs/scenarios.md).

Every field has bounds; a bad value is refused when the scenario is validated, with the
field's path (e.g. ``economics.discount.costs``) and what is allowed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from painsim.economics.discounting import DEFAULT_COST_RATE, DEFAULT_EFFECT_RATE, MAX_RATE, DiscountMethod
from painsim.economics.utilities import (
    DEFAULT_MAPPING,
    MAPPINGS,
    ODI_PER_RMDQ,
    Conversion,
    check_utility_range,
    get_mapping,
)

#: The perspectives of a cost-effectiveness analysis, declared once (CLI, web, docs).
PERSPECTIVES: tuple[str, ...] = ("payer", "societal")
Perspective = Literal[PERSPECTIVES]  # type: ignore[valid-type]

_STRICT = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class UtilitySpec(BaseModel):
    """Which published mapping turns a patient-day's pain and disability into EQ-5D utility."""

    model_config = _STRICT

    mapping: str = Field(DEFAULT_MAPPING, description=f"one of: {', '.join(MAPPINGS)} (docs/economics.md)")
    coefficients: dict[str, float] = Field(default_factory=dict,
                                           description="coefficients replacing the mapping's defaults")
    odi_per_rmdq: float = Field(ODI_PER_RMDQ, gt=0.0, le=10.0,
                                description="ODI points (0-100) per RMDQ point (0-24); default 100/24")
    leg_pain_per_back_pain: float = Field(0.0, ge=0.0, le=1.0,
                                          description="leg pain NRS as a share of back pain (default 0: none)")

    @field_validator("mapping")
    @classmethod
    def _known(cls, name: str) -> str:
        get_mapping(name)
        return name

    @model_validator(mode="after")
    def _in_range(self) -> UtilitySpec:
        try:
            get_mapping(self.mapping).coefficients_for(self.coefficients)
            check_utility_range(self.mapping, self.coefficients, self.conversion)
        except ValueError as err:
            raise ValueError(f"coefficients: {err}") from None
        return self

    @property
    def conversion(self) -> Conversion:
        return Conversion(self.odi_per_rmdq, self.leg_pain_per_back_pain)


class DiscountSpec(BaseModel):
    """Yearly discount rates of costs and of QALYs (defaults: US Second Panel, 3% and 3%)."""

    model_config = _STRICT

    costs: float = Field(DEFAULT_COST_RATE, ge=0.0, le=MAX_RATE, description="yearly rate for costs (0-0.2)")
    effects: float = Field(DEFAULT_EFFECT_RATE, ge=0.0, le=MAX_RATE, description="yearly rate for QALYs (0-0.2)")
    method: DiscountMethod = Field("daily", description="'daily': each day at its own time; 'annual': yearly steps")


class HealthCareSpec(BaseModel):
    """Other health care for back pain, used on every day a patient is in pain
    (pain >= ``pain_threshold``): visits, medication and imaging (docs/economics.md, "Costs")."""

    model_config = _STRICT

    pain_threshold: float = Field(4.0, ge=0.0, le=10.0, description="NRS at or above which a day counts in pain")
    visits_per_year: float = Field(4.0, ge=0.0, le=366.0, description="physician visits per year in pain")
    visit_cost: float = Field(100.0, ge=0.0, le=1e6, description="cost of a visit")
    medication_cost_per_day: float = Field(0.5, ge=0.0, le=1e4, description="analgesics per day in pain")
    imaging_per_year: float = Field(0.1, ge=0.0, le=52.0, description="imaging studies per year in pain")
    imaging_cost: float = Field(400.0, ge=0.0, le=1e6, description="cost of an imaging study (lumbar MRI)")


class ProductivitySpec(BaseModel):
    """Productivity lost to disability (societal perspective), by the human-capital method:
    every working day at or above ``disability_threshold`` is a day of earnings lost."""

    model_config = _STRICT

    daily_wage: float = Field(228.6, ge=0.0, le=1e5, description="earnings per working day")
    employment_rate: float = Field(0.6, ge=0.0, le=1.0, description="share of patients in paid work")
    disability_threshold: float = Field(12.0, ge=0.0, le=24.0,
                                        description="RMDQ at or above which a working day is lost")
    working_days_per_week: float = Field(5.0, ge=0.0, le=7.0)


class EconomicsSpec(BaseModel):
    """Health economics of a scenario's arms (``painsim cea``)."""

    model_config = _STRICT

    currency: str = Field("USD", pattern=r"^[A-Z]{3}$", description="ISO 4217 code of every cost in the scenario")
    price_year: int = Field(2024, ge=1950, le=2100, description="the year the costs are priced in")
    perspective: Perspective = Field("payer", description="default perspective: 'payer' or 'societal'")
    utility: UtilitySpec = Field(default_factory=UtilitySpec)
    discount: DiscountSpec = Field(default_factory=DiscountSpec)
    health_care: HealthCareSpec = Field(default_factory=HealthCareSpec)
    productivity: ProductivitySpec = Field(default_factory=ProductivitySpec)
