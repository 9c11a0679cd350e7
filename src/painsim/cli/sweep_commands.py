"""``painsim sweep``: a scenario at every point of a parameter grid, as a resumable Dask sweep."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from painsim.app import sweep_results_folder
from painsim.cli.common import (
    DISCLAIMER,
    ResultsOption,
    SchedulerOption,
    StoreOption,
    WorkersOption,
    check_outputs,
    check_results_folder,
    check_store,
    cluster_client,
    fail,
    load_scenario_file,
    progress,
    seed_option,
    store_sweep_run,
)

MAX_POINTS = 10_000
SHOWN_ROWS = 40

app = typer.Typer()


def parse_grid_option(text: str) -> tuple[str, list[float]]:
    """``NAME=V1,V2,...`` or ``NAME=START:STOP:STEP`` (inclusive) -> (name, values).

    ``NAME`` is a model or care parameter (docs/model.md, docs/care.md) or ``loop.LOOP``, a
    loop gain (1 = as calibrated). Raise ValueError with what is allowed.
    """
    from painsim.calibration.targets import check_parameter
    from painsim.engine import LOOP_NAMES

    name, sep, spec = text.partition("=")
    name = name.strip()
    if not sep or not name or not spec.strip():
        raise ValueError(f"{text!r} must be NAME=V1,V2,... or NAME=START:STOP:STEP, e.g. heal_rate=0.05:0.08:0.01")
    try:
        if ":" in spec:
            start, stop, step = (float(x) for x in spec.split(":"))
            if step <= 0 or stop < start:
                raise ValueError
            count = math.floor((stop - start) / step + 1e-9) + 1
            if count > MAX_POINTS:
                raise ValueError
            values = [round(start + k * step, 12) for k in range(count)]
        else:
            values = [float(x) for x in spec.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"{text!r}: values must be numbers, V1,V2,... or START:STOP:STEP with STEP > 0, "
                         f"STOP >= START and at most {MAX_POINTS:,} values") from None
    if not values or not all(math.isfinite(v) for v in values):
        raise ValueError(f"{text!r}: no finite values")
    if name.startswith("loop."):
        loop = name.removeprefix("loop.")
        if loop not in LOOP_NAMES:
            raise ValueError(f"unknown loop {loop!r}; loops: {', '.join('loop.' + n for n in LOOP_NAMES)}")
        if min(values) < 0:
            raise ValueError(f"{name}: a loop gain cannot be negative (got {min(values)})")
    else:
        check_parameter(name, min(values), max(values))
    return name, values


@app.command()
def sweep(
    scenario_file: Path = typer.Argument(..., metavar="SCENARIO", help="Scenario file (TOML)."),
    grid: list[str] = typer.Option(..., "--grid", help="NAME=V1,V2,... or NAME=START:STOP:STEP (inclusive); "
                                                         "repeat for more dimensions. NAME: a model or care "
                                                         "parameter, or loop.LOOP (a loop gain)."),
    n: int = typer.Option(None, min=10, max=1_000_000, help="Patients per grid point (default: the scenario's)."),
    seed: int = seed_option(None, "Seed (default: the scenario's); the same patients at every point."),
    out: Path = typer.Option(Path("painsim-output"), help="Folder for the CSV of the grid."),
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    results: ResultsOption = None,
    store: StoreOption = None,
    as_json: bool = typer.Option(False, "--json", help="Print the JSON summary only."),
) -> None:
    """Run a scenario at every point of a parameter grid (resumable, on Dask; docs/scaling.md).

    Per arm and point: mean pain over the last 28 days, the share still chronic and the share
    that recovered."""
    from painsim.app import check_grid_sweep, grid_sweep, grid_tasks
    from painsim.limits import LimitError
    from painsim.outputs import RUN_ID_PLACEHOLDER, output_path
    from painsim.sweeps import SweepError

    scenario, text = load_scenario_file(scenario_file)
    axes: dict[str, list[float]] = {}
    for item in grid:
        try:
            name, values = parse_grid_option(item)
        except ValueError as err:
            fail(f"--grid: {err}")
        if name in axes:
            fail(f"--grid: {name} is given twice")
        axes[name] = values
    points = math.prod(len(v) for v in axes.values())
    if points > MAX_POINTS:
        fail(f"--grid: {points:,} points is more than {MAX_POINTS:,}; use fewer values")
    try:  # each point is one run: refused as `painsim run` refuses it, before any folder is made
        check_grid_sweep(scenario, n)
    except LimitError as err:
        fail(str(err))
    n = n or scenario.n
    seed = scenario.seed if seed is None else seed
    key = json.dumps([scenario.model_dump(mode="json"), axes, n, seed], sort_keys=True)
    folder = sweep_results_folder(results, store, "sweep", scenario.name, key)
    check_outputs(out, [output_path(out, scenario.name, "_sweep.csv", RUN_ID_PLACEHOLDER).name])
    check_results_folder(folder)
    check_store(store)
    start = time.perf_counter()
    with cluster_client(scheduler, workers) as client, progress(as_json) as bar:
        task = bar.add_task("grid points", total=len(grid_tasks(axes)))
        try:
            frame, outcome = grid_sweep(scenario, axes, folder, client, n=n, seed=seed,
                                        progress=lambda done, total: bar.update(task, completed=done, total=total))
        except SweepError as err:
            fail(str(err), 1)
    seconds = time.perf_counter() - start
    summary: dict = {}

    def stored_summary(run_id: str) -> dict:  # the CSV is named after the run
        csv = output_path(out, scenario.name, "_sweep.csv", run_id)
        summary.update({"scenario": scenario.name, "n": n, "seed": seed, "grid": axes, "points": points,
                        "ran": outcome.ran, "reused": outcome.reused, "seconds": round(seconds, 1), "csv": str(csv),
                        "results": str(folder.path)})
        return summary

    def not_stored() -> str:
        csv = _write_csv(frame, output_path(out, scenario.name, "_sweep.csv"))
        return f"The grid was written to {csv}." if csv else ""

    run_id = store_sweep_run(store, text, seed, f"sweep:{scenario.name}", {"grid": axes, "n": n}, {"grid": frame},
                             stored_summary, not_stored)
    if _write_csv(frame, Path(summary["csv"])) is None:
        fail(f"the sweep is stored as run {run_id} (painsim export {run_id} --format csv) but its CSV could not be "
             f"written: {summary['csv']}", 1)
    if as_json:
        typer.echo(json.dumps({**summary, "run_id": run_id, "rows": frame.to_dict(orient="records")}, indent=2))
        return
    _print_grid(frame, summary, run_id)


def _write_csv(frame, path: Path) -> Path | None:
    """Write ``frame`` as CSV at ``path``; None when that fails (the caller says so)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False)
    except OSError:
        return None
    return path


