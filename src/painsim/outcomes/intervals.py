"""Credible intervals of an answer over posterior draws, with Monte Carlo noise taken out.

Each posterior draw is simulated as two independent half cohorts (``a``, ``b``); the draw's
value of a quantity is their mean ``x = (a + b) / 2``. Across the ``D`` draws the variance
of ``x`` is the parameter variance plus the Monte Carlo variance of a cohort of that size:

    Var(x) = V_par + V_mc,        V_mc = E[(a - b)^2] / 4

(the two halves share the parameters and differ only by chance, so their difference has
variance ``2 Var(half)`` and the mean of two halves ``Var(half) / 2``). ``V_par`` is
estimated by ``max(Var(x) - mean((a - b)^2 / 4), 0)``: the analysis of variance that
O'Hagan, Stevenson & Madan (2007, Health Econ 16:1009) give for the probabilistic
sensitivity analysis of patient-level models, here with two groups per draw. The 95%
interval of the parameter uncertainty comes from the draws shrunk toward their mean by
``sqrt(V_par / Var(x))``: our choice, which removes the noise's share of the spread and
keeps the draws' skew. The mean's own Monte Carlo error over the
draws is ``sqrt(Var(x) / D)``.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> theta = rng.normal(0, 1, 400)                       # parameter effect of each draw
>>> a, b = theta + rng.normal(0, 1, 400), theta + rng.normal(0, 1, 400)
>>> row = decompose(a[:, None], b[:, None], ["q"]).iloc[0]
>>> bool(0.8 < row.sd_parameter < 1.2), bool(0.55 < row.sd_monte_carlo < 0.85)
(True, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

#: Columns of an interval table, in order (docs/calibration.md, "Uncertainty in every answer").
INTERVAL_COLUMNS = ("mean", "low", "high", "sd_parameter", "sd_monte_carlo", "se_mean", "draws")


def flatten_numbers(summary: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Every number of a nested summary as ``{"key.sub": value}`` (None as NaN; text and
    booleans dropped): the quantities an interval is computed for.

    >>> flatten_numbers({"pain_mean": {"0": 6.1, "70": 4.2}, "n": 500, "name": "x", "cost": None})
    {'pain_mean.0': 6.1, 'pain_mean.70': 4.2, 'n': 500.0, 'cost': nan}
    """
    out: dict[str, float] = {}
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten_numbers(value, f"{name}."))
        elif value is None:
            out[name] = float("nan")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[name] = float(value)
    return out


def decompose(half_a: np.ndarray, half_b: np.ndarray, quantities: Sequence[str], level: float = 0.95) -> pd.DataFrame:
    """Per quantity (columns of the draws x quantities arrays of the two half cohorts): the
    posterior mean, the ``level`` interval of parameter uncertainty, the parameter and Monte
    Carlo SDs of one draw's cohort, and the Monte Carlo SE of the mean (see the module)."""
    half_a, half_b = np.asarray(half_a, dtype=float), np.asarray(half_b, dtype=float)
    if half_a.shape != half_b.shape or half_a.shape[1] != len(quantities):
        raise ValueError(f"half cohorts of shapes {half_a.shape} and {half_b.shape} for {len(quantities)} quantities")
    rows = [_interval(half_a[:, k], half_b[:, k], level) for k in range(len(quantities))]
    return pd.DataFrame(rows, index=pd.Index(list(quantities), name="quantity"), columns=list(INTERVAL_COLUMNS))


def _interval(a: np.ndarray, b: np.ndarray, level: float) -> tuple[float, ...]:
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    if a.size == 0:
        return (np.nan,) * (len(INTERVAL_COLUMNS) - 1) + (0,)
    x = (a + b) / 2
    mean = float(x.mean())
    if a.size < 2:
        return mean, mean, mean, np.nan, np.nan, np.nan, 1
    total = float(x.var(ddof=1))
    noise = float(np.mean((a - b) ** 2) / 4)
    parameter = max(total - noise, 0.0)
    shrink = np.sqrt(parameter / total) if total > 0 else 0.0
    low, high = np.quantile(mean + (x - mean) * shrink, [(1 - level) / 2, (1 + level) / 2])
    return mean, float(low), float(high), np.sqrt(parameter), np.sqrt(noise), np.sqrt(total / a.size), int(a.size)
