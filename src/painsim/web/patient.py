"""The patient page: one patient's likely course, many simulated twins of a profile under a care plan.

The page's request (seven trait sliders, a care plan from the registry, twins, horizon) is
validated here; the simulation is the application layer's
(:func:`painsim.app.simulate_twins`: twins, fan chart, each reinforcing loop switched off,
responder classes). The strongest loops are highlighted in the causal-loop diagram.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from painsim.app import AppInputError, check_twins_plan, simulate_twins
from painsim.app.patient import STAGE_COHORT
from painsim.care import REGISTRY, CarePlan, Massage, Relationship
from painsim.web.common import ERRORS, JobInfo, check_default_posterior, submit_job

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
HORIZONS = {365: "1 year", 730: "2 years"}
"""The horizons the page offers (the API takes any within PatientRequest's bounds)."""
DEFAULT_HORIZON = 730
POSTERIOR_DRAWS = {0: "none", 10: "10 draws (rough)", 20: "20 draws", 40: "40 draws"}
"""Draws of the shipped default posterior the page offers for credible intervals (0: none)."""


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
    try:
        check_twins_plan(plan, horizon_days)
    except AppInputError as err:
        return str(err)
    return None


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
    draws: int = Field(0, ge=0, le=100, description="draws of the default posterior for 95% credible intervals "
                                                    "(0: none); each draw builds and follows the twins again")


def trait_medians(profile: Profile) -> dict[str, float]:
    """The profile's sliders as trait medians (trait -> 0-1), what :func:`painsim.app.simulate_twins` takes."""
    return {trait: getattr(profile, key) for key, (trait, _) in PROFILE_TRAITS.items()}


def patient_job(req: PatientRequest, job) -> dict[str, Any]:
    """:func:`simulate_patient` as a background job (progress and cancel through ``job``)."""
    return simulate_patient(req, job.report)


def simulate_patient(req: PatientRequest, report=None) -> dict[str, Any]:
    """:func:`painsim.app.simulate_twins` of the request, as the page's JSON; building the
    cohort is the first 60% of the job's progress bar, the simulations the rest."""
    from painsim.app.patient import STAGE_POSTERIOR
    from painsim.app.posterior import DEFAULT_POSTERIOR, load_posterior

    report = report or (lambda stage, done, total, share=(0, 1): None)
    posterior = load_posterior(DEFAULT_POSTERIOR) if req.draws else None
    shares = {STAGE_COHORT: (0.0, 0.6), STAGE_POSTERIOR: (1.0, 1.0)} if posterior is None else \
        {STAGE_COHORT: (0.0, 0.15), STAGE_POSTERIOR: (0.3, 1.0)}

    def progress(stage: str, done: int, total: int) -> None:
        report(stage, done, total, shares.get(stage, (0.6, 1.0) if posterior is None else (0.15, 0.3)))

    try:
        twins = simulate_twins(trait_medians(req.profile), req.plan, twins=req.twins, spread=req.spread,
                               horizon_days=req.horizon_days, seed=req.seed, progress=progress,
                               posterior=posterior, draws=req.draws)
    except AppInputError as err:
        raise ValueError(str(err)) from None
    return twins.to_json()


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
    if req.draws:
        check_default_posterior()
    return submit_job(request, "patient", partial(patient_job, req), req.model_dump(mode="json"))
