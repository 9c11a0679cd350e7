"""Validation of the diary fit on synthetic clients the fit has never seen.

A synthetic client is a virtual patient of the population, drawn with a seed of its own
(never the fit's), who keeps a diary of ``diary_days`` days (the engine's reported pain,
rounded to whole points as a client writes it) and then lives on under a care plan; the
fit sees only the diary and is scored against what the client's pain then did (weekly mean
reported pain). docs/diary.md gives the numbers; ``benchmarks/diary_validation.py`` the
full run, ``tests/diary/test_diary_validation.py`` a small one with fixed seeds.

Examples
--------
>>> from painsim.care import NO_CARE
>>> clients = synthetic_clients(3, seed=101, diary_days=14, plans={"no_care": NO_CARE}, weeks=4)
>>> clients.truth["no_care"].shape, len(clients.diaries)
((4, 3), 3)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from painsim.diary.forecast import IMPROVEMENT, IMPROVEMENT_WEEK, forecast_cloud, simulate_plan
from painsim.diary.inference import Particles, fit_diary, prior_particles
from painsim.diary.reading import Diary, diary_from_ratings
from painsim.engine import Cohort, Population, Record, simulate

#: The weeks after the diary at which forecasts are scored.
SCORED_WEEKS = (1, 4, 12)


@dataclass(frozen=True)
class SyntheticClients:
    """Diaries of synthetic clients and, per plan, their later weekly pain (weeks x clients)
    and, for a plan with visits, whether each responded to the course (1) or not (0)."""

    diaries: list[Diary]
    truth: dict[str, np.ndarray]
    responded: dict[str, np.ndarray]


def synthetic_clients(n: int, seed: int, diary_days: int, plans: Mapping[str, Any], weeks: int = 12,
                      population: Population | str = "chronic") -> SyntheticClients:
    """``n`` clients of ``population`` (seed ``seed``): a diary of ``diary_days`` days without
    care, then ``weeks`` weeks under each plan (the same clients, the same life events)."""
    cohort = Cohort.build(population, n=n, seed=seed)
    diary_run = simulate(cohort, diary_days, Record.daily("pain"))
    ratings = np.round(diary_run.trajectories["pain"].astype(np.float64))  # days x clients
    diaries = [diary_from_ratings(ratings[:, j], name=f"client {j}") for j in range(n)]
    truth, responded = {}, {}
    cloud = Particles(groups=[diary_run.cohort], weights=np.full(n, 1.0 / n))
    for name, plan in plans.items():
        run = simulate_plan(cloud, plan, 7 * weeks)
        truth[name] = run.pain.astype(np.float64)
        if run.responded is not None:
            responded[name] = run.responded.astype(int)
    return SyntheticClients(diaries=diaries, truth=truth, responded=responded)


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties count a half); NaN without both classes.

    Examples
    --------
    >>> auc(np.array([0.9, 0.8, 0.2, 0.1]), np.array([1, 1, 0, 0]))
    1.0
    """
    pos, neg = scores[labels == 1], scores[labels == 0]
    if not pos.size or not neg.size:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (pos.size * neg.size))


def validate(n: int, *, seed: int = 101, fit_seed: int = 1, diary_days: int = 28, plans: Mapping[str, Any],
             response_plan: str, particles: int = 2000, forecast_particles: int = 1000,
             population: Population | str = "chronic", weeks: int = IMPROVEMENT_WEEK,
             prior: Particles | None = None) -> dict[str, Any]:
    """Fit ``n`` synthetic clients' diaries and score the forecasts against their later pain.

    Returns per plan the coverage of the 80% interval (10-90%) and the MAE of the median
    forecast and of persistence (the diary's last two weeks' mean) at weeks 1, 4 and 12; and
    for ``response_plan`` (a plan with visits) two AUCs, fitted and population-only (the
    prior carried through the diary's days without its ratings): of the predicted chance of
    a 30% improvement at week 12 over the client's baseline, and of the predicted chance of
    responding to the course (the engine's responder class, docs/care.md)."""
    clients = synthetic_clients(n, seed, diary_days, plans, weeks, population)
    prior = prior if prior is not None else prior_particles(particles, fit_seed, population)
    days = 7 * weeks
    coverage = {p: {w: [] for w in SCORED_WEEKS} for p in plans}
    err_model = {p: {w: [] for w in SCORED_WEEKS} for p in plans}
    err_persist = {p: {w: [] for w in SCORED_WEEKS} for p in plans}
    p_fit, p_pop, responded, ess = [], [], [], []
    r_fit, r_pop = [], []
    for j, diary in enumerate(clients.diaries):
        baseline = diary.baseline(14)
        fit = fit_diary(diary, seed=fit_seed + 1000 * j, prior=prior)
        ess.append(fit.min_ess)
        cloud = forecast_cloud(fit, forecast_particles)
        for name, plan in plans.items():
            run = simulate_plan(cloud, plan, days)
            pain = run.pain
            truth = clients.truth[name][:, j]
            for w in SCORED_WEEKS:
                lo, mid, hi = np.percentile(pain[w - 1], (10, 50, 90))
                coverage[name][w].append(lo <= truth[w - 1] <= hi)
                err_model[name][w].append(abs(mid - truth[w - 1]))
                err_persist[name][w].append(abs(baseline - truth[w - 1]))
            if name == response_plan:
                p_fit.append(float(np.mean(pain[IMPROVEMENT_WEEK - 1] <= (1 - IMPROVEMENT) * baseline)))
                responded.append(int(truth[IMPROVEMENT_WEEK - 1] <= (1 - IMPROVEMENT) * baseline))
                r_fit.append(float(run.responded.mean()))
        population_only = fit_diary(diary, seed=fit_seed + 1000 * j, prior=prior, condition=False)
        pop = simulate_plan(forecast_cloud(population_only, forecast_particles), plans[response_plan], days)
        p_pop.append(float(np.mean(pop.pain[IMPROVEMENT_WEEK - 1] <= (1 - IMPROVEMENT) * baseline)))
        r_pop.append(float(pop.responded.mean()))
    labels = np.array(responded)
    classes = clients.responded[response_plan]
    return {
        "clients": n, "diary_days": diary_days, "particles": len(prior), "forecast_particles": forecast_particles,
        "coverage_80": {p: {w: float(np.mean(v)) for w, v in by.items()} for p, by in coverage.items()},
        "mae_model": {p: {w: float(np.mean(v)) for w, v in by.items()} for p, by in err_model.items()},
        "mae_persistence": {p: {w: float(np.mean(v)) for w, v in by.items()} for p, by in err_persist.items()},
        "responders": int(labels.sum()),
        "auc_fit": auc(np.array(p_fit), labels), "auc_population": auc(np.array(p_pop), labels),
        "course_responders": int(classes.sum()),
        "auc_course_fit": auc(np.array(r_fit), classes), "auc_course_population": auc(np.array(r_pop), classes),
        "min_ess_median": float(np.median(ess)),
    }


def pooled(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Client-weighted means of several :func:`validate` results (e.g. diary lengths)."""
    total = sum(r["clients"] for r in results)

    def mean(key: str) -> dict[str, dict[int, float]]:
        first = results[0][key]
        return {p: {w: sum(r[key][p][w] * r["clients"] for r in results) / total for w in by}
                for p, by in first.items()}

    return {"clients": total, "coverage_80": mean("coverage_80"), "mae_model": mean("mae_model"),
            "mae_persistence": mean("mae_persistence")}
