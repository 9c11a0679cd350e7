"""The FastAPI application: JSON API under ``/api`` and the front end under ``/``.

``create_app(store)`` returns the app; ``painsim serve`` runs it with uvicorn. It only
composes: one router per page module (:data:`ROUTERS`), the middleware and the error
handlers; the app's state (jobs, store, export slots) is on ``app.state`` and read by the
routers through :mod:`painsim.web.common`. The API is described by OpenAPI at
``/openapi.json`` (interactive docs at ``/docs``). Long computations (patient twins, the
massage question, trials) are background jobs: ``POST`` returns ``202`` with a job,
``GET /api/jobs/{id}`` reports progress and the result, and ``POST /api/jobs/{id}/cancel``
stops it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.middleware.trustedhost import TrustedHostMiddleware

from painsim.web import diary, evidence, exports, jobs, massage, meta, patient, runs, trials, worth
from painsim.web.common import DISCLAIMER, STORE_LABEL, version
from painsim.web.errors import CatchAllMiddleware, log_failure, public_message
from painsim.web.jobs import Isolation, JobManager, default_per_client
from painsim.web.security import SecurityHeadersMiddleware, StrictJSONMiddleware, allowed_hosts, json_safe

ROUTERS = (meta.router, patient.router, diary.router, massage.router, worth.router, trials.router, evidence.router,
           runs.router, jobs.router)
"""One router per page (and meta: health, choices, diagram, the front end; jobs: their status)."""


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
    manager = JobManager(workers=workers, max_pending=max_pending, execute=execute_jobs, max_per_client=per_client,
                         isolation=isolation, path_labels=labels)
    slots = exports.ExportSlots(export_slots)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        manager.shutdown()

    # FastAPIOffline: FastAPI whose /docs and /redoc load Swagger UI and ReDoc from files shipped
    # with the package, not from a CDN, so the API docs work on machines without internet
    app = FastAPIOffline(
        title="painsim web",
        version=version(),
        description="An in-silico laboratory for chronic back pain: patient twins, the massage question, "
        f"virtual trials, evidence synthesis and stored runs. {DISCLAIMER}",
        lifespan=lifespan,
    )
    app.state.jobs = manager
    app.state.store_root = store_root
    app.state.export_slots = slots
    app.state.path_labels = labels
    app.state.power_jobs = power_jobs
    # outermost last: headers on every response, then the host check, then the catch-all 500
    app.add_middleware(StrictJSONMiddleware)
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(hosts) if hosts is not None else allowed_hosts(),
                       www_redirect=False)
    app.add_middleware(SecurityHeadersMiddleware)
    _add_error_handlers(app, labels)

    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=meta.static_dir()), name="static")
    return app


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



__all__ = ["DISCLAIMER", "ROUTERS", "create_app"]
