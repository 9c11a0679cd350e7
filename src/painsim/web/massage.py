"""The flagship scenario, "Does massage work for chronic back pain?", for the web page.

Runs the embedded ``massage_question.toml`` (every arm on the same patients) with the
page's ``n`` and horizon, and stores the run exactly as ``painsim demo`` does, inside the
store's atomic ``new_run`` block, after the last cancel check: a cancelled or failed job
stores nothing. The store is checked for writability before the simulation starts.
"""

from __future__ import annotations

from contextlib import nullcontext
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from painsim.web.common import ERRORS, JobInfo, store_root, submit_job

router = APIRouter(tags=["massage"])

PATIENTS_PER_ARM = (200, 500, 1000, 5000)
"""The page's choices of patients per arm (the API takes any within MassageRequest's bounds)."""
HORIZONS = {365: "1 year", 730: "2 years"}
DEFAULT_N = 500
DEFAULT_HORIZON = 730


class MassageRequest(BaseModel):
    """Run the flagship scenario with ``n`` patients per arm for ``horizon_days`` days."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    n: int = Field(DEFAULT_N, ge=50, le=5000, description="patients per arm (the scenario's own is 5,000)")
    horizon_days: int = Field(DEFAULT_HORIZON, ge=182, le=730, description="days to follow (the scenario's own is 730)")
    seed: int = Field(1, ge=0, le=2**31 - 1)
    store: bool = Field(True, description="keep the run in the results store")


def scenario_text() -> str:
    return resources.files("painsim").joinpath("data/massage_question.toml").read_text()


def run_massage(req: MassageRequest, store_root: Path | None, job=None) -> dict[str, Any]:
    from painsim import __version__
    from painsim.scenario import parse_scenario, run_scenario

    text = scenario_text()
    scenario = parse_scenario(text, source="massage_question.toml (embedded)")
    if req.horizon_days != scenario.horizon_days:
        scenario = scenario.model_copy(update={"horizon_days": req.horizon_days})

    store = None
    if req.store:  # a store the run could not be committed to fails the job now, not after simulating
        from painsim.store import Store

        store = Store(store_root)
        store.check_writable()

    def progress(stage: str, done: int, total: int) -> None:
        if job is not None:
            share = (0.0, 0.5) if stage.startswith("building") else (0.5, 0.95)
            job.report(stage, done, total, share)

    result = run_scenario(scenario, n=req.n, seed=req.seed, progress=progress)
    summary = result.summary()
    daily = {}
    for name, arm in result.arms.items():
        pain = arm.daily()["pain_mean"]
        daily[name] = [round(float(v), 4) for v in pain.iloc[::7]]
    out: dict[str, Any] = {
        "title": scenario.title,
        "n": req.n,
        "horizon_days": scenario.horizon_days,
        "arms": summary,
        "weeks": list(range(len(next(iter(daily.values()))))),
        "weekly_pain": daily,
        "run_id": None,
    }
    if job is not None:
        job.check()  # last chance to cancel: nothing has been written yet
    if store is not None:
        from painsim.outcomes.tables import scenario_tables

        meta = {"painsim_version": __version__, "n": req.n, "source": "web",
                "overrides": {"n": req.n, "seed": req.seed, "horizon_days": req.horizon_days}}
        if job is not None:
            job.report("storing the run", 0, 1, (0.95, 1.0))
        # a cancel from here on waits for the commit (the job is not killed inside it)
        with job.uninterruptible() if job is not None else nullcontext(), \
                store.new_run(text, seed=req.seed, name=scenario.name, meta=meta) as run:
            for name, table in scenario_tables(result).items():
                run.write_table(name, table)
            run.set_summary(summary)
        out["run_id"] = run.run_id
    return out


@router.post("/api/massage", status_code=202, response_model=JobInfo, responses=ERRORS,
             summary="Start the flagship scenario: does massage work for chronic back pain?")
def massage(req: MassageRequest, request: Request):
    from painsim.store import default_root

    # the job's process gets the store as an absolute path, resolved here (its cwd and
    # environment are those of the job server, started with the app)
    root = store_root(request)
    target = (root if root is not None else default_root()).absolute()
    return submit_job(request, "massage", partial(run_massage, req, target), req.model_dump())
