"""The web's simple trial runner: a two-arm parallel-group virtual trial.

This is deliberately small (the full virtual-trial module lives elsewhere); it is what the
"Trial" page runs:

1. A pool of adults with chronic low back pain is screened with painsim's engine. Every
   pool member is simulated under **both** arms (control and massage), so each has a
   known outcome under each: their potential outcomes.
2. **The trial**: the first ``2 * n_per_arm`` pool members are randomised 1:1; at each
   visit week the outcome is the mean reported pain (0-10) or disability (0-24) over the
   seven days before the visit. The effect is the difference in means (massage minus
   control) with a normal-approximation 95% CI, ``MD +/- z * sqrt(s1^2/n1 + s2^2/n2)``,
   and a two-sided p-value.
3. **The power curve**: for each ``n`` in ``power_n``, ``power_reps`` trials are drawn by
   sampling ``2n`` pool members and randomising them; power is the share with two-sided
   ``p < alpha`` on the primary outcome at the primary visit. The pool's true average
   effect (mean over the pool of the individual differences) is reported next to it.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from scipy import stats

from painsim.care import CarePlan, Massage, Relationship, Schedule, Sham, UsualCare
from painsim.engine import Cohort, Population, Record, simulate
from painsim.engine.variables import STATE_INDEX

OUTCOMES = ("pain", "disability")


class TrialSpec(BaseModel):
    """A two-arm trial: control vs massage, visits, primary outcome and power-curve settings."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    n_per_arm: int = Field(100, ge=10, le=1000, description="patients randomised to each arm")
    seed: int = Field(1, ge=0, le=2**31 - 1, description="random seed (pool and allocation)")
    control: Literal["usual_care", "sham", "no_care"] = Field("usual_care", description="the control arm")
    massage_sessions: int = Field(10, ge=1, le=52, description="massage sessions in the massage arm")
    massage_every_days: int = Field(7, ge=1, le=28, description="days between sessions")
    alliance: float = Field(0.6, ge=0.0, le=1.0, description="therapeutic alliance in both arms")
    framing: Literal["manage", "fix"] = "manage"
    visit_weeks: list[int] = Field([6, 12, 26], min_length=1, max_length=8,
                                   description="visit weeks after randomisation (1-104)")
    primary_outcome: Literal["pain", "disability"] = "pain"
    primary_week: int | None = Field(None, description="visit of the primary analysis (default: the last)")
    power_n: list[int] = Field([25, 50, 100, 200], max_length=6, description="n per arm for the power curve")
    power_reps: int = Field(100, ge=0, le=500, description="simulated trials per point of the power curve")
    alpha: float = Field(0.05, gt=0.0, lt=0.5, description="two-sided significance level")

    @field_validator("visit_weeks")
    @classmethod
    def _weeks(cls, weeks: list[int]) -> list[int]:
        bad = [w for w in weeks if not 1 <= w <= 104]
        if bad:
            raise ValueError(f"visit weeks must lie in 1-104, got {bad}")
        return sorted(set(weeks))

    @field_validator("power_n")
    @classmethod
    def _power_n(cls, ns: list[int]) -> list[int]:
        bad = [n for n in ns if not 10 <= n <= 1000]
        if bad:
            raise ValueError(f"power_n values must lie in 10-1000, got {bad}")
        return sorted(set(ns))

    @model_validator(mode="after")
    def _primary(self) -> TrialSpec:
        if self.primary_week is not None and self.primary_week not in self.visit_weeks:
            raise ValueError(f"primary_week {self.primary_week} is not one of the visit weeks {self.visit_weeks}")
        return self

    @property
    def horizon_days(self) -> int:
        last_session = (self.massage_sessions - 1) * self.massage_every_days
        return max(7 * max(self.visit_weeks), last_session + 1)

    @property
    def pool_size(self) -> int:
        return 2 * max([self.n_per_arm, *self.power_n])

    def arms(self) -> dict[str, CarePlan]:
        relationship = Relationship(alliance=self.alliance, framing=self.framing)
        schedule = Schedule(count=self.massage_sessions, every_days=self.massage_every_days)
        control = {
            "usual_care": CarePlan(usual_care=UsualCare(), relationship=relationship),
            "sham": CarePlan(sham=Sham(schedule=schedule), relationship=relationship),
            "no_care": CarePlan(relationship=relationship),
        }[self.control]
        return {"control": control, "massage": CarePlan(massage=Massage(schedule=schedule), relationship=relationship)}