def long_format(frame, parameters: list[str]):
    """One row per grid point and arm: the parameters, ``arm`` and the arm's outputs."""
    import pandas as pd

    outputs = [c for c in frame.columns if c not in parameters]
    arms = list(dict.fromkeys(c.rsplit(".", 1)[0] for c in outputs))
    parts = []
    for arm in arms:
        part = frame[parameters].copy()
        part.insert(len(parameters), "arm", arm)
        for column in (c for c in outputs if c.rsplit(".", 1)[0] == arm):
            part[column.rsplit(".", 1)[1]] = frame[column]
        parts.append(part)
    return pd.concat(parts, ignore_index=True).sort_values([*parameters, "arm"], kind="stable", ignore_index=True)


def _print_grid(frame, summary: dict, run_id: str) -> None:
    console = Console(width=max(Console().width, 100))
    rows = long_format(frame, list(summary["grid"]))
    table = Table(title=escape(f"{summary['scenario']}: {summary['points']} grid points x arms, n = {summary['n']:,}"))
    for column in rows.columns:
        table.add_column(column, justify="left" if column == "arm" else "right")
    for row in rows.head(SHOWN_ROWS).itertuples(index=False):
        table.add_row(*[escape(v) if isinstance(v, str) else f"{v:.4g}" for v in row])
    console.print(table)
    if len(rows) > SHOWN_ROWS:
        console.print(f"... {len(rows) - SHOWN_ROWS} more rows in the CSV (one row per grid point, arms side by side)")
    console.print(f"CSV: [bold]{escape(summary['csv'])}[/bold]; {summary['ran']} points run, "
                  f"{summary['reused']} reused ({summary['seconds']:.0f} s); stored as run [bold]{run_id}[/bold]")
    console.print(f"[dim]{DISCLAIMER}[/dim]")
