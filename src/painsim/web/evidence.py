"""Meta-analysis of an uploaded CSV for the Evidence page, as ``painsim meta`` does it.

The upload is read and the model fitted by the application layer, as for the command line
(:func:`painsim.app.read_meta_table`, :func:`painsim.app.meta_analyse`: metafor's ``rma``,
Egger's test, trim-and-fill, the GRADE-style certainty hints); this module adds the web's
bounds and the forest and funnel plots as PNG data URIs.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from painsim.app import meta_analyse
from painsim.evidence.effect_sizes import MEASURES
from painsim.evidence.heterogeneity import METHODS
from painsim.evidence.report import json_safe
from painsim.evidence.rma import TESTS
from painsim.web.common import ERRORS, PLOT_LOCK, ErrorBody, png_data_uri

MAX_UPLOAD_BYTES = 1_000_000
MAX_STUDIES = 500
DEFAULTS = {name: inspect.signature(meta_analyse).parameters[name].default for name in ("measure", "method", "test")}
"""The form's defaults: the application layer's (``painsim meta``'s)."""

router = APIRouter(tags=["evidence"])


class EvidenceInputError(ValueError):
    """The upload or the options cannot be analysed; the message says why."""


def analyse_csv(data: bytes, measure: str, method: str, test: str = "z", level: float = 95.0) -> dict[str, Any]:
    """Fit the meta-analysis of the CSV ``data`` with the application layer
    (:func:`painsim.app.read_meta_table`, :func:`painsim.app.meta_analyse`, with trim-and-fill)
    and draw its plots; raise :class:`EvidenceInputError` on bad input."""
    import matplotlib

    matplotlib.use("Agg")
    from painsim.app import AppInputError, meta_analyse, read_meta_table
    from painsim.evidence.plots import forest_plot, funnel_plot

    if not 50.0 <= level < 100.0:
        raise EvidenceInputError(f"level must be in [50, 100) (got {level:g})")
    try:
        table = read_meta_table(data, max_bytes=MAX_UPLOAD_BYTES, max_studies=MAX_STUDIES, name="upload.csv")
        meta = meta_analyse(table, measure, method, test, level, trimfill=True)
    except AppInputError as err:
        raise EvidenceInputError(str(err)) from None
    fit, tf = meta.fit, meta.trimfill
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with PLOT_LOCK:
                forest = png_data_uri(forest_plot(fit))
                funnel = png_data_uri(funnel_plot(tf.fit, fill=tf.fill) if tf is not None and tf.k0 > 0
                                      else funnel_plot(fit))
    except (ValueError, ArithmeticError) as err:
        raise EvidenceInputError(f"cannot draw the plots: {err}") from None
    return json_safe({
        "fit": fit.to_dict(),
        "studies": meta.studies(),
        **meta.certainty_json(),
        "certainty_lines": meta.certainty.lines(),
        "trimfill": tf.to_dict() if tf is not None else None,
        "forest_png": forest,
        "funnel_png": funnel,
    })


@router.post("/api/evidence", responses={**ERRORS, 413: {"model": ErrorBody}},
             summary="Meta-analysis of an uploaded CSV: fit, forest and funnel plots, certainty")
async def evidence(
    request: Request,
    file: Annotated[UploadFile, File(description=f"CSV, one row per study (at most {MAX_UPLOAD_BYTES:,} bytes)")],
    measure: Annotated[Literal[MEASURES], Form()] = DEFAULTS["measure"],  # type: ignore[valid-type]
    method: Annotated[Literal[METHODS], Form()] = DEFAULTS["method"],  # type: ignore[valid-type]
    test: Annotated[Literal[TESTS], Form()] = DEFAULTS["test"],  # type: ignore[valid-type]
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
