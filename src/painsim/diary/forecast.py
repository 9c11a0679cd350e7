"""Forecasts from a fitted diary: each care plan's weekly pain, and which loops hold pain up.

The posterior particles are resampled to equally weighted ones with fresh ids (their own
futures), and the same particles are simulated under every plan and with each reinforcing
loop switched off (common random numbers: a difference between two plans or loops is the
care's or the loop's, not chance's). Days count from the day after the diary's last date.

Examples
--------
>>> from painsim.care import NO_CARE
>>> from painsim.diary.inference import fit_diary
>>> from painsim.diary.reading import diary_from_ratings
>>> fit = fit_diary(diary_from_ratings([6, 5, 6, 7, 6, 6, 5, 6]), particles=200, seed=3)
>>> out = forecast_plans(fit, {"no_care": NO_CARE}, weeks=4, particles=200)
>>> len(out["no_care"].fan["p50"])
4
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from painsim.diary.inference import DiaryFit, Particles, weighted_quantiles
from painsim.engine import LOOP_NAMES, Record

#: Weeks a forecast may cover.
MIN_WEEKS, MAX_WEEKS = 4, 26
#: The week of the improvement figure, and its size: weekly mean pain at least 30% below
#: the diary's last two weeks (a moderate, clinically important improvement: Dworkin et al.
#: 2008, IMMPACT).
IMPROVEMENT_WEEK = 12
IMPROVEMENT = 0.30
#: The fan chart's quantiles (percent); 10-90 is the 80% interval the validation checks.
FAN = (5, 10, 25, 50, 75, 90, 95)
#: Forecast particles by default: resampled from the posterior, shared by every plan.
FORECAST_PARTICLES = 2000
#: Weeks the loop knock-outs follow the particles (no care).
KNOCKOUT_WEEKS = 12


@dataclass(frozen=True)
class PlanForecast:
    """One plan's forecast: weekly pain fan (``p5`` ... ``p95`` and ``mean`` by week), the
    probability of a 30% improvement at week 12 over the diary's last two weeks, expected
    relief days and care cost (USD, undiscounted) per client over the horizon, and for a plan
    with visits the chance of responding to the course (not a non-responder: docs/care.md)."""

    plan: str
    weeks: list[int]
    fan: dict[str, list[float]]
    p_improvement: float
    relief_days: float
    cost: float
    sessions: int
    p_responder: float | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON."""
        return asdict(self)


def horizon_weeks(weeks: int, plans: Mapping[str, Any]) -> int:
    """Weeks to simulate: ``weeks``, at least :data:`IMPROVEMENT_WEEK`, and past every plan's
    last session."""
    last = 0
    for plan in plans.values():
        for treatment in plan.treatments():
            days = treatment.session_days()
            if days.size:
                last = max(last, int(days.max()) + 1)
    return max(weeks, IMPROVEMENT_WEEK, math.ceil(last / 7))


def forecast_cloud(fit: DiaryFit, particles: int = FORECAST_PARTICLES, seed: int | None = None) -> Particles:
    """Equally weighted copies of the posterior particles, with fresh ids."""
    cloud = fit.particles.copy()
    rng = np.random.default_rng([fit.seed if seed is None else seed, 29])
    cloud.resample(particles, rng)
    return cloud


def forecast_plans(fit: DiaryFit, plans: Mapping[str, Any], weeks: int = 12, particles: int = FORECAST_PARTICLES,
                   cloud: Particles | None = None) -> dict[str, PlanForecast]:
    """Forecast each plan (name -> CarePlan) for ``weeks`` weeks (4-26) from the fitted diary.

    Raises ValueError when ``weeks`` is out of range."""
    if not MIN_WEEKS <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must be {MIN_WEEKS} to {MAX_WEEKS}, got {weeks}")
    cloud = cloud if cloud is not None else forecast_cloud(fit, particles)
    days = 7 * horizon_weeks(weeks, plans)
    baseline = fit.diary.baseline(14)
    out = {}
    for name, plan in plans.items():
        out[name] = summarise(name, simulate_plan(cloud, plan, days), baseline, weeks)
    return out


