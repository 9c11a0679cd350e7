"""The trial page's adapter to :mod:`painsim.trials` (the one virtual-trial implementation).

The page sends a trial spec as TOML text (the format of ``painsim trial FILE``,
docs/trials.md). It is parsed with :func:`painsim.trials.parse_trial` in the request, so a
bad spec is a 422 with :class:`~painsim.trials.TrialSpecError`'s readable message, and
checked with the library's cost limits made stricter for the web (:data:`WEB_LIMITS`) and the
web's bounds (:func:`check_bounds`). The trial then runs as a
background job: the application layer's :func:`painsim.app.run_and_analyse_trial` and the
plot of outcomes by visit; the result is what ``painsim trial FILE --json`` prints, plus the
primary comparison, the arm means by visit and the figure. The power curve is a second job,
:func:`painsim.app.run_power_curve` over an n range, with the JSON of
``painsim trial power --json``.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import replace
from functools import partial
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from painsim.app import AppInputError
from painsim.limits import DEFAULT_LIMITS, LimitError, check_power_cost, check_trial_cost
from painsim.trials import TrialSpec, TrialSpecError, parse_trial
from painsim.trials.spec import MISSING
from painsim.web.common import ERRORS, PLOT_LOCK, JobInfo, png_data_uri, submit_job
from painsim.web.jobs import Job

router = APIRouter(tags=["trial"])

MAX_SPEC_CHARS = 50_000
MAX_N_PER_ARM = 500
MAX_N_TOTAL = 1500
MAX_ARMS = 6
MAX_WEEKS = 104
MAX_IMPUTATIONS = 50
MAX_POWER_N = 300
MAX_POWER_POINTS = 10
MAX_POWER_REPS = 200
MAX_POWER_TRIALS = 1000
#: The library's limits (painsim.limits, what `painsim trial` checks) made stricter for a shared
#: server: a job should finish in a few minutes (simulation runs at ~9.5 million patient-days a
#: second on one core, docs/performance.md) and in well under the machine's memory.
WEB_LIMITS = replace(
    DEFAULT_LIMITS,
    max_arms=MAX_ARMS,
    max_block_size=MAX_N_TOTAL,  # a block larger than the whole trial is never needed
    max_screening_candidates=2_000_000,
    max_screening_patient_days=1_000_000_000,  # about 2 minutes of screening
    max_memory_bytes=2 * 2**30,
    max_power_points=MAX_POWER_POINTS,
    max_power_trials=MAX_POWER_TRIALS,
    max_power_patient_days=5_000_000_000,  # about 9 minutes
)
METHOD = Literal[MISSING]  # type: ignore[valid-type]  # the library's missing-data methods

#: The page's example: examples/trials/cherkin2011.toml with 40 per arm (a few seconds).
DEFAULT_SPEC = """\
# Cherkin et al. 2011 (Ann Intern Med 155:1-9), small: 40 per arm instead of 132-136.
# The full spec: examples/trials/cherkin2011.toml; every key: docs/trials.md.
name = "cherkin2011_small"
title = "Structural vs relaxation massage vs usual care (Cherkin et al. 2011), 40 per arm"
seed = 2011

[population]
entry = "chronic"

[eligibility]
min_pain = 3
min_rmdq = 3
min_duration_months = 3
screening_days = 7

[arms.structural]
label = "structural massage"
n = 40
massage = { schedule = { count = 10, every_days = 7 }, dose = 1.0, cost_per_session = 0 }

[arms.relaxation]
label = "relaxation massage"
n = 40
massage = { schedule = { count = 10, every_days = 7 }, dose = 1.0, cost_per_session = 0 }

[arms.usual_care]
label = "usual care"
n = 40
usual_care = {}

[randomisation]
scheme = "complete"

[visits]
weeks = [10, 26, 52]

[outcomes]
measures = ["rmdq", "pain"]
responder_thresholds = [0.3, 0.5]
primary = { outcome = "rmdq", week = 10, arm = "relaxation", comparator = "usual_care" }

[follow_up]
loss_per_visit = 0.03
loss_after_care_dropout = 0.2
missed_visit = 0.02

[analysis]
comparisons = [["structural", "usual_care"], ["relaxation", "usual_care"], ["relaxation", "structural"]]
missing = "mi"
imputations = 10
alpha = 0.05

