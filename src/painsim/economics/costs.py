"""Costs per patient by perspective (docs/economics.md, "Costs").

* **care**: what painsim's care plans bill, per session and per module (the kernel's
  ``cost`` record: each attended session of a treatment at its ``cost_per_session``, a
  week of sleep and stress care at ``cost_per_week``); discounted on each session's day;
* **other health care for back pain**: physician visits, analgesics and imaging on every
  day in pain (``[economics.health_care]``);
* **productivity** (societal perspective only): the human-capital method, each working
  day lost to disability valued at a day's earnings (``[economics.productivity]``).

The payer perspective counts care and other health care; the societal one adds
productivity. Costs are in the scenario's ``economics.currency`` at its ``price_year``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from painsim.economics.discounting import DAYS_PER_YEAR, DiscountMethod, discount_factors
from painsim.engine.levers import R_COST, R_SESSIONS

if TYPE_CHECKING:
    from painsim.economics.spec import HealthCareSpec, ProductivitySpec
    from painsim.engine.result import SimulationResult

#: Cost components, and the perspectives that count each one (declared once).
COMPONENTS: tuple[str, ...] = ("care", "health_care", "productivity")
PERSPECTIVE_COMPONENTS: dict[str, tuple[str, ...]] = {
    "payer": ("care", "health_care"),
    "societal": ("care", "health_care", "productivity"),
}


def care_costs_by_module(result: SimulationResult, rate: float, method: DiscountMethod = "daily"
                         ) -> dict[str, np.ndarray]:
    """Discounted care cost per patient of each treatment of the arm (module name -> array).

    A visit treatment (massage, sham) is discounted on the day of each session attended.
    For the others the kernel counts sessions done, not their days: the k sessions done are
    discounted as the first k scheduled (exact when a patient stops coming; when sessions
    are skipped at random, e.g. exercise adherence, later sessions are discounted a little
    too little). Without care: an empty dict.
    """
    program = result.care_program
    out: dict[str, np.ndarray] = {}
    if program.is_empty:
        return out
    start = result.start_day
    for j, channel in enumerate(program.channels):
        days = start + np.asarray(channel.session_days, dtype=np.float64)
        factors = discount_factors(days, rate, method)
        if j == program.visit_channel and result.session_relief.size:
            attended = result.session_relief >= 0  # sessions x patients
            out[channel.name] = channel.cost * (factors @ attended)
        else:
            done = result.care_outcomes[R_SESSIONS + j].astype(np.int64)
            cumulative = np.concatenate([[0.0], np.cumsum(factors)])
            out[channel.name] = channel.cost * cumulative[np.clip(done, 0, factors.size)]
    return out


def billed_care_cost(result: SimulationResult) -> np.ndarray:
    """Undiscounted care cost per patient as the kernel billed it (zeros without care)."""
    if result.care_outcomes.shape[0] == 0:
        return np.zeros(len(result.cohort))
    return result.care_outcomes[R_COST].astype(np.float64)


def health_care_cost_per_day(spec: HealthCareSpec) -> float:
    """Cost of other health care for back pain per day in pain."""
    return (spec.visits_per_year * spec.visit_cost + spec.imaging_per_year * spec.imaging_cost) / DAYS_PER_YEAR \
        + spec.medication_cost_per_day


def productivity_cost_per_disabled_day(spec: ProductivitySpec) -> float:
    """Earnings lost per calendar day at or above the disability threshold: a day's wage on
    the share of days that are working days, for the share of patients in paid work."""
    return spec.daily_wage * spec.employment_rate * spec.working_days_per_week / 7.0


def perspective_total(components: dict[str, np.ndarray], perspective: str) -> np.ndarray:
    """Sum of the components a perspective counts."""
    try:
        names = PERSPECTIVE_COMPONENTS[perspective]
    except KeyError:
        raise ValueError(f"unknown perspective {perspective!r}; perspectives: "
                         f"{', '.join(PERSPECTIVE_COMPONENTS)}") from None
    return sum((np.asarray(components[c], dtype=np.float64) for c in names), np.zeros(()))
