"""One patient's likely course: many simulated twins of a profile under a care plan.

The profile pins the median of seven traits (0-1 sliders); each twin draws its traits from
a narrow logit-normal around those medians (``spread``), so twins differ a little, as
people with the same questionnaire answers do. Twins enter with chronic low back pain and
are followed for ``horizon_days``. The same twins are simulated again with each
reinforcing loop switched off: the drop in mean pain says how much that loop holds this
profile's pain up, and the strongest loops are highlighted in the causal-loop diagram.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from painsim.care import REGISTRY, CareParams, CarePlan, Massage, Relationship
from painsim.engine import LOOP_NAMES, Cohort, Population, Record, simulate
from painsim.engine.loops import REINFORCING
from painsim.engine.population import TraitMarginal
from painsim.web.common import ERRORS, JobInfo, submit_job

router = APIRouter(tags=["patient"])

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
VISIT_TREATMENTS = tuple(cls.name for cls in REGISTRY if cls.visit)
HORIZONS = {365: "1 year", 730: "2 years"}
"""The horizons the page offers (the API takes any within PatientRequest's bounds)."""
DEFAULT_HORIZON = 730
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


DEFAULT_PLAN = CarePlan(massage=Massage())
"""The page's plan until the form is changed: ten weekly massage sessions, alliance 0.6, "manage"."""


def plan_problem(plan: CarePlan, horizon_days: int) -> str | None:  # type: ignore[valid-type]
    """Why ``plan`` does not fit ``horizon_days`` (a session on or after the horizon), or None."""
    for treatment in plan.treatments():
        try:
            treatment.check_horizon(horizon_days)
        except (ValueError, OverflowError) as err:  # OverflowError: days beyond int64
            return f"plan.{err}; horizon_days ({horizon_days}) must go beyond the last session"
    return None


def last_day(plan: CarePlan) -> int:  # type: ignore[valid-type]
    """Last scheduled session day of the plan's treatments (0 without sessions)."""
    days = [int(d.max()) for t in plan.treatments() if (d := t.session_days()).size]
    return max(days, default=0)


def treatment_forms() -> dict[str, Any]:
    """What the care-plan form is built from: every registered treatment (built-in or
    plug-in) with its label, summary, the JSON Schema of its TOML fields and their
    defaults; the relationship the same way; and the page's default plan."""
    treatments = []
    for cls in REGISTRY:
        treatments.append({
            "name": cls.name, "label": cls.label, "summary": cls.describe()["summary"], "visit": cls.visit,
            "plugin": not REGISTRY.is_builtin(cls.name), "schema": cls.model_json_schema(),
            "defaults": _defaults(cls),
        })
    return {
        "treatments": treatments,
        "relationship": {"name": "relationship", "label": "Relationship",
                         "summary": (Relationship.__doc__ or "").strip().split("\n\n")[0],
                         "schema": Relationship.model_json_schema(), "defaults": Relationship().model_dump()},
        "default_plan": DEFAULT_PLAN.model_dump(mode="json", exclude_none=True),
    }


def _defaults(cls: type[BaseModel]) -> dict[str, Any] | None:
    """The treatment's fields at their defaults (also those made by a default factory, which
    the JSON Schema does not show); None when a field has no default."""
    try:
        return cls().model_dump(mode="json")
    except ValidationError:
        return None


class PatientRequest(BaseModel):
    """Simulate ``twins`` twins of ``profile`` under ``plan`` for ``horizon_days``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    profile: Profile = Field(default_factory=Profile)
    plan: CarePlan = Field(  # type: ignore[valid-type]
        default_factory=lambda: DEFAULT_PLAN,
        description="the care plan as in a scenario's arm: a table per treatment (GET /api/treatments) "
                    "and relationship; a treatment left out is not given")
    twins: int = Field(300, ge=20, le=2000, description="simulated twins of the profile")
    spread: float = Field(0.25, ge=0.0, le=1.0, description="logit-scale SD of each trait around the profile")
    horizon_days: int = Field(DEFAULT_HORIZON, ge=28, le=1095, description="days to follow the twins")
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
    problem = plan_problem(req.plan, req.horizon_days)
    if problem:
        raise ValueError(problem)
    cohort = Cohort.build(population(req.profile, req.spread), n=req.twins, seed=req.seed,
                          progress=lambda done, total: report("finding chronic twins", done, total, (0.0, 0.6)))
    plan = req.plan
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
        "responder_note": "responder classes need visits in the plan (" + " or ".join(VISIT_TREATMENTS) + ")",
    }
    if any(t.visit for t in plan.treatments()):
        from painsim.outcomes.care_outcomes import care_summary, class_shares

        care = care_summary(base)
        shares = class_shares(care)
        out["responder_classes"] = {
            name: {"share": round(p, 4), "odds": round(p / (1 - p), 4) if p < 1 else None} for name, p in shares.items()
        }
        lasting = int(CareParams().lasting_days)
        out["responder_note"] = (
            f"'lasting' needs {lasting} days in the recovered range after the last session: with a "
            f"{req.horizon_days}-day horizon and the last session on day {last_day(plan)}, "
            + ("it can be reached." if req.horizon_days - last_day(plan) > lasting
               else "it cannot be reached (choose a longer horizon).")
        )
        out["sessions_attended_mean"] = round(float(care["sessions_attended"].mean()), 3)
    return out


@router.get("/api/profile", summary="Profile sliders: trait, label, default")
def profile_fields() -> dict[str, Any]:
    defaults = Profile().model_dump()
    return {"traits": [{"key": k, "trait": t, "label": label, "default": defaults[k]}
                       for k, (t, label) in PROFILE_TRAITS.items()],
            "plan_defaults": DEFAULT_PLAN.model_dump(mode="json", exclude_none=True)}


@router.get("/api/treatments", summary="The treatments of the care-plan form (from the registry, plug-ins "
                                       "included): label, summary, JSON Schema and defaults of their fields")
def treatments() -> dict[str, Any]:
    return treatment_forms()


@router.post("/api/patient", status_code=202, response_model=JobInfo, responses=ERRORS,
             summary="Start simulating twins of a patient profile under a care plan")
def patient(req: PatientRequest, request: Request):
    problem = plan_problem(req.plan, req.horizon_days)
    if problem:
        raise HTTPException(422, problem)
    return submit_job(request, "patient", partial(patient_job, req), req.model_dump(mode="json"))