@dataclass(frozen=True)
class PlanRun:
    """What the particles did under one plan: weekly mean reported pain (weeks x particles),
    relief days, cost, and whether each responded to the course (the engine's responder
    class is not ``non_responder``: relief after one of the first two sessions, docs/care.md;
    None without visits), and the plan's scheduled sessions."""

    pain: np.ndarray
    relief: np.ndarray
    cost: np.ndarray
    responded: np.ndarray | None
    sessions: int


def simulate_plan(cloud: Particles, plan: Any, days: int) -> PlanRun:
    """Simulate the particles of ``cloud`` (left unchanged) under ``plan`` for ``days`` days."""
    from painsim.economics.costs import billed_care_cost
    from painsim.engine import simulate
    from painsim.engine.levers import R_RELIEF
    from painsim.outcomes.care_outcomes import care_summary

    care = None if plan is None or plan.is_empty else plan
    visits = care is not None and any(t.visit for t in care.treatments())
    pains, reliefs, costs, responded, sessions = [], [], [], [], 0
    for k, group in enumerate(cloud.groups):
        result = simulate(group, days, Record.weekly("pain"), care=care, care_params=cloud.care_of(k))
        pains.append(result.trajectories["pain"])
        costs.append(billed_care_cost(result))
        reliefs.append(result.care_outcomes[R_RELIEF] if result.care_outcomes.shape[0]
                       else np.zeros(len(group)))
        if visits:
            responded.append(care_summary(result)["responder_class"].to_numpy() != "non_responder")
        sessions = int(result.care_program.n_sessions) if care is not None else 0
    return PlanRun(pain=np.concatenate(pains, axis=1), relief=np.concatenate(reliefs), cost=np.concatenate(costs),
                   responded=np.concatenate(responded) if visits else None, sessions=sessions)


def summarise(name: str, run: PlanRun, baseline: float, weeks: int) -> PlanForecast:
    """A :class:`PlanForecast` from a :class:`PlanRun`."""
    shown = run.pain[:weeks]
    fan = {f"p{q}": np.round(np.percentile(shown, q, axis=1), 3).tolist() for q in FAN}
    fan["mean"] = np.round(shown.mean(axis=1), 3).tolist()
    improved = run.pain[IMPROVEMENT_WEEK - 1] <= (1.0 - IMPROVEMENT) * baseline
    return PlanForecast(plan=name, weeks=list(range(1, weeks + 1)), fan=fan,
                        p_improvement=round(float(improved.mean()), 4), relief_days=round(float(run.relief.mean()), 2),
                        cost=round(float(run.cost.mean()), 2), sessions=run.sessions,
                        p_responder=None if run.responded is None else round(float(run.responded.mean()), 4))


def loop_knockouts(cloud: Particles, weeks: int = KNOCKOUT_WEEKS) -> list[dict[str, Any]]:
    """Which loops hold this client's pain up: per reinforcing loop, the drop in mean pain
    over ``weeks`` weeks (no care) when it is switched off, its 10/90% over the particles,
    and the share of particles whose pain drops by at least one point."""
    from painsim.engine import simulate
    from painsim.engine.loops import REINFORCING

    days = 7 * weeks

    def mean_pain(loops: dict[str, float] | None) -> np.ndarray:
        parts = [simulate(g, days, Record.summaries(), loops=loops).summaries[0] / days for g in cloud.groups]
        return np.concatenate(parts)

    base = mean_pain(None)
    rows = []
    for k, name in enumerate(LOOP_NAMES):
        drop = base - mean_pain({name: 0.0})
        w = np.full(drop.size, 1.0 / drop.size)
        p10, p90 = weighted_quantiles(drop, w, (0.1, 0.9))
        rows.append({"loop": name, "label": REINFORCING[k].label, "pain_drop": round(float(drop.mean()), 3),
                     "p10": round(p10, 3), "p90": round(p90, 3),
                     "share_drop_1": round(float(np.mean(drop >= 1.0)), 4)})
    return sorted(rows, key=lambda row: -row["pain_drop"])