[power]
reps = 20
missing = "complete_case"
"""


class TrialBoundsError(ValueError):
    """A valid trial spec that is too large for the web app; the message says which bound."""


class TrialRequest(BaseModel):
    """Run a trial spec (TOML, docs/trials.md)."""

    model_config = ConfigDict(extra="forbid")

    spec: str = Field(min_length=1, max_length=MAX_SPEC_CHARS, description="the trial spec, TOML")
    seed: int | None = Field(None, ge=0, lt=2**63, description="override the spec's seed")
    method: METHOD | None = Field(None, description="missing-data handling (default: the spec's analysis.missing)")


class PowerRequest(BaseModel):
    """Power of the spec's primary comparison at n per arm = n_min, n_min + n_step, ..., n_max."""

    model_config = ConfigDict(extra="forbid")

    spec: str = Field(min_length=1, max_length=MAX_SPEC_CHARS, description="the trial spec, TOML")
    n_min: int = Field(5, ge=2, le=MAX_POWER_N, description="smallest n per arm")
    n_max: int = Field(30, ge=2, le=MAX_POWER_N, description="largest n per arm (inclusive)")
    n_step: int = Field(5, ge=1, le=MAX_POWER_N, description="step of n per arm")
    reps: int = Field(20, ge=1, le=MAX_POWER_REPS, description="virtual trials per n")
    seed: int | None = Field(None, ge=0, lt=2**63, description="override the spec's seed")
    method: METHOD | None = Field(None, description="missing-data handling (default: power.missing, else the "
                                                    "trial's)")
    assurance: bool = Field(False, description="also the assurance over the default posterior (as many posterior "
                                               "draws per n as reps): the probability of success averaged over "
                                               "what we know of the parameters")

    @model_validator(mode="after")
    def _range(self) -> PowerRequest:
        if self.n_max < self.n_min:
            raise ValueError(f"n_max ({self.n_max}) is below n_min ({self.n_min})")
        return self  # what the curve costs is checked with the library's limits (check_power)

    def ns(self) -> list[int]:
        return list(range(self.n_min, self.n_max + 1, self.n_step))


def parse_spec(text: str) -> TrialSpec:
    """Parse and bound-check a spec; raise TrialSpecError or TrialBoundsError (both readable)."""
    spec = parse_trial(text, source="trial spec")
    check_bounds(spec)
    return spec


def check_bounds(spec: TrialSpec) -> None:
    """The web's limits on a valid spec: the library's cost check with the web's :data:`WEB_LIMITS`
    (arms, blocks, screening, memory: what ``painsim trial`` refuses, and less), then the
    web's own bounds on what the library leaves open (n per arm and in all, horizon, imputations)."""
    problems = []
    try:
        check_trial_cost(spec, WEB_LIMITS)
    except LimitError as err:
        problems.append(str(err))
    big = {name: arm.n for name, arm in spec.arms.items() if arm.n > MAX_N_PER_ARM}
    if big:
        problems.append(f"n per arm at most {MAX_N_PER_ARM}; got " + ", ".join(f"{k} = {v}" for k, v in big.items()))
    if spec.n_total > MAX_N_TOTAL:
        problems.append(f"{spec.n_total} participants in all; at most {MAX_N_TOTAL}")
    if max(spec.visits.weeks) > MAX_WEEKS:
        problems.append(f"last visit at week {max(spec.visits.weeks)}; at most week {MAX_WEEKS} (horizon)")
    if spec.analysis.imputations > MAX_IMPUTATIONS:
        problems.append(f"analysis.imputations = {spec.analysis.imputations}; at most {MAX_IMPUTATIONS}")
    if problems:
        raise TrialBoundsError("the trial spec is too large for the web app (use `painsim trial` for larger "
                               "trials): " + "; ".join(problems))


def check_power(spec: TrialSpec, req: PowerRequest) -> None:
    """The power curve's cost with the library's check and :data:`WEB_LIMITS`; TrialBoundsError if too large."""
    try:
        check_power_cost(spec, req.ns(), req.reps, WEB_LIMITS, n_option="the n range (n_min, n_max, n_step)",
                         reps_option="reps")
    except LimitError as err:
        raise TrialBoundsError(f"the power curve is too large for the web app (use `painsim trial power`): {err}"
                               ) from None


def run_trial_job(spec: TrialSpec, req: TrialRequest, job: Job) -> dict[str, Any]:
    """Run and analyse the trial with the application layer (:func:`painsim.app.run_and_analyse_trial`);
    progress goes to the job (its cancel flag is checked there)."""
    from painsim.app import run_and_analyse_trial

    def report(stage: str, done: int, total: int) -> None:
        job.report(stage, done, total, (0.0, 0.3) if stage == "screening" else (0.3, 0.85))

    result = run_and_analyse_trial(spec, seed=req.seed, method=req.method, progress=report,
                                   cancel=lambda: job.report("analysing", 0, 1, (0.85, 1.0)))
    job.report("plotting", 0, 1, (0.95, 1.0))
    figure = _figure(result)
    job.check()
    outcome, week, arm, comparator = spec.primary()
    out = result.to_json()
    primary = next((c for c in out["comparisons"] if (c["outcome"], c["week"], c["arm"], c["comparator"])
                    == (outcome, week, arm, comparator)), None)
    return {
        **out,
        "weeks": list(spec.visits.weeks),
        "measures": list(spec.outcomes.measures),
        "primary": {"outcome": outcome, "week": week, "arm": arm, "comparator": comparator, "comparison": primary},
        "means": _records(result.means),
        "figure_png": figure,
    }


