"""The "Is it worth it?" page: the cost-effectiveness of the massage question's arms.

Runs the embedded flagship scenario (``massage_question.toml``) through the application
layer's :func:`painsim.app.run_and_store_cea` with the page's patients per arm, PSA draws,
perspective and willingness-to-pay range, as ``painsim cea`` does: checked before any work,
cancellable after every arm and every PSA draw, stored atomically after the last check.
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from painsim.web.common import DISCLAIMER, ERRORS, PLOT_LOCK, JobInfo, store_root, submit_job

router = APIRouter(tags=["worth"])

PATIENTS_PER_ARM = (100, 200, 500, 1000)
"""The page's choices of patients per arm (the API takes any within WorthRequest's bounds)."""
DEFAULT_N = 200
PSA_DRAWS = (0, 20, 50, 100)
"""The page's choices of PSA draws (0: the base case only)."""
DEFAULT_PSA = 20
WTP_MAX = {50_000: "50,000 per QALY", 100_000: "100,000 per QALY", 150_000: "150,000 per QALY"}
DEFAULT_WTP_MAX = 100_000
WTP_POINTS = 101


class WorthRequest(BaseModel):
    """Compare the massage question's arms: costs, QALYs, frontier and, with draws, how sure."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    n: int = Field(DEFAULT_N, ge=50, le=1000, description="patients per arm")
    psa: int = Field(DEFAULT_PSA, ge=0, le=100, description="PSA draws (0: base case only)")
    perspective: str = Field("payer", description="cost perspective (GET /api/choices: perspectives)")
    wtp_max: int = Field(DEFAULT_WTP_MAX, ge=1000, le=500_000, description="highest willingness to pay per QALY")
    seed: int = Field(1, ge=0, le=2**31 - 1)
    store: bool = Field(True, description="keep the analysis in the results store")

    @field_validator("perspective")
    @classmethod
    def _perspective(cls, value: str) -> str:
        from painsim.app import check_choice

        return check_choice("perspectives", value, "perspective")


def run_worth(req: WorthRequest, store_root: Path | None, job=None) -> dict[str, Any]:
    """The analysis of the page (see the module docstring); a JSON-ready result with the
    frontier table, the decisions and the two figures as PNG data URIs."""
    from painsim.app import demo_scenario, run_and_store_cea

    scenario, text = demo_scenario()
    shares = {"building cohort": (0.0, 0.3), "base case": (0.3, 0.45), "PSA": (0.45, 0.95)}

    def progress(stage: str, done: int, total: int) -> None:
        if job is not None:
            job.report(stage, done, total, shares.get(stage, (0.0, 0.95)))

    @contextmanager
    def storing():
        if job is None:
            yield
            return
        job.report("storing the analysis", 0, 1, (0.95, 1.0))
        with job.uninterruptible():
            yield

    wtp = f"0:{req.wtp_max}:{req.wtp_max / (WTP_POINTS - 1):g}"
    result = run_and_store_cea(scenario, text, store=store_root, keep=req.store, n=req.n, psa=req.psa,
                               perspective=req.perspective, wtp=wtp, seed=req.seed, progress=progress,
                               cancel=job.check if job is not None else None, storing=storing)
    return {"title": scenario.title, **result.summary(), "figures": _figures(result), "disclaimer": DISCLAIMER}


def _figures(result: Any) -> dict[str, str]:
    import base64

    from painsim.report import figures
    from painsim.report.economics import acceptability, ce_plane

    arms = list(result.arms)
    colours = figures.arm_colours(arms, "no_care" if "no_care" in arms else None)
    reference = result.table.rows[0].strategy
    tables = result.tables()
    uri = "data:image/png;base64,"
    with PLOT_LOCK:
        out = {"ce_plane": uri + base64.b64encode(ce_plane(tables.get("cea_psa"), result.base, reference, colours,
                                                           result.scenario.economics.currency)).decode("ascii")}
        if "cea_curves" in tables:
            out["ceac"] = uri + base64.b64encode(acceptability(tables["cea_curves"], arms, colours,
                                                               result.scenario.economics.currency)).decode("ascii")
    return out


@router.post("/api/worth", status_code=202, response_model=JobInfo, responses=ERRORS,
             summary="Start 'Is it worth it?': the cost-effectiveness of the massage question's arms")
def worth(req: WorthRequest, request: Request):
    from painsim.store import default_root

    root = store_root(request)
    target = (root if root is not None else default_root()).absolute()
    return submit_job(request, "worth", partial(run_worth, req, target), req.model_dump())
