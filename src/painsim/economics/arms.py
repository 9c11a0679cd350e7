"""Discounted costs and QALYs per patient and per arm of a scenario.

An arm is simulated with every day of pain and disability recorded for every patient. From
those days each patient's *exposures* are summed once: discounted days, discounted sums of
pain and of disability (effects' rate), discounted days in pain and days disabled (costs'
rate), and discounted care costs by module. Every mapping and every unit cost is linear in
these sums, so costs and QALYs for any unit costs or mapping coefficients (the economic
parameters of a PSA draw) are had without simulating again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from painsim.economics.costs import (
    billed_care_cost,
    care_costs_by_module,
    health_care_cost_per_day,
    perspective_total,
    productivity_cost_per_disabled_day,
)
from painsim.economics.discounting import DAYS_PER_YEAR, discount_factors
from painsim.economics.utilities import linear_terms

if TYPE_CHECKING:
    from painsim.economics.spec import EconomicsSpec
    from painsim.engine import Cohort, SimulationResult

#: What an economic evaluation records of each arm: every day of these, for every patient.
RECORDED = ("pain", "disability")
#: Patients whose days are summed at once (bounds the float64 copies to ~12 MiB a variable at 730 days).
CHUNK_PATIENTS = 2048


@dataclass
class Exposure:
    """One arm's per-patient sums (arrays of one value per patient). ``*_0``: undiscounted."""

    days: float  # discounted days (effects' rate): the same for everyone
    pain: np.ndarray  # sum over days of d_e(t) x pain
    disability: np.ndarray  # sum over days of d_e(t) x RMDQ
    days_in_pain: np.ndarray  # sum of d_c(t) over days with pain >= health_care.pain_threshold
    days_disabled: np.ndarray  # sum of d_c(t) over days with RMDQ >= productivity.disability_threshold
    care: dict[str, np.ndarray]  # discounted care cost by module
    days_0: float = 0.0
    pain_0: np.ndarray = field(default_factory=lambda: np.zeros(0))
    disability_0: np.ndarray = field(default_factory=lambda: np.zeros(0))
    days_in_pain_0: np.ndarray = field(default_factory=lambda: np.zeros(0))
    days_disabled_0: np.ndarray = field(default_factory=lambda: np.zeros(0))
    care_0: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def n(self) -> int:
        return int(self.pain.size)


def exposure(result: SimulationResult, spec: EconomicsSpec) -> Exposure:
    """The per-patient sums of one simulated arm (recorded daily for every patient)."""
    if result.every != 1 or result.recorded.size != len(result.cohort) or \
            any(v not in result.trajectories for v in RECORDED):
        raise ValueError("an economic evaluation needs every day of pain and disability of every patient "
                         "(Record.daily('pain', 'disability'))")
    pain_all, dis_all = result.trajectories["pain"], result.trajectories["disability"]  # float32, days x patients
    days = result.start_day + np.arange(pain_all.shape[0])
    rates = spec.discount
    d_e = discount_factors(days, rates.effects, rates.method)
    d_c = discount_factors(days, rates.costs, rates.method)
    sums = {k: np.empty(pain_all.shape[1]) for k in ("pain", "dis", "in_pain", "disabled", "pain_0", "dis_0",
                                                     "in_pain_0", "disabled_0")}
    for a in range(0, pain_all.shape[1], CHUNK_PATIENTS):  # float64 copies of a block of patients at a time
        b = min(a + CHUNK_PATIENTS, pain_all.shape[1])
        pain, dis = pain_all[:, a:b].astype(np.float64), dis_all[:, a:b].astype(np.float64)
        in_pain = (pain >= spec.health_care.pain_threshold).astype(np.float64)
        disabled = (dis >= spec.productivity.disability_threshold).astype(np.float64)
        for key, weights, values in (("pain", d_e, pain), ("dis", d_e, dis), ("in_pain", d_c, in_pain),
                                     ("disabled", d_c, disabled)):
            sums[key][a:b] = weights @ values
            sums[f"{key}_0"][a:b] = values.sum(axis=0)
    return Exposure(
        days=float(d_e.sum()), pain=sums["pain"], disability=sums["dis"], days_in_pain=sums["in_pain"],
        days_disabled=sums["disabled"], care=care_costs_by_module(result, rates.costs, rates.method),
        days_0=float(pain_all.shape[0]), pain_0=sums["pain_0"], disability_0=sums["dis_0"],
        days_in_pain_0=sums["in_pain_0"], days_disabled_0=sums["disabled_0"], care_0=billed_care_cost(result),
    )


@dataclass
class ArmOutcome:
    """Per-patient discounted QALYs and costs (by component) of one arm."""

    qalys: np.ndarray
    costs: dict[str, np.ndarray]  # component -> per patient
    care_by_module: dict[str, np.ndarray]

    def total_cost(self, perspective: str) -> np.ndarray:
        return perspective_total(self.costs, perspective)


def outcome(exp: Exposure, spec: EconomicsSpec, discounted: bool = True) -> ArmOutcome:
    """QALYs and costs per patient of an arm's exposures under ``spec`` (its mapping, unit
    costs and wages); ``discounted=False`` gives the undiscounted totals."""
    u = spec.utility
    a, b, c = linear_terms(u.mapping, u.coefficients, u.conversion)
    if discounted:
        days, pain, dis, in_pain, disabled = exp.days, exp.pain, exp.disability, exp.days_in_pain, exp.days_disabled
        care_modules = exp.care
        care = sum(care_modules.values(), np.zeros(exp.n))
    else:
        days, pain, dis, in_pain, disabled = (exp.days_0, exp.pain_0, exp.disability_0, exp.days_in_pain_0,
                                              exp.days_disabled_0)
        care_modules = {}
        care = exp.care_0
    qalys = (a * days + b * dis + c * pain) / DAYS_PER_YEAR
    costs = {
        "care": np.asarray(care, dtype=np.float64),
        "health_care": in_pain * health_care_cost_per_day(spec.health_care),
        "productivity": disabled * productivity_cost_per_disabled_day(spec.productivity),
    }
    return ArmOutcome(qalys=np.asarray(qalys, dtype=np.float64), costs=costs, care_by_module=care_modules)


def simulate_exposures(cohort: Cohort, horizon_days: int, arms: dict[str, Any], spec: EconomicsSpec, *,
                       care_params: Any = None, seed: int | None = None, n_jobs: int = 1,
                       progress: Any = None) -> dict[str, Exposure]:
    """Simulate every arm (name -> care plan) on ``cohort`` with common random numbers (one
    seed for all arms: ``seed``, default the cohort's) and sum each arm's exposures.

    Arms are simulated one after another so that only one arm's days are held at a time.
    ``progress(arm, done, total)`` is called after each arm.
    """
    from painsim.engine import Record, simulate

    if seed is not None:
        cohort = replace(cohort, seed=int(seed))
    record = Record.daily(*RECORDED)
    out: dict[str, Exposure] = {}
    for k, (name, plan) in enumerate(arms.items()):
        result = simulate(cohort, horizon_days, record, n_jobs=n_jobs, care=plan, care_params=care_params)
        out[name] = exposure(result, spec)
        del result
        if progress is not None:
            progress(name, k + 1, len(arms))
    return out


def recording_bytes(n: int, horizon_days: int) -> int:
    """Bytes of one arm's daily recording of :data:`RECORDED` for ``n`` patients."""
    return 4 * len(RECORDED) * n * horizon_days