def run_power_job(spec: TrialSpec, req: PowerRequest, job: Job, jobs: int = 1) -> dict[str, Any]:
    """Power curve of the primary comparison with the application layer (:func:`painsim.app.run_power_curve`),
    and with ``req.assurance`` the assurance over the default posterior beside it
    (:func:`painsim.app.assurance.run_assurance`)."""
    from painsim.app import run_power_curve

    job.report("virtual trials", 0, 1)
    report = lambda done, total: job.report("virtual trials", done, total)  # noqa: E731
    outcome, week, arm, comparator = spec.primary()
    head = {"trial": spec.name, "outcome": outcome, "week": week, "arm": arm, "comparator": comparator,
            "alpha": spec.analysis.alpha, "reps": req.reps}
    if req.assurance:
        from painsim.app.assurance import run_assurance
        from painsim.app.posterior import DEFAULT_POSTERIOR, load_posterior
        from painsim.sweeps import SERIAL, sweep_client

        with sweep_client(None, n_workers=jobs) if jobs > 1 else nullcontext(SERIAL) as client:
            curve = run_assurance(spec, load_posterior(DEFAULT_POSTERIOR), req.ns(), draws=req.reps,
                                  power_reps=req.reps, seed=req.seed, method=req.method, client=client,
                                  progress=report)
        return {**head, "method": curve.power.method, "seed": curve.seed, "posterior": curve.posterior_id,
                "curve": _records(curve.curve)}
    power = run_power_curve(spec, req.ns(), reps=req.reps, seed=req.seed, jobs=jobs, method=req.method,
                            progress=report)
    return {**head, "method": power.method, "seed": power.seed,
            "curve": _records(power.curve)}  # NaN and inf as null: strict JSON


def _figure(result) -> str:
    import matplotlib

    matplotlib.use("Agg")
    with PLOT_LOCK:
        return png_data_uri(result.plot())


def _records(frame) -> list[dict[str, Any]]:
    """Rows of a data frame as JSON-safe dicts (NaN and inf become null)."""
    import math

    import numpy as np

    def num(v: Any) -> Any:
        v = v.item() if isinstance(v, np.generic) else v
        return None if isinstance(v, float) and not math.isfinite(v) else v

    return [{k: num(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _spec_or_422(text: str) -> TrialSpec:
    try:
        return parse_spec(text)
    except (TrialSpecError, TrialBoundsError) as err:
        raise HTTPException(422, str(err)) from None


@router.post("/api/trial", status_code=202, response_model=JobInfo, responses=ERRORS,
             summary="Start a virtual trial (painsim.trials) from a TOML spec: CONSORT flow, comparisons, plot")
def trial(req: TrialRequest, request: Request):
    spec = _spec_or_422(req.spec)
    return submit_job(request, "trial", partial(run_trial_job, spec, req),
                      {**req.model_dump(), "name": spec.name, "n_total": spec.n_total})


@router.post("/api/trial/power", status_code=202, response_model=JobInfo, responses=ERRORS,
             summary="Start a power curve of a trial spec's primary comparison (painsim.trials.power_curve)")
def trial_power(req: PowerRequest, request: Request):
    spec = _spec_or_422(req.spec)
    try:
        check_power(spec, req)
        if req.assurance:  # twice the trials, and a posterior of this model
            from painsim.app.assurance import check_assurance
            from painsim.app.posterior import DEFAULT_POSTERIOR, load_posterior

            check_power_cost(spec, req.ns(), 2 * req.reps, WEB_LIMITS, n_option="the n range", reps_option="reps")
            check_assurance(spec, load_posterior(DEFAULT_POSTERIOR), req.ns(), req.reps)
    except TrialBoundsError as err:
        raise HTTPException(422, str(err)) from None
    except (AppInputError, LimitError) as err:
        raise HTTPException(422, f"assurance: {err}") from None
    return submit_job(request, "trial_power", partial(run_power_job, spec, req, jobs=request.app.state.power_jobs),
                      {**req.model_dump(), "name": spec.name})


@router.get("/api/trial/default", summary="The example trial spec (TOML) and the web's bounds")
def trial_default() -> dict[str, Any]:
    return {"spec": DEFAULT_SPEC, "bounds": {
        "n_per_arm": MAX_N_PER_ARM, "n_total": MAX_N_TOTAL, "arms": MAX_ARMS, "last_visit_week": MAX_WEEKS,
        "imputations": MAX_IMPUTATIONS, "power_n": MAX_POWER_N, "power_points": MAX_POWER_POINTS,
        "power_reps": MAX_POWER_REPS, "power_trials": MAX_POWER_TRIALS, "block_size": WEB_LIMITS.max_block_size,
        "screening_candidates": WEB_LIMITS.max_screening_candidates}}


__all__ = ["DEFAULT_SPEC", "WEB_LIMITS", "PowerRequest", "TrialBoundsError", "TrialRequest", "TrialSpecError",
           "check_bounds", "check_power", "parse_spec", "router", "run_power_job", "run_trial_job"]
