"""The runs page's router: stored runs, their tables as CSV, a zip of a run, its HTML report.

Downloads are streamed from a temporary file prepared in an export slot
(:mod:`painsim.web.exports`); every table's checksum is verified as it is read
(:class:`painsim.web.errors.SafeRun`), so a damaged run is a clear 500 naming the run and
the table, never a corrupt file.
"""

from __future__ import annotations

from typing import IO, Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from painsim.web import exports
from painsim.web.common import DOWNLOAD_ERRORS, ErrorBody, open_store, path_labels
from painsim.web.errors import SafeRun, public_message

RUN_ID = r"^[0-9A-Za-z][0-9A-Za-z-]{0,63}$"
TABLE = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$"
RunId = Annotated[str, PathParam(pattern=RUN_ID, description="run id or a unique prefix of it")]
TableName = Annotated[str, PathParam(pattern=TABLE, description="table name")]

router = APIRouter(tags=["runs"])


def get_run(request: Request, run_id: str) -> SafeRun:
    """The stored run ``run_id`` (or a unique prefix); 404 when there is none, 409 when ambiguous."""
    from painsim.store import AmbiguousRunError, RunNotFoundError

    try:
        return SafeRun(open_store(request).get(run_id))
    except RunNotFoundError:
        raise HTTPException(404, f"no run {run_id}") from None
    except AmbiguousRunError as err:
        raise HTTPException(409, public_message(err, path_labels(request))) from None


def _download(file: IO[bytes], media_type: str, filename: str) -> StreamingResponse:
    return StreamingResponse(exports.chunks(file), media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Content-Length": str(exports.size_of(file))})


@router.get("/api/runs", responses={500: {"model": ErrorBody}}, summary="Stored runs, newest first")
def runs(request: Request) -> list[dict[str, Any]]:
    frame = open_store(request).runs()
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()
                    if k in ("run_id", "name", "seed", "version", "started", "finished", "tables")})
    for row in out:
        row["tables"] = list(row.get("tables") or [])
    return out


@router.get("/api/runs/{run_id}", responses=DOWNLOAD_ERRORS, summary="One run: metadata, summary, tables")
def run_detail(run_id: RunId, request: Request) -> dict[str, Any]:
    run = get_run(request, run_id)
    meta = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in run.metadata.items()}
    weekly = None
    if "daily" in run.tables:
        daily = run.table("daily")
        if {"arm", "day", "pain_mean"} <= set(daily.columns):
            weekly = {str(arm): [round(float(v), 4) for v in g.sort_values("day")["pain_mean"].iloc[::7]]
                      for arm, g in daily.groupby("arm", sort=False)}
    return {"metadata": meta, "summary": run.summary, "table_rows": run.table_rows(),
            "scenario_text": run.scenario_text, "weekly_pain": weekly}


@router.get("/api/runs/{run_id}/tables/{table}.csv", responses=DOWNLOAD_ERRORS,
            summary="Download one table of a run as CSV", response_class=Response)
async def run_table_csv(run_id: RunId, table: TableName, request: Request) -> StreamingResponse:
    run = await run_in_threadpool(get_run, request, run_id)
    if table not in run.tables:
        raise HTTPException(404, f"run {run.run_id} has no table {table!r}; tables: {run.tables}")
    async with request.app.state.export_slots:
        file = await run_in_threadpool(exports.table_csv, run, table)
    return _download(file, "text/csv; charset=utf-8", f"{run.run_id}-{table}.csv")


@router.get("/api/runs/{run_id}/export.zip", responses=DOWNLOAD_ERRORS, response_class=Response,
            summary="Download a run (every table as CSV, scenario.toml, summary.json) as a zip file")
async def run_zip(run_id: RunId, request: Request) -> StreamingResponse:
    run = await run_in_threadpool(get_run, request, run_id)
    async with request.app.state.export_slots:
        file = await run_in_threadpool(exports.run_zip, run)
    return _download(file, "application/zip", f"{run.run_id}.zip")


@router.get("/api/runs/{run_id}/report", responses=DOWNLOAD_ERRORS, response_class=HTMLResponse,
            summary="The run's self-contained HTML report")
async def run_report(run_id: RunId, request: Request) -> HTMLResponse:
    from painsim.report import render_report

    run = await run_in_threadpool(get_run, request, run_id)
    async with request.app.state.export_slots:
        return HTMLResponse(await run_in_threadpool(render_report, run))
