"""Probabilistic sensitivity analysis (PSA): costs and QALYs of every arm under draws of the
uncertain parameters (docs/economics.md, "Uncertainty").

Each draw sets model, care and economic parameters from the distributions of
:data:`PSA_PARAMETERS` (or, for model and care parameters, from a calibration posterior:
:func:`with_posterior_draws`) and simulates every arm on the
same cohort with one follow-up seed for all arms (common random numbers within a draw; a
new seed per draw, so the patients' own chance varies between draws as it would between
cohorts of this size). The cohort is screened once, on the scenario's own parameters; a
draw changes the follow-up, as the sensitivity analysis does (docs/sensitivity.md).

Economic parameters (unit costs, wage, mapping coefficients) enter costs and QALYs
linearly, so they are applied to each draw's per-patient sums without simulating again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from painsim.economics.arms import Exposure, outcome, simulate_exposures
from painsim.economics.utilities import EQ5D_RANGE, get_mapping

if TYPE_CHECKING:
    from painsim.economics.spec import EconomicsSpec
    from painsim.engine import Cohort

_CALIBRATED = ("calibrated or assumed gain (docs/model.md, docs/care.md) with no posterior yet (issue 16): "
               "a coefficient of variation of {cv:.0%} says the fit pins it only roughly; log-normal keeps it "
               "positive with the calibrated value as its mean")
_COST = ("unit cost: gamma (positive, right-skewed; Briggs, Claxton & Sculpher 2006, Decision Modelling for "
         "Health Economic Evaluation, ch. 4) with the scenario's value as mean and CV {cv:.0%} (assumption)")


@dataclass(frozen=True)
class PsaParameter:
    """An uncertain parameter: where it lives, its group (for EVPPI), its distribution
    around the scenario's own value (the mean), and why."""

    name: str  # "model.<field>", "care.<field>", "economics.<table>.<field>" or "utility.<coefficient>"
    group: str
    distribution: str  # "lognormal", "gamma", "beta", "normal"
    spread: float  # CV (lognormal, gamma, beta) or SD as a share of |mean| (normal)
    reason: str


def _p(name: str, group: str, distribution: str, spread: float, reason: str) -> PsaParameter:
    return PsaParameter(name, group, distribution, spread, reason.format(cv=spread))


#: The PSA's parameters (declared once: the draws, EVPPI groups, docs/economics.md). The
#: mapping's coefficients are added per mapping by :func:`psa_parameters`.
PSA_PARAMETERS: tuple[PsaParameter, ...] = (
    _p("care.massage_nociception", "massage effect", "lognormal", 0.2, _CALIBRATED),
    _p("care.massage_guarding", "massage effect", "lognormal", 0.2, _CALIBRATED),
    _p("care.massage_inhibition", "massage effect", "lognormal", 0.2, _CALIBRATED),
    _p("care.massage_decay", "massage effect", "lognormal", 0.2, _CALIBRATED),
    _p("care.attend_base", "attendance", "lognormal", 0.15, _CALIBRATED),
    _p("model.reinjury_rate", "natural history", "lognormal", 0.25,
       "re-injury rate from cohort studies of recurrence (docs/model.md); CV {cv:.0%} for the spread between "
       "cohorts (assumption); log-normal keeps it positive"),
    _p("model.tissue_floor", "natural history", "lognormal", 0.2, _CALIBRATED),
    _p("economics.health_care.visit_cost", "other health care", "gamma", 0.2, _COST),
    _p("economics.health_care.imaging_cost", "other health care", "gamma", 0.3, _COST),
    _p("economics.health_care.medication_cost_per_day", "other health care", "gamma", 0.3, _COST),
    _p("economics.health_care.visits_per_year", "other health care", "gamma", 0.3,
       "resource use per year in pain: gamma, CV {cv:.0%} (assumption)"),
    _p("economics.productivity.daily_wage", "productivity", "gamma", 0.1, _COST),
    _p("economics.productivity.employment_rate", "productivity", "beta", 0.1,
       "a share: beta with the scenario's value as mean, CV {cv:.0%} (assumption)"),
)

_MAPPING_REASON = ("mapping coefficient: normal around the published value with SD {cv:.0%} of it (the abstract "
                   "gives no standard errors: assumption); the intercept is kept at or below 1")


