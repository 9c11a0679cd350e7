"""Meta-analysis of an uploaded CSV for the Evidence page, as ``painsim meta`` does it.

The upload is parsed with the same reader and validators as the command line, the model
is fitted with :func:`painsim.evidence.rma` (equal to metafor's ``rma``), and the forest
and funnel plots are returned as PNG data URIs with the GRADE-style certainty hints.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from painsim.evidence.effect_sizes import MEASURES
from painsim.evidence.heterogeneity import METHODS
from painsim.evidence.report import json_safe
from painsim.evidence.rma import TESTS
from painsim.web.common import ERRORS, PLOT_LOCK, ErrorBody, png_data_uri

MAX_UPLOAD_BYTES = 1_000_000
MAX_STUDIES = 500
DEFAULTS = {"measure": "GEN", "method": "REML", "test": "z"}
"""The form's defaults (as ``painsim meta``'s)."""

router = APIRouter(tags=["evidence"])


class EvidenceInputError(ValueError):
    """The upload or the options cannot be analysed; the message says why."""


def analyse_csv(data: bytes, measure: str, method: str, test: str = "z", level: float = 95.0) -> dict[str, Any]:
    """Fit the meta-analysis of the CSV ``data``; raise :class:`EvidenceInputError` on bad input."""
    import matplotlib

    matplotlib.use("Agg")
    from painsim.evidence.certainty import assess_certainty
    from painsim.evidence.diagnostics import regtest, trimfill
    from painsim.evidence.heterogeneity import ConvergenceError
    from painsim.evidence.io import InputError, effect_sizes_from_frame, read_table
    from painsim.evidence.plots import forest_plot, funnel_plot
    from painsim.evidence.rma import rma

    if len(data) > MAX_UPLOAD_BYTES:
        raise EvidenceInputError(f"the file is {len(data):,} bytes; at most {MAX_UPLOAD_BYTES:,} are accepted")
    if not 50.0 <= level < 100.0:
        raise EvidenceInputError(f"level must be in [50, 100) (got {level:g})")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EvidenceInputError("the file is not UTF-8 text; upload a CSV file") from None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.csv"
        path.write_text(text, encoding="utf-8")
        try:
            df = read_table(path)
            if len(df) > MAX_STUDIES:
                raise InputError(f"{len(df)} rows; at most {MAX_STUDIES} studies are accepted")
            es = effect_sizes_from_frame(df, measure, min_k=2)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = rma(es, method=method, test=test, level=level)
                egger = None
                if fit.k >= 3:
                    try:
                        egger = regtest(fit)
                    except (ValueError, ConvergenceError, ArithmeticError):
                        egger = None
                cert = assess_certainty(fit, egger.pval if egger is not None else None)
                tf = None
                if fit.k >= 3:
                    try:
                        tf = trimfill(fit)
                    except (ValueError, RuntimeError, ArithmeticError):
                        tf = None
                with PLOT_LOCK:
                    forest = png_data_uri(forest_plot(fit))
                    funnel = png_data_uri(funnel_plot(tf.fit, fill=tf.fill) if tf is not None and tf.k0 > 0
                                  else funnel_plot(fit))
        except InputError as err:
            raise EvidenceInputError(str(err).replace(str(path), "upload.csv")) from None
        except (ValueError, ConvergenceError, ArithmeticError) as err:
            raise EvidenceInputError(f"cannot fit the model: {err}") from None
    summary = fit.to_dict()
    return json_safe({
        "fit": summary,
        "studies": [{"study": lab, "yi": float(y), "vi": float(v), "weight": float(w)}
                    for lab, y, v, w in zip(es.labels, es.yi, es.vi, fit.weights, strict=True)],
        "egger": egger.to_dict() if egger is not None else None,
        "certainty": cert.to_dict(),
        "certainty_lines": cert.lines(),
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
