"""The flagship scenario, "Does massage work for chronic back pain?", for the web page.

Runs the embedded ``massage_question.toml`` (every arm on the same patients) with the
page's ``n`` and horizon, and stores the run as ``painsim demo`` does, with the application
layer's :func:`painsim.app.run_and_store_scenario`: the store is checked for writability
before the simulation starts, and the run is written inside the store's atomic ``new_run``
block after the last cancel check, so a cancelled or failed job stores nothing.
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from painsim.web.common import ERRORS, JobInfo, check_default_posterior, store_root, submit_job

router = APIRouter(tags=["massage"])

PATIENTS_PER_ARM = (200, 500, 1000, 5000)
"""The page's choices of patients per arm (the API takes any within MassageRequest's bounds)."""
HORIZONS = {365: "1 year", 730: "2 years"}
DEFAULT_N = 500
DEFAULT_HORIZON = 730
POSTERIOR_DRAWS = {0: "none", 20: "20 draws (rough)", 40: "40 draws", 100: "100 draws"}
"""Draws of the shipped default posterior for the credible intervals (0: no intervals)."""
DEFAULT_DRAWS = 0


class MassageRequest(BaseModel):
    """Run the flagship scenario with ``n`` patients per arm for ``horizon_days`` days."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    n: int = Field(DEFAULT_N, ge=50, le=5000, description="patients per arm (the scenario's own is 5,000)")
    horizon_days: int = Field(DEFAULT_HORIZON, ge=182, le=730, description="days to follow (the scenario's own is 730)")
    seed: int = Field(1, ge=0, le=2**31 - 1)
    store: bool = Field(True, description="keep the run in the results store")
    draws: int = Field(DEFAULT_DRAWS, ge=0, le=200,
                       description="draws of the default posterior for 95% credible intervals (0: none); each draw "
                                   "simulates every arm with 500 patients")


def run_massage(req: MassageRequest, store_root: Path | None, job=None) -> dict[str, Any]:
    """The flagship scenario with the page's n, seed and horizon, through the application
    layer's "run and store a scenario" (:func:`painsim.app.run_and_store_scenario`): the
    store is checked before simulating, the last cancel check comes before anything is
    written, and the commit is not interrupted."""
    from painsim.app import demo_scenario, run_and_store_scenario
    from painsim.app.posterior import DEFAULT_POSTERIOR, load_posterior

    scenario, text = demo_scenario()
    if req.horizon_days != scenario.horizon_days:
        scenario = scenario.model_copy(update={"horizon_days": req.horizon_days})
    posterior = load_posterior(DEFAULT_POSTERIOR) if req.draws else None
    # shares of the job's progress bar: cohort, arms, then (the slowest) the posterior draws
    shares = {"cohort": (0.0, 0.5), "arms": (0.5, 0.95)} if posterior is None else \
        {"cohort": (0.0, 0.15), "arms": (0.15, 0.3), "posterior draws": (0.3, 0.95)}

    def progress(stage: str, done: int, total: int) -> None:
        if job is not None:
            part = "cohort" if stage.startswith("building") else stage if stage in shares else "arms"
            job.report(stage, done, total, shares[part])

    @contextmanager
    def storing():
        if job is None:
            yield
            return
        job.report("storing the run", 0, 1, (0.95, 1.0))
        with job.uninterruptible():  # a cancel from here on waits for the commit
            yield

    run = run_and_store_scenario(
        scenario, text, n=req.n, seed=req.seed, store=store_root, keep=req.store,
        overrides={"n": req.n, "seed": req.seed, "horizon_days": req.horizon_days,
                   **({"draws": req.draws} if req.draws else {})}, source="web",
        progress=progress, cancel=job.check if job is not None else None, storing=storing,
        posterior=posterior, draws=req.draws)
    daily = {name: [round(float(v), 4) for v in arm.daily()["pain_mean"].iloc[::7]]
             for name, arm in run.result.arms.items()}
    return {
        "title": scenario.title,
        "n": req.n,
        "horizon_days": scenario.horizon_days,
        "arms": run.summary,
        "weeks": list(range(len(next(iter(daily.values()))))),
        "weekly_pain": daily,
        "run_id": run.run_id,
        "uncertainty": run.uncertainty.to_json() if run.uncertainty is not None else None,
    }


@router.post("/api/massage", status_code=202, response_model=JobInfo, responses=ERRORS,
             summary="Start the flagship scenario: does massage work for chronic back pain?")
def massage(req: MassageRequest, request: Request):
    from painsim.store import default_root

    if req.draws:
        check_default_posterior()
    # the job's process gets the store as an absolute path, resolved here (its cwd and
    # environment are those of the job server, started with the app)
    root = store_root(request)
    target = (root if root is not None else default_root()).absolute()
    return submit_job(request, "massage", partial(run_massage, req, target), req.model_dump())
