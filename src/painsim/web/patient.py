"""One patient's likely course: many simulated twins of a profile under a care plan.

The profile pins the median of seven traits (0-1 sliders); each twin draws its traits from
a narrow logit-normal around those medians (``spread``), so twins differ a little, as
people with the same questionnaire answers do. Twins enter with chronic low back pain and
are followed for ``horizon_days``. The same twins are simulated again with each
reinforcing loop switched off: the drop in mean pain says how much that loop holds this
profile's pain up, and the strongest loops are highlighted in the causal-loop diagram.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from painsim.care import CareParams, CarePlan, Education, Exercise, Massage, Relationship, Schedule, SleepStressCare
from painsim.engine import LOOP_NAMES, Cohort, Population, Record, simulate
from painsim.engine.loops import REINFORCING
from painsim.engine.population import TraitMarginal

# Slider name -> (trait, label shown in the page). "sleep" and "stress" are vulnerabilities:
# higher means sleep breaks down more easily under pain / stronger stress response.
PROFILE_TRAITS: dict[str, tuple[str, str]] = {
    "pain_sensitivity": ("pain_sensitivity", "Pain sensitivity"),
    "sleep_vulnerability": ("sleep_vulnerability", "Sleep problems (vulnerability)"),
    "stress_reactivity": ("stress_reactivity", "Stress (reactivity)"),
    "catastrophizing": ("catastrophizing", "Fear (catastrophizing)"),
    "self_efficacy": ("self_efficacy", "Self-efficacy"),
    "social_support": ("social_support", "Social support"),
    "work_strain": ("work_strain", "Work strain"),
}
QUANTILES = (5, 10, 25, 50, 75, 90, 95)
HIGHLIGHT_MIN_DROP = 0.1  # points of mean pain: below this a loop is not highlighted


def _trait(default: float, label: str) -> Any:
    return Field(default, ge=0.02, le=0.98, description=f"{label}: median of the trait on 0-1")


class Profile(BaseModel):
    """Trait medians of the patient (0-1; 0.5 is the population median for most traits)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    pain_sensitivity: float = _trait(0.5, "pain sensitivity")
    sleep_vulnerability: float = _trait(0.5, "sleep vulnerability")
    stress_reactivity: float = _trait(0.5, "stress reactivity")
    catastrophizing: float = _trait(0.5, "catastrophizing (fear)")
    self_efficacy: float = _trait(0.6, "self-efficacy")
    social_support: float = _trait(0.6, "social support")
    work_strain: float = _trait(0.35, "work strain")


class PlanChoice(BaseModel):
    """A care plan as the page's form gives it (0 sessions/weeks: that module is not used)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    massage_sessions: int = Field(10, ge=0, le=52, description="massage sessions (0: none)")
    massage_every_days: int = Field(7, ge=1, le=28, description="days between massage sessions")
    exercise_weeks: int = Field(0, ge=0, le=52, description="weeks of supervised exercise, 2 sessions a week")
    sleep_stress_weeks: int = Field(0, ge=0, le=52, description="weeks of sleep and stress care")
    education_sessions: int = Field(0, ge=0, le=10, description="pain-education sessions, weekly")
    alliance: float = Field(0.6, ge=0.0, le=1.0, description="therapeutic alliance, 0-1")
    framing: Literal["manage", "fix"] = "manage"

    def care_plan(self) -> CarePlan:
        return CarePlan(
            massage=Massage(schedule=Schedule(count=self.massage_sessions, every_days=self.massage_every_days))
            if self.massage_sessions else None,
            exercise=Exercise(weeks=self.exercise_weeks) if self.exercise_weeks else None,
            sleep_stress=SleepStressCare(weeks=self.sleep_stress_weeks) if self.sleep_stress_weeks else None,
            education=Education(schedule=Schedule(count=self.education_sessions, every_days=7))
            if self.education_sessions else None,
            relationship=Relationship(alliance=self.alliance, framing=self.framing),
        )

    def last_day(self) -> int:
        """Last scheduled care day (the horizon must go beyond it)."""
        days = [0]
        if self.massage_sessions:
            days.append((self.massage_sessions - 1) * self.massage_every_days)
        days += [7 * self.exercise_weeks, 7 * self.sleep_stress_weeks, 7 * max(0, self.education_sessions - 1)]
        return max(days)


class PatientRequest(BaseModel):
    """Simulate ``twins`` twins of ``profile`` under ``plan`` for ``horizon_days``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    profile: Profile = Field(default_factory=Profile)
    plan: PlanChoice = Field(default_factory=PlanChoice)
    twins: int = Field(300, ge=20, le=2000, description="simulated twins of the profile")
    spread: float = Field(0.25, ge=0.0, le=1.0, description="logit-scale SD of each trait around the profile")
    horizon_days: int = Field(730, ge=28, le=1095, description="days to follow the twins")
    seed: int = Field(1, ge=0, le=2**31 - 1)