def _compare(treated: np.ndarray, control: np.ndarray, alpha: float) -> dict[str, float]:
    """Mean difference (treated - control), normal-approximation CI and two-sided p."""
    n1, n0 = treated.size, control.size
    md = float(treated.mean() - control.mean())
    se = float(np.sqrt(treated.var(ddof=1) / n1 + control.var(ddof=1) / n0))
    z = stats.norm.isf(alpha / 2)
    p = float(2 * stats.norm.sf(abs(md) / se)) if se > 0 else (0.0 if md else 1.0)
    return {"md": md, "se": se, "ci_low": md - z * se, "ci_high": md + z * se, "p": p}


def run_trial(spec: TrialSpec, report=None) -> dict[str, Any]:
    """Run the trial and its power curve (see the module docstring)."""
    report = report or (lambda stage, done, total, share=(0, 1): None)
    horizon = spec.horizon_days
    pool = Cohort.build(Population(name="trial pool", entry="chronic"), n=spec.pool_size, seed=spec.seed,
                        progress=lambda done, total: report("screening the pool", done, total, (0.0, 0.5)))
    record = Record.weekly("pain", "disability")
    potential: dict[str, dict[str, np.ndarray]] = {}
    for k, (arm, plan) in enumerate(spec.arms().items()):
        result = simulate(pool, horizon, record, care=plan)
        # visit week w -> recorded period w - 1 (mean of the 7 days before the visit)
        potential[arm] = {v: result.trajectories[v][[w - 1 for w in spec.visit_weeks]] for v in OUTCOMES}
        report(f"simulating the {arm} arm", k + 1, 2, (0.5, 0.8))
    rng = np.random.default_rng([spec.seed, 20_240_601])
    n = spec.n_per_arm
    order = rng.permutation(2 * n)
    treated, control = order[:n], order[n:]
    baseline = {v: {"massage_mean": float(pool.state[STATE_INDEX[v], treated].mean()),
                    "control_mean": float(pool.state[STATE_INDEX[v], control].mean())} for v in OUTCOMES}
    visits = []
    for j, week in enumerate(spec.visit_weeks):
        row: dict[str, Any] = {"week": week}
        for v in OUTCOMES:
            y1, y0 = potential["massage"][v][j, treated], potential["control"][v][j, control]
            row[v] = {
                "massage_mean": float(y1.mean()), "massage_sd": float(y1.std(ddof=1)),
                "control_mean": float(y0.mean()), "control_sd": float(y0.std(ddof=1)),
                **_compare(y1, y0, spec.alpha),
            }
        visits.append(row)
    primary_week = spec.primary_week or spec.visit_weeks[-1]
    pj = spec.visit_weeks.index(primary_week)
    y_massage = potential["massage"][spec.primary_outcome][pj]
    y_control = potential["control"][spec.primary_outcome][pj]
    power = []
    for i, n_arm in enumerate(spec.power_n):
        hits = 0
        for _ in range(spec.power_reps):
            chosen = rng.choice(spec.pool_size, size=2 * n_arm, replace=False)
            res = _compare(y_massage[chosen[:n_arm]], y_control[chosen[n_arm:]], spec.alpha)
            hits += res["p"] < spec.alpha
        power.append({"n_per_arm": n_arm, "power": hits / spec.power_reps if spec.power_reps else None})
        report("power curve", i + 1, len(spec.power_n), (0.8, 1.0))
    return {
        "spec": spec.model_dump(),
        "horizon_days": horizon,
        "pool_size": spec.pool_size,
        "n_per_arm": n,
        "baseline": baseline,
        "visits": visits,
        "primary": {"outcome": spec.primary_outcome, "week": primary_week, **visits[pj][spec.primary_outcome]},
        "true_effect": float(np.mean(y_massage - y_control)),
        "power": power,
        "method": "difference in means, normal-approximation CI; power by re-randomising a simulated pool",
    }
