"""Discount factors for costs and QALYs counted per day.

Two schemes (``method`` of ``[economics.discount]``), day ``t`` counted from entry (day 0):

* ``"daily"`` (default): ``d(t) = (1 + r) ** (-t / 365.25)``, each day at its own time. It
  is the continuous discount ``exp(-rho t)`` with ``rho = ln(1 + r)`` per year, so a year
  discounted day by day loses the same share as one annual step at its end.
* ``"annual"``: ``d(t) = (1 + r) ** -floor(t / 365.25)``: the first year undiscounted, then one
  step a year (as many published models and spreadsheets do).

Default rates: 3% a year for costs and for effects, the US Second Panel on
Cost-Effectiveness in Health and Medicine (Sanders GD et al. JAMA 2016;316:1093-1103);
NICE's reference case uses 3.5% for both (NICE health technology evaluations manual, 2022).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

DAYS_PER_YEAR = 365.25
MAX_RATE = 0.20

DiscountMethod = Literal["daily", "annual"]
#: The discounting schemes, declared once (scenario validation, docs).
DISCOUNT_METHODS: tuple[str, ...] = ("daily", "annual")

#: Defaults: the US Second Panel (Sanders et al. 2016) for costs and effects alike.
DEFAULT_COST_RATE = 0.03
DEFAULT_EFFECT_RATE = 0.03


def check_rate(rate: float, field: str = "rate") -> float:
    """``rate`` when it is a finite yearly rate in 0-20%; ValueError naming ``field`` otherwise."""
    if not np.isfinite(rate) or not 0.0 <= rate <= MAX_RATE:
        raise ValueError(f"{field}: a yearly discount rate must lie in 0 to {MAX_RATE} (0-20%), given {rate!r}")
    return float(rate)


def discount_factors(days: np.ndarray | int, rate: float, method: DiscountMethod = "daily") -> np.ndarray:
    """Discount factor of each day in ``days`` (an array of days from entry, or a count
    ``n``: days 0..n-1) at yearly ``rate``.

    Examples
    --------
    >>> round(float(discount_factors(np.array([365.25]), 0.03)[0]), 6)
    0.970874
    """
    check_rate(rate)
    t = np.arange(days, dtype=np.float64) if np.ndim(days) == 0 else np.asarray(days, dtype=np.float64)
    years = t / DAYS_PER_YEAR
    if method == "annual":
        years = np.floor(years)
    elif method != "daily":
        raise ValueError(f"unknown discount method {method!r}; methods: {', '.join(DISCOUNT_METHODS)}")
    return (1.0 + rate) ** -years


def discounted_sum(values_per_day: np.ndarray, rate: float, method: DiscountMethod = "daily",
                   start_day: int = 0) -> np.ndarray:
    """Sum over days (axis 0) of ``values_per_day`` weighted by each day's discount factor;
    row 0 is day ``start_day`` from entry."""
    values = np.asarray(values_per_day, dtype=np.float64)
    factors = discount_factors(start_day + np.arange(values.shape[0]), rate, method)
    return np.tensordot(factors, values, axes=(0, 0))


def annuity_factor(n_days: int, rate: float, method: DiscountMethod = "daily") -> float:
    """Sum of the discount factors of days 0..n_days-1: what a constant 1 a day is worth.

    Closed form for ``"daily"``: ``(1 - v ** n) / (1 - v)`` with ``v = (1 + r) ** (-1/365.25)``
    (``n`` when ``r`` is 0)."""
    check_rate(rate)
    if rate == 0.0:
        return float(n_days)
    if method == "daily":
        v = (1.0 + rate) ** (-1.0 / DAYS_PER_YEAR)
        return float((1.0 - v ** n_days) / (1.0 - v))
    return float(discount_factors(n_days, rate, method).sum())
