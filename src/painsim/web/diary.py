"""The page "A client's diary": upload a pain diary, see what the model makes of it and what
the client's pain is likely to do under each care plan.

The upload is bounded (:data:`MAX_UPLOAD_BYTES`, refused with 413 before it is read in
full) and checked at once by the application layer (:func:`painsim.app.diary.run_diary`
reads it with :func:`painsim.diary.read_diary`: a bad diary is 422 naming the row and
column); the fit and the forecasts run as a background job (progress, cancel, the jobs'
fairness limits). Nothing is stored unless the request asks for it (``keep``): the fit is
then a run of the results store, with its HTML report.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from painsim.web.common import ERRORS, ErrorBody, JobInfo, check_default_posterior, store_root, submit_job

router = APIRouter(tags=["diary"])

MAX_UPLOAD_BYTES = 200_000
"""Largest diary upload (bytes): the library's own limit, painsim.diary.reading.MAX_DIARY_BYTES."""
PARTICLES = (1000, 2000, 5000, 10_000)
"""The page's choices of particles (the API takes these only: the fit's cost grows with them)."""
DEFAULT_PARTICLES = 2000
DEFAULT_WEEKS = 12
POSTERIOR_DRAWS = {0: "none (the calibrated defaults)", 20: "20 draws of the default posterior"}
"""The page's choices of parameter uncertainty: draws of the shipped posterior the particles are shared among."""


def check_upload(data: bytes, name: str) -> None:
    """Read the diary once, before any job is queued; raise ValueError saying what is wrong."""
    from painsim.diary import DiaryError, read_diary

    try:
        read_diary(data, name=name, max_bytes=MAX_UPLOAD_BYTES)
    except DiaryError as err:
        raise ValueError(str(err)) from None


def diary_job(data: bytes, name: str, weeks: int, particles: int, seed: int, keep: bool, store: Path | None,
              job=None, draws: int = 0) -> dict[str, Any]:
    """Fit and forecast the uploaded diary (:func:`painsim.app.diary.run_diary`) as a job:
    the filter is the first 70% of the progress bar; the fit is stored only with ``keep``."""
    from painsim.app.diary import STAGE_FORECASTS, STAGE_LOOPS, run_diary, store_diary_fit
    from painsim.diary.inference import STAGE_PRIOR

    shares = {STAGE_PRIOR: (0.0, 0.2), STAGE_LOOPS: (0.7, 0.8), STAGE_FORECASTS: (0.8, 0.95)}

    def progress(stage: str, done: int, total: int) -> None:
        if job is not None:
            job.check()
            job.report(stage, done, total, shares.get(stage, (0.2, 0.7)))

    uncertainty: dict[str, Any] = {}
    if draws:
        from painsim.app.posterior import DEFAULT_POSTERIOR, load_posterior

        uncertainty = {"posterior": load_posterior(DEFAULT_POSTERIOR), "posterior_draws": draws}
    answer = run_diary(data, name=name, weeks=weeks, particles=particles, seed=seed, max_bytes=MAX_UPLOAD_BYTES,
                       progress=progress, **uncertainty)
    out = answer.to_json()
    out["run_id"] = None
    if keep:
        from painsim.tomlfiles import decode_utf8

        if job is not None:
            job.report("storing the fit", 0, 1, (0.95, 1.0))
        text = decode_utf8(data, name, ValueError, "diary")
        if job is not None:
            with job.uninterruptible():  # a cancel from here on waits for the commit
                out["run_id"] = store_diary_fit(answer, text, store)
        else:
            out["run_id"] = store_diary_fit(answer, text, store)
    return out


@router.post("/api/diary", status_code=202, response_model=JobInfo, responses={**ERRORS, 413: {"model": ErrorBody}},
             summary="Start fitting a client's pain diary (CSV) and forecasting each care plan")
async def diary(
    request: Request,
    file: Annotated[UploadFile, File(description=f"the diary CSV (at most {MAX_UPLOAD_BYTES:,} bytes): date, pain; "
                                                 "optional sleep, stress, activity and session columns")],
    weeks: Annotated[int, Form(ge=4, le=26, description="weeks to forecast")] = DEFAULT_WEEKS,
    particles: Annotated[int, Form(description=f"particles of the fit: one of {PARTICLES}")] = DEFAULT_PARTICLES,
    seed: Annotated[int, Form(ge=0, le=2**31 - 1)] = 1,
    keep: Annotated[bool, Form(description="keep the fit in the results store (default: nothing is stored)")] = False,
    draws: Annotated[int, Form(description=f"draws of the default posterior the particles are shared among: one of "
                                           f"{tuple(POSTERIOR_DRAWS)} (0: the calibrated defaults)")] = 0,
):
    from painsim.store import default_root

    if particles not in PARTICLES:
        raise HTTPException(422, f"particles must be one of {', '.join(f'{p:,}' for p in PARTICLES)}")
    if draws not in POSTERIOR_DRAWS:
        raise HTTPException(422, f"draws must be one of {', '.join(map(str, POSTERIOR_DRAWS))}")
    if draws:
        check_default_posterior()
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_UPLOAD_BYTES + 10_000:
        raise HTTPException(413, f"upload too large: at most {MAX_UPLOAD_BYTES:,} bytes")
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise HTTPException(413, f"upload too large: at most {MAX_UPLOAD_BYTES:,} bytes")
    name = Path(file.filename or "diary.csv").name[:100] or "diary.csv"
    try:
        await run_in_threadpool(check_upload, data, name)
    except ValueError as err:
        raise HTTPException(422, str(err)) from None
    root = store_root(request)
    target = (root if root is not None else default_root()).absolute() if keep else None
    params = {"file": name, "bytes": len(data), "weeks": weeks, "particles": particles, "seed": seed, "keep": keep,
              "draws": draws}
    return submit_job(request, "diary", partial(diary_job, data, name, weeks, particles, seed, keep, target,
                                                draws=draws), params)