def psa_parameters(spec: EconomicsSpec) -> tuple[PsaParameter, ...]:
    """Every parameter drawn for ``spec``: :data:`PSA_PARAMETERS` and the coefficients of its mapping."""
    mapping = get_mapping(spec.utility.mapping)
    coefs = [_p(f"utility.{name}", "utility mapping", "normal", 0.05 if name == "intercept" else 0.1,
                _MAPPING_REASON) for name in mapping.required]
    return (*PSA_PARAMETERS, *coefs)


def psa_groups(spec: EconomicsSpec) -> dict[str, list[str]]:
    """Parameter names by group, in declaration order (the EVPPI groups)."""
    groups: dict[str, list[str]] = {}
    for p in psa_parameters(spec):
        groups.setdefault(p.group, []).append(p.name)
    return groups


def with_posterior_draws(posterior_sets: pd.DataFrame, seed: int, spec: EconomicsSpec, model: Any,
                         care: Any) -> pd.DataFrame:
    """PSA draws whose model and care parameters come from a posterior: one row per row of
    ``posterior_sets`` (equally weighted parameter sets, columns named as the model or care
    field), every other PSA parameter (economic ones, and gains the posterior does not
    cover) drawn from its documented distribution as :func:`sample_parameters` does.

    >>> from painsim.care import CareParams
    >>> from painsim.economics.spec import EconomicsSpec
    >>> from painsim.engine import ModelParams
    >>> sets = pd.DataFrame({"massage_nociception": [0.2, 0.3]})
    >>> draws = with_posterior_draws(sets, 1, EconomicsSpec(), ModelParams(), CareParams())
    >>> draws["care.massage_nociception"].tolist()
    [0.2, 0.3]
    """
    draws = sample_parameters(len(posterior_sets), seed, spec, model, care)
    for name in posterior_sets.columns:
        where = "model" if name in type(model).model_fields else "care" if name in type(care).model_fields else None
        if where is None:
            raise ValueError(f"posterior parameter {name!r} is neither a model nor a care parameter")
        draws[f"{where}.{name}"] = posterior_sets[name].to_numpy(dtype=float)
    return draws


def _current(name: str, model: Any, care: Any, spec: EconomicsSpec) -> float:
    where, _, field = name.partition(".")
    if where == "model":
        return float(getattr(model, field))
    if where == "care":
        return float(getattr(care, field))
    if where == "utility":
        m = get_mapping(spec.utility.mapping)
        return float(m.coefficients_for(spec.utility.coefficients)[field])
    table, _, key = field.partition(".")
    return float(getattr(getattr(spec, table), key))


def _draw(p: PsaParameter, mean: float, rng: np.random.Generator, size: int) -> np.ndarray:
    if mean == 0.0:
        return np.zeros(size)
    if p.distribution == "lognormal":
        sigma = np.sqrt(np.log1p(p.spread**2))
        return rng.lognormal(np.log(mean) - sigma**2 / 2, sigma, size)
    if p.distribution == "gamma":
        shape = 1.0 / p.spread**2
        return rng.gamma(shape, mean / shape, size)
    if p.distribution == "beta":
        sd = p.spread * mean
        common = mean * (1 - mean) / sd**2 - 1
        return rng.beta(mean * common, (1 - mean) * common, size)
    return rng.normal(mean, p.spread * abs(mean), size)


def sample_parameters(n_draws: int, seed: int, spec: EconomicsSpec, model: Any, care: Any) -> pd.DataFrame:
    """``n_draws`` rows of parameter draws (one column per parameter of :func:`psa_parameters`),
    reproducible from ``seed``. Draws are kept inside each field's bounds."""
    rng = np.random.default_rng([int(seed), 0xEC0])
    columns: dict[str, np.ndarray] = {}
    for p in psa_parameters(spec):
        values = _draw(p, _current(p.name, model, care, spec), rng, n_draws)
        columns[p.name] = _within_bounds(p.name, values, model, care, spec)
    return pd.DataFrame(columns)


def _within_bounds(name: str, values: np.ndarray, model: Any, care: Any, spec: EconomicsSpec) -> np.ndarray:
    where, _, field = name.partition(".")
    if where == "utility":
        return np.minimum(values, EQ5D_RANGE[1]) if field == "intercept" else values
    owner = {"model": model, "care": care}.get(where)
    if owner is None:
        table, _, field = field.partition(".")
        owner = getattr(spec, table)
    low, high = -np.inf, np.inf
    for bound in type(owner).model_fields[field].metadata:
        low = max(low, getattr(bound, "ge", getattr(bound, "gt", -np.inf)))
        high = min(high, getattr(bound, "le", getattr(bound, "lt", np.inf)))
    return np.clip(values, low, high)


