"""What the page routers of the web app share: response models, the app's state, job
submission, the results store, and figures as PNG data URIs.

Every page module (``massage``, ``patient``, ``trials``, ``evidence``, ``runs``, ``jobs``,
``meta``) has one :class:`fastapi.APIRouter`; ``app.py`` composes them. They meet only here:
no page module imports another page module's private names.
"""

from __future__ import annotations

import base64
import io
import threading
from typing import Any, Literal

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from painsim.texts import DISCLAIMER as DISCLAIMER  # declared once there
from painsim.web.errors import log_failure, public_message

STORE_LABEL = "<store>"

PLOT_LOCK = threading.Lock()
"""matplotlib's pyplot state is not thread-safe: hold this while a figure is drawn and saved."""


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


def png_data_uri(fig) -> str:
    """``fig`` as a PNG data URI (the figure is closed); call it holding :data:`PLOT_LOCK`."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def client_of(request: Request) -> str:
    """Who a job belongs to, for fairness: the remote address (behind a proxy, the proxy's)."""
    return request.client.host if request.client is not None else "unknown"


def submit_job(request: Request, kind: str, fn, params: dict[str, Any]) -> JSONResponse:
    """Queue ``fn`` as a background job of the app; 202 with the job, 429 when too many are queued."""
    from painsim.web.jobs import TooManyJobsError

    try:
        job = request.app.state.jobs.submit(kind, fn, params, client=client_of(request))
    except TooManyJobsError as err:
        raise HTTPException(429, str(err)) from None
    return JSONResponse(job.to_dict(), status_code=202, headers={"Location": f"/api/jobs/{job.id}"})


def store_root(request: Request):
    """The app's store folder as given to ``create_app`` (None: the default store)."""
    return request.app.state.store_root


def path_labels(request: Request) -> dict[str, str]:
    """Folder -> label, to keep server paths out of error messages."""
    return request.app.state.path_labels


def open_store(request: Request):
    """The app's results store; 409 naming the problem when it cannot be opened."""
    from painsim.store import Store, StoreError

    try:
        return Store(store_root(request))
    except StoreError as err:
        log_failure("the results store cannot be opened", err)
        raise HTTPException(409, "the results store cannot be opened: "
                                 f"{public_message(err, path_labels(request))}") from None


def check_default_posterior(option: str = "draws") -> None:
    """422 unless the posterior shipped with painsim exists and is of this model: checked
    before a job is submitted, so a missing or stale posterior is not a failed job."""
    from painsim.app import AppInputError
    from painsim.app.posterior import DEFAULT_POSTERIOR, check_model_version, load_posterior

    try:
        check_model_version(load_posterior(DEFAULT_POSTERIOR))
    except AppInputError as err:
        raise HTTPException(422, f"{option}: {err}") from None


def version() -> str:
    from painsim import __version__

    return __version__