def population(profile: Profile, spread: float) -> Population:
    """A chronic-entry population whose trait medians are the profile's."""
    marginals = {trait: TraitMarginal(median=getattr(profile, key), spread=spread)
                 for key, (trait, _) in PROFILE_TRAITS.items()}
    return Population(name="patient twins", entry="chronic", marginals=marginals)


def patient_job(req: PatientRequest, job) -> dict[str, Any]:
    """:func:`simulate_patient` as a background job (progress and cancel through ``job``)."""
    return simulate_patient(req, job.report)


def simulate_patient(req: PatientRequest, report=None) -> dict[str, Any]:
    """Fan chart, loop strengths and responder-class odds of the twins (see module docstring)."""
    report = report or (lambda stage, done, total, share=(0, 1): None)
    if req.plan.last_day() >= req.horizon_days:
        raise ValueError(f"the care plan runs to day {req.plan.last_day()}; choose a horizon beyond it")
    cohort = Cohort.build(population(req.profile, req.spread), n=req.twins, seed=req.seed,
                          progress=lambda done, total: report("finding chronic twins", done, total, (0.0, 0.6)))
    plan = req.plan.care_plan()
    record = Record.weekly("pain")
    steps = 1 + len(LOOP_NAMES)
    report("simulating the twins", 0, steps, (0.6, 1.0))
    base = simulate(cohort, req.horizon_days, record, care=plan)
    report("simulating the twins", 1, steps, (0.6, 1.0))
    pain = base.trajectories["pain"]  # weeks x twins
    weeks = (base.period_days // 7).tolist()
    fan = {f"p{q}": np.round(np.percentile(pain, q, axis=1), 3).tolist() for q in QUANTILES}
    summary = base.summary()
    base_mean = float(summary["pain_mean"].mean())
    loops = []
    for k, name in enumerate(LOOP_NAMES):
        off = simulate(cohort, req.horizon_days, Record.summaries(), care=plan, loops={name: 0.0})
        report(f"switching off loop {name}", k + 2, steps, (0.6, 1.0))
        drop = base_mean - float(off.summary()["pain_mean"].mean())
        loop = REINFORCING[k]
        loops.append({"name": name, "label": loop.label, "pain_drop": round(drop, 3)})
    ranked = sorted(loops, key=lambda item: -item["pain_drop"])
    strongest = [item["name"] for item in ranked[:2] if item["pain_drop"] >= HIGHLIGHT_MIN_DROP]
    for item in loops:
        item["highlighted"] = item["name"] in strongest
    first = summary["first_recovery_day"].to_numpy()
    out: dict[str, Any] = {
        "twins": len(cohort),
        "weeks": weeks,
        "fan": fan,
        "examples": np.round(pain[:, :6].T, 2).tolist(),
        "pain_start": round(float(np.mean(pain[0])), 3),
        "pain_end": round(float(np.mean(pain[-1])), 3),
        "pain_mean": round(base_mean, 3),
        "recovered_share": round(float(np.mean(np.isfinite(first))), 4),
        "chronic_share_end": round(base.chronic_share(), 4),
        "loops": loops,
        "strongest_loops": strongest,
        "responder_classes": None,
        "responder_note": "responder classes need massage sessions in the plan",
    }
    if plan.massage is not None:
        from painsim.outcomes.care_outcomes import care_summary, class_shares

        care = care_summary(base)
        shares = class_shares(care)
        out["responder_classes"] = {
            name: {"share": round(p, 4), "odds": round(p / (1 - p), 4) if p < 1 else None} for name, p in shares.items()
        }
        lasting = int(CareParams().lasting_days)
        out["responder_note"] = (
            f"'lasting' needs {lasting} days in the recovered range after the last session: with a "
            f"{req.horizon_days}-day horizon and the last session on day {req.plan.last_day()}, "
            + ("it can be reached." if req.horizon_days - req.plan.last_day() > lasting
               else "it cannot be reached (choose a longer horizon).")
        )
        out["sessions_attended_mean"] = round(float(care["sessions_attended"].mean()), 3)
    return out