def apply_draw(values: Mapping[str, float], model: Any, care: Any, spec: EconomicsSpec) -> tuple[Any, Any, Any]:
    """The model parameters, care parameters and economics spec of one draw."""
    groups: dict[str, dict[str, float]] = {"model": {}, "care": {}, "utility": {}}
    tables: dict[str, dict[str, float]] = {}
    for name, value in values.items():
        where, _, field = name.partition(".")
        if where in groups:
            groups[where][field] = float(value)
        elif where == "economics":
            table, _, key = field.partition(".")
            tables.setdefault(table, {})[key] = float(value)
        else:
            raise ValueError(f"unknown PSA parameter {name!r}")
    model = type(model).model_validate({**model.model_dump(), **groups["model"]})
    care = type(care).model_validate({**care.model_dump(), **groups["care"]})
    update: dict[str, Any] = {t: {**getattr(spec, t).model_dump(), **v} for t, v in tables.items()}
    if groups["utility"]:
        update["utility"] = {**spec.utility.model_dump(),
                             "coefficients": {**spec.utility.coefficients, **groups["utility"]}}
    spec = type(spec).model_validate({**spec.model_dump(), **update})
    return model, care, spec


def draw_seed(seed: int, draw: int) -> int:
    """The follow-up seed of draw ``draw`` (the same for every arm of the draw)."""
    return int(np.random.SeedSequence([int(seed), 0xD2A, int(draw)]).generate_state(1, np.uint64)[0] >> np.uint64(1))


@dataclass
class PsaResult:
    """Mean discounted cost and QALYs per patient of each arm in each draw (draws x arms),
    with the parameters of each draw."""

    arms: tuple[str, ...]
    costs: np.ndarray
    qalys: np.ndarray
    parameters: pd.DataFrame
    perspective: str

    def to_frame(self) -> pd.DataFrame:
        """One row per (draw, arm): cost and QALYs, then the draw's parameters."""
        draws, k = self.costs.shape
        frame = pd.DataFrame({"draw": np.repeat(np.arange(draws), k), "arm": np.tile(self.arms, draws),
                              "cost": self.costs.reshape(-1), "qalys": self.qalys.reshape(-1)})
        params = self.parameters.loc[frame["draw"]].reset_index(drop=True)
        return pd.concat([frame, params], axis=1)


def run_psa(cohort: Cohort, horizon_days: int, arms: Mapping[str, Any], spec: EconomicsSpec, *,
            model: Any, care_params: Any, perspective: str, n_draws: int, seed: int,
            draws: pd.DataFrame | None = None, n_jobs: int = 1,
            progress: Callable[[int, int], None] | None = None) -> PsaResult:
    """Simulate ``n_draws`` draws (or the rows of ``draws``, e.g. a posterior's) of every arm.

    ``progress(done, total)`` is called after every draw (an exception it raises stops the PSA).
    """
    parameters = sample_parameters(n_draws, seed, spec, model, care_params) if draws is None \
        else draws.reset_index(drop=True)
    names = tuple(arms)
    costs = np.zeros((len(parameters), len(names)))
    qalys = np.zeros_like(costs)
    for i, row in parameters.iterrows():
        model_i, care_i, spec_i = apply_draw(row.to_dict(), model, care_params, spec)
        exposures = simulate_exposures(replace(cohort, params=model_i), horizon_days, dict(arms), spec_i,
                                       care_params=care_i, seed=draw_seed(seed, int(i)), n_jobs=n_jobs)
        costs[i], qalys[i] = _arm_means(exposures, names, spec_i, perspective)
        if progress is not None:
            progress(int(i) + 1, len(parameters))
    return PsaResult(arms=names, costs=costs, qalys=qalys, parameters=parameters, perspective=perspective)


def _arm_means(exposures: Mapping[str, Exposure], names: Sequence[str], spec: EconomicsSpec,
               perspective: str) -> tuple[np.ndarray, np.ndarray]:
    costs, qalys = [], []
    for name in names:
        out = outcome(exposures[name], spec)
        costs.append(out.total_cost(perspective).mean())
        qalys.append(out.qalys.mean())
    return np.array(costs), np.array(qalys)
