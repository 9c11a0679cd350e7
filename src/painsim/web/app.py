"""The FastAPI application: JSON API under ``/api`` and the front end under ``/``.

``create_app(store)`` returns the app; ``painsim serve`` runs it with uvicorn. The API is
described by OpenAPI at ``/openapi.json`` (interactive docs at ``/docs``). Long
computations (patient twins, the massage question, trials) are background jobs: ``POST``
returns ``202`` with a job, ``GET /api/jobs/{id}`` reports progress and the result, and
``POST /api/jobs/{id}/cancel`` stops it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import asynccontextmanager
from functools import partial
from importlib import resources
from pathlib import Path
from typing import IO, Annotated, Any, Literal

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.middleware.trustedhost import TrustedHostMiddleware

from painsim.web import exports
from painsim.web.errors import CatchAllMiddleware, SafeRun, log_failure, public_message
from painsim.web.evidence import MAX_UPLOAD_BYTES, MEASURES, METHODS, TESTS, EvidenceInputError, analyse_csv
from painsim.web.jobs import Isolation, JobManager, TooManyJobsError, default_per_client
from painsim.web.massage import MassageRequest, run_massage
from painsim.web.patient import PROFILE_TRAITS, PatientRequest, patient_job
from painsim.web.security import SecurityHeadersMiddleware, StrictJSONMiddleware, allowed_hosts, json_safe
from painsim.web.trials import (
    DEFAULT_SPEC,
    MAX_ARMS,
    MAX_IMPUTATIONS,
    MAX_N_PER_ARM,
    MAX_N_TOTAL,
    MAX_POWER_N,
    MAX_POWER_POINTS,
    MAX_POWER_REPS,
    MAX_POWER_TRIALS,
    MAX_WEEKS,
    WEB_LIMITS,
    PowerRequest,
    TrialBoundsError,
    TrialRequest,
    TrialSpecError,
    check_power,
    parse_spec,
    run_power_job,
    run_trial_job,
)

DISCLAIMER = "painsim is a research model, not medical advice."
RUN_ID = r"^[0-9A-Za-z][0-9A-Za-z-]{0,63}$"
TABLE = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$"
JobId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{1,32}$", description="job id")]
RunId = Annotated[str, PathParam(pattern=RUN_ID, description="run id or a unique prefix of it")]
TableName = Annotated[str, PathParam(pattern=TABLE, description="table name")]


class JobInfo(BaseModel):
    """A background job: its state, progress (0-1) and, once done, its result."""

    id: str
    kind: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    progress: float = Field(ge=0, le=1)
    stage: str
    error: str | None = None
    params: dict[str, Any]
    created: float
    started: float | None = None
    finished: float | None = None
    result: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    detail: Any


ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}, 409: {"model": ErrorBody},
                                          422: {"model": ErrorBody}, 429: {"model": ErrorBody}}
DOWNLOAD_ERRORS: dict[int | str, dict[str, Any]] = {**ERRORS, 413: {"model": ErrorBody}, 500: {"model": ErrorBody}}
STORE_LABEL = "<store>"


def static_dir() -> Path:
    return Path(str(resources.files("painsim.web").joinpath("static")))


def create_app(store: str | Path | None = None, *, workers: int = 1, max_pending: int = 8,
               execute_jobs: bool = True, power_jobs: int = 1, max_per_client: int | None = None,
               isolation: Isolation = "process", hosts: Sequence[str] | None = None,
               export_slots: int = exports.DEFAULT_SLOTS) -> FastAPI:
    """The painsim web application.

    Parameters
    ----------
    store : results store folder (default: $PAINSIM_STORE, else the user data folder).
    workers : jobs run at the same time.
    max_pending : jobs queued or running at most; more get 429.
    execute_jobs : False accepts jobs without running them (schema tests).
    power_jobs : worker processes of a power-curve job (:func:`painsim.trials.power_curve`;
        the curve does not depend on it).
    max_per_client : jobs one client (remote address) may have queued or running
        (default: half of ``max_pending``); more get 429.
    isolation : ``"process"`` runs each job in a child process that a cancel can stop at
        once; ``"thread"`` on a thread of the server (cancel at the job's next progress
        report; for tests that patch library functions).
    hosts : the Host names the app answers to (default: :func:`painsim.web.security.allowed_hosts`,
        this machine's names and ``$PAINSIM_WEB_ALLOWED_HOSTS``); other hosts get 400.
    export_slots : zips, CSVs and reports prepared at the same time.
    """
    from painsim.store import default_root

    store_root = Path(store).expanduser() if store is not None else None
    labels = {str(store_root or default_root()): STORE_LABEL}
    if store_root is not None:
        labels[str(store_root.resolve())] = STORE_LABEL
    per_client = max_per_client if max_per_client is not None else default_per_client(max_pending)
    jobs = JobManager(workers=workers, max_pending=max_pending, execute=execute_jobs, max_per_client=per_client,
                      isolation=isolation, path_labels=labels)
    slots = exports.ExportSlots(export_slots)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        jobs.shutdown()

    # FastAPIOffline: FastAPI whose /docs and /redoc load Swagger UI and ReDoc from files shipped
    # with the package, not from a CDN, so the API docs work on machines without internet
    app = FastAPIOffline(
        title="painsim web",
        version=_version(),
        description="An in-silico laboratory for chronic back pain: patient twins, the massage question, "
        f"virtual trials, evidence synthesis and stored runs. {DISCLAIMER}",
        lifespan=lifespan,
    )
    app.state.jobs = jobs
    app.state.store_root = store_root
    app.state.export_slots = slots
    # outermost last: headers on every response, then the host check, then the catch-all 500
    app.add_middleware(StrictJSONMiddleware)
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(hosts) if hosts is not None else allowed_hosts(),
                       www_redirect=False)
    app.add_middleware(SecurityHeadersMiddleware)
    _add_error_handlers(app, labels)

    def _store():
        from painsim.store import Store, StoreError

        try:
            return Store(store_root)
        except StoreError as err:
            log_failure("the results store cannot be opened", err)
            raise HTTPException(409, f"the results store cannot be opened: {public_message(err, labels)}") from None

    def _submit(kind: str, fn, params: dict[str, Any], request: Request) -> JSONResponse:
        try:
            job = jobs.submit(kind, fn, params, client=_client(request))
        except TooManyJobsError as err:
            raise HTTPException(429, str(err)) from None
        return JSONResponse(job.to_dict(), status_code=202, headers={"Location": f"/api/jobs/{job.id}"})

    # ---- meta -------------------------------------------------------------------------
    @app.get("/api/health", tags=["meta"], summary="Liveness and version")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": _version(), "disclaimer": DISCLAIMER}

    @app.get("/api/diagram", tags=["meta"], summary="The causal-loop diagram (nodes, edges, loops)")
    def diagram() -> dict[str, Any]:
        from painsim.engine.diagram import GROUPS, POSITIONS
        from painsim.engine.loops import LOOPS, edges

        return {
            "nodes": [{"id": k, "x": x, "y": y, "group": GROUPS.get(k, "biology")} for k, (x, y) in POSITIONS.items()],
            "edges": [{"source": e.source, "target": e.target, "sign": e.sign,
                       "loops": [lp.name for lp in LOOPS if e in lp.edges]} for e in edges()],
            "loops": [{"name": lp.name, "label": lp.label, "kind": lp.kind} for lp in LOOPS],
        }

    @app.get("/api/profile", tags=["meta"], summary="Profile sliders: trait, label, default")
    def profile_fields() -> dict[str, Any]:
        from painsim.web.patient import PlanChoice, Profile

        defaults = Profile().model_dump()
        return {"traits": [{"key": k, "trait": t, "label": label, "default": defaults[k]}
                           for k, (t, label) in PROFILE_TRAITS.items()],
                "plan_defaults": PlanChoice().model_dump()}

    # ---- jobs -------------------------------------------------------------------------
    @app.post("/api/patient", status_code=202, response_model=JobInfo, responses=ERRORS, tags=["patient"],
              summary="Start simulating twins of a patient profile under a care plan")
    def patient(req: PatientRequest, request: Request) -> JSONResponse:
        if req.plan.last_day() >= req.horizon_days:
            raise HTTPException(422, f"the care plan runs to day {req.plan.last_day()}; "
                                     f"horizon_days ({req.horizon_days}) must go beyond it")
        return _submit("patient", partial(patient_job, req), req.model_dump(), request)

    @app.post("/api/massage", status_code=202, response_model=JobInfo, responses=ERRORS, tags=["massage"],
              summary="Start the flagship scenario: does massage work for chronic back pain?")
    def massage(req: MassageRequest, request: Request) -> JSONResponse:
        # the job's process gets the store as an absolute path, resolved here (its cwd and
        # environment are those of the job server, started with the app)
        target = (store_root if store_root is not None else default_root()).absolute()
        return _submit("massage", partial(run_massage, req, target), req.model_dump(), request)

    def _trial_spec(text: str):
        try:
            return parse_spec(text)
        except (TrialSpecError, TrialBoundsError) as err:
            raise HTTPException(422, str(err)) from None

    @app.post("/api/trial", status_code=202, response_model=JobInfo, responses=ERRORS, tags=["trial"],
              summary="Start a virtual trial (painsim.trials) from a TOML spec: CONSORT flow, comparisons, plot")
    def trial(req: TrialRequest, request: Request) -> JSONResponse:
        spec = _trial_spec(req.spec)
        return _submit("trial", partial(run_trial_job, spec, req),
                       {**req.model_dump(), "name": spec.name, "n_total": spec.n_total}, request)

    @app.post("/api/trial/power", status_code=202, response_model=JobInfo, responses=ERRORS, tags=["trial"],
              summary="Start a power curve of a trial spec's primary comparison (painsim.trials.power_curve)")
    def trial_power(req: PowerRequest, request: Request) -> JSONResponse:
        spec = _trial_spec(req.spec)
        try:
            check_power(spec, req)
        except TrialBoundsError as err:
            raise HTTPException(422, str(err)) from None
        return _submit("trial_power", partial(run_power_job, spec, req, jobs=power_jobs),
                       {**req.model_dump(), "name": spec.name}, request)

    @app.get("/api/trial/default", tags=["trial"], summary="The example trial spec (TOML) and the web's bounds")
    def trial_default() -> dict[str, Any]:
        return {"spec": DEFAULT_SPEC, "bounds": {
            "n_per_arm": MAX_N_PER_ARM, "n_total": MAX_N_TOTAL, "arms": MAX_ARMS, "last_visit_week": MAX_WEEKS,
            "imputations": MAX_IMPUTATIONS, "power_n": MAX_POWER_N, "power_points": MAX_POWER_POINTS,
            "power_reps": MAX_POWER_REPS, "power_trials": MAX_POWER_TRIALS, "block_size": WEB_LIMITS.max_block_size,
            "screening_candidates": WEB_LIMITS.max_screening_candidates}}

    @app.get("/api/jobs", response_model=list[JobInfo], tags=["jobs"], summary="Recent jobs, newest first")
    def list_jobs() -> list[dict[str, Any]]:
        return [j.to_dict(with_result=False) for j in jobs.list()]

    @app.get("/api/jobs/{job_id}", response_model=JobInfo, responses=ERRORS, tags=["jobs"],
             summary="A job's status, progress and result")
    def get_job(job_id: JobId) -> dict[str, Any]:
        job = jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id}")
        return job.to_dict()

    @app.post("/api/jobs/{job_id}/cancel", response_model=JobInfo, responses=ERRORS, tags=["jobs"],
              summary="Cancel a job (a queued job at once, a running one within about a second)")
    def cancel_job(job_id: JobId) -> dict[str, Any]:
        job = jobs.cancel(job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id}")
        return job.to_dict(with_result=False)

    # ---- evidence ---------------------------------------------------------------------
    @app.post("/api/evidence", responses={**ERRORS, 413: {"model": ErrorBody}}, tags=["evidence"],
              summary="Meta-analysis of an uploaded CSV: fit, forest and funnel plots, certainty")
    async def evidence(
        request: Request,
        file: Annotated[UploadFile, File(description=f"CSV, one row per study (at most {MAX_UPLOAD_BYTES:,} bytes)")],
        measure: Annotated[Literal[MEASURES], Form()] = "GEN",  # type: ignore[valid-type]
        method: Annotated[Literal[METHODS], Form()] = "REML",  # type: ignore[valid-type]
        test: Annotated[Literal[TESTS], Form()] = "z",  # type: ignore[valid-type]
        level: Annotated[float, Form(ge=50, lt=100)] = 95.0,
    ) -> dict[str, Any]:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_UPLOAD_BYTES + 10_000:
            raise HTTPException(413, f"upload too large: at most {MAX_UPLOAD_BYTES:,} bytes")
        data = await file.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise HTTPException(413, f"upload too large: at most {MAX_UPLOAD_BYTES:,} bytes")
        try:
            return await run_in_threadpool(analyse_csv, data, measure, method, test, level)
        except EvidenceInputError as err:
            raise HTTPException(422, str(err)) from None

    # ---- runs -------------------------------------------------------------------------
    def _get_run(run_id: str) -> SafeRun:
        from painsim.store import AmbiguousRunError, RunNotFoundError

        try:
            return SafeRun(_store().get(run_id))
        except RunNotFoundError:
            raise HTTPException(404, f"no run {run_id}") from None
        except AmbiguousRunError as err:
            raise HTTPException(409, public_message(err, labels)) from None

    def _download(file: IO[bytes], media_type: str, filename: str) -> StreamingResponse:
        return StreamingResponse(exports.chunks(file), media_type=media_type, headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Length": str(exports.size_of(file))})

    @app.get("/api/runs", responses={500: {"model": ErrorBody}}, tags=["runs"], summary="Stored runs, newest first")
    def runs() -> list[dict[str, Any]]:
        frame = _store().runs()
        out = []
        for row in frame.to_dict(orient="records"):
            out.append({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()
                        if k in ("run_id", "name", "seed", "version", "started", "finished", "tables")})
        for row in out:
            row["tables"] = list(row.get("tables") or [])
        return out

    @app.get("/api/runs/{run_id}", responses=DOWNLOAD_ERRORS, tags=["runs"],
             summary="One run: metadata, summary, tables")
    def run_detail(run_id: RunId) -> dict[str, Any]:
        run = _get_run(run_id)
        meta = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in run.metadata.items()}
        weekly = None
        if "daily" in run.tables:
            daily = run.table("daily")
            if {"arm", "day", "pain_mean"} <= set(daily.columns):
                weekly = {str(arm): [round(float(v), 4) for v in g.sort_values("day")["pain_mean"].iloc[::7]]
                          for arm, g in daily.groupby("arm", sort=False)}
        return {"metadata": meta, "summary": run.summary, "table_rows": run.table_rows(),
                "scenario_text": run.scenario_text, "weekly_pain": weekly}

    @app.get("/api/runs/{run_id}/tables/{table}.csv", responses=DOWNLOAD_ERRORS, tags=["runs"],
             summary="Download one table of a run as CSV", response_class=Response)
    async def run_table_csv(run_id: RunId, table: TableName) -> StreamingResponse:
        run = await run_in_threadpool(_get_run, run_id)
        if table not in run.tables:
            raise HTTPException(404, f"run {run.run_id} has no table {table!r}; tables: {run.tables}")
        async with slots:
            file = await run_in_threadpool(exports.table_csv, run, table)
        return _download(file, "text/csv; charset=utf-8", f"{run.run_id}-{table}.csv")

    @app.get("/api/runs/{run_id}/export.zip", responses=DOWNLOAD_ERRORS, tags=["runs"], response_class=Response,
             summary="Download a run (every table as CSV, scenario.toml, summary.json) as a zip file")
    async def run_zip(run_id: RunId) -> StreamingResponse:
        run = await run_in_threadpool(_get_run, run_id)
        async with slots:
            file = await run_in_threadpool(exports.run_zip, run)
        return _download(file, "application/zip", f"{run.run_id}.zip")

    @app.get("/api/runs/{run_id}/report", responses=DOWNLOAD_ERRORS, tags=["runs"], response_class=HTMLResponse,
             summary="The run's self-contained HTML report")
    async def run_report(run_id: RunId) -> HTMLResponse:
        from painsim.report import render_report

        run = await run_in_threadpool(_get_run, run_id)
        async with slots:
            return HTMLResponse(await run_in_threadpool(render_report, run))

    # ---- front end --------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(static_dir() / "index.html")

    app.mount("/static", StaticFiles(directory=static_dir()), name="static")
    return app


def _client(request: Request) -> str:
    """Who a job belongs to, for fairness: the remote address (behind a proxy, the proxy's)."""
    return request.client.host if request.client is not None else "unknown"


def _add_error_handlers(app: FastAPI, labels: dict[str, str]) -> None:
    """Clear, strict-JSON errors for bad input, a damaged store and slow or large downloads."""
    from painsim.store import StoreError

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, err: RequestValidationError) -> JSONResponse:
        # the offending input is echoed back; NaN, inf and lone surrogates made printable
        return JSONResponse({"detail": json_safe(err.errors())}, status_code=422)

    @app.exception_handler(StoreError)
    async def store_failed(request: Request, err: StoreError) -> JSONResponse:
        # a damaged run names the run and the table; anything else is the store as a whole
        error_id = log_failure(f"{request.method} {request.url.path}: the results store failed", err)
        message = public_message(err, labels)
        run_id, table = getattr(err, "run_id", None), getattr(err, "table", None)
        detail = message if run_id else f"the results store cannot be read: {message}"
        return JSONResponse({"detail": f"{detail} (error id {error_id})", "error_id": error_id,
                             "run_id": run_id, "table": table}, status_code=500)

    @app.exception_handler(exports.ExportBusyError)
    async def busy(_request: Request, err: exports.ExportBusyError) -> JSONResponse:
        return JSONResponse({"detail": str(err)}, status_code=429, headers={"Retry-After": "10"})

    @app.exception_handler(exports.ExportTooLargeError)
    async def too_large(_request: Request, err: exports.ExportTooLargeError) -> JSONResponse:
        return JSONResponse({"detail": str(err)}, status_code=413)


def _version() -> str:
    from painsim import __version__

    return __version__


