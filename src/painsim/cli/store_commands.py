"""Commands of the results store: ``painsim runs``, ``show``, ``export`` and ``painsim store check|rebuild``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from painsim.app import check_choice
from painsim.cli.common import (
    STORE_HELP,
    BadInputError,
    check_outputs,
    choices_metavar,
    described,
    fail,
    fits_or_exit,
    open_store,
    store_errors,
)

app = typer.Typer()

def _iso(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _when(value: Any, seconds: bool = True) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def _jsonable(obj: dict) -> dict:
    return json.loads(json.dumps(obj, default=_iso))


def _print_json(obj: Any, default: Callable[[Any], Any] = _iso) -> None:
    typer.echo(json.dumps(obj, indent=2, default=default))


@app.command("runs")
def runs_command(
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the runs as a JSON list."),
) -> None:
    """List the runs in the store, newest first."""
    with store_errors():
        opened = open_store(store)
        listing = opened.runs()
    if as_json:
        records = listing.to_dict(orient="records")
        _print_json([_jsonable(r) for r in records])
        return
    console = Console()
    if listing.empty:
        console.print(f"no runs yet in {escape(str(opened.root))}", soft_wrap=True)  # a path is never broken
        return
    console.print(_runs_table(listing, str(opened.root), console.width))


_NAME_MIN_WIDTH = 12


def _runs_table(listing, root: str, width: int) -> Table:
    """The ``painsim runs`` table, fitted to ``width`` columns.

    Each row stays one line: a long name is cut with an ellipsis, and where the terminal is too
    narrow the optional columns (took, painsim version, tables) are left out, in that order of
    need, with a caption saying so (``--json`` and ``painsim show`` give every field).
    """
    rows = []
    for row in listing.itertuples(index=False):
        rows.append({"run id": row.run_id, "name": row.name or "-", "seed": str(row.seed),
                     "started (UTC)": _when(row.started, seconds=False),
                     "took": _duration((row.finished - row.started).total_seconds()),
                     "painsim": row.version, "tables": ", ".join(row.tables)})

    def widest(key: str) -> int:
        return max(len(key), *(len(r[key]) for r in rows))

    widths = {key: widest(key) for key in ("run id", "seed", "started (UTC)", "took", "painsim")}
    widths["name"] = min(widest("name"), _NAME_MIN_WIDTH)
    widths["tables"] = min(widest("tables"), _NAME_MIN_WIDTH)
    columns = ["run id", "name", "seed", "started (UTC)"]

    def total() -> int:  # cell widths, one space of padding each side, one rule between and around
        return sum(widths[key] for key in columns) + 3 * len(columns) + 1

    hidden = []
    for key in ("took", *(["painsim"] if listing.version.nunique() > 1 else []), "tables"):
        columns.append(key)
        if total() > width:
            columns.remove(key)
            hidden.append(key)
    if total() > width:  # not even the essential columns fit: the name gives way first
        widths["name"] = max(4, widths["name"] - (total() - width))
    for key in ("name", "tables"):  # what room is left goes to the name first, then to the tables
        if key in columns:
            widths[key] += max(0, min(widest(key) - widths[key], width - total()))
    caption = (f"{' and '.join(hidden)} hidden at {width} columns: see `painsim runs --json`" if hidden else None)
    table = Table(title=f"{len(listing)} run{'s' if len(listing) != 1 else ''} in {escape(root)}",
                  caption=caption)
    for key in columns:
        table.add_column(key, width=widths[key], no_wrap=True, overflow="ellipsis",
                         justify="right" if key in ("seed", "took") else "left",
                         style="bold" if key == "run id" else None)
    for row in rows:
        table.add_row(*(escape(row[key]) for key in columns))
    return table


@app.command("show")
def show_command(
    run: str = typer.Argument(..., help="Run id, or a unique prefix of it."),
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print metadata, summary and tables as JSON."),
) -> None:
    """Show one run: metadata, summary, and its tables with row counts."""
    with store_errors():
        stored = open_store(store).get(run)
        rows = stored.table_rows()
        stored.verify()  # every table against its checksum: a damaged run is never shown as fine
    metadata = stored.metadata
    if as_json:
        _print_json({"metadata": _jsonable(metadata), "scenario_text": stored.scenario_text,
                     "summary": stored.summary, "tables": rows})
        return
    console = Console()
    info = Table(title=f"run {stored.run_id}", show_header=False)
    info.add_column("field", style="bold")
    info.add_column("value", overflow="fold")
    took = (metadata["finished"] - metadata["started"]).total_seconds()
    for field, value in (
        ("name", metadata["name"] or "-"),
        ("seed", str(metadata["seed"])),
        ("painsim", metadata["version"]),
        ("started (UTC)", _when(metadata["started"])),
        ("finished (UTC)", f"{_when(metadata['finished'])} (took {_duration(took)})"),
        ("scenario sha256", metadata["scenario_hash"]),
        ("scenario", f"{len(stored.scenario_text.splitlines())} lines (export writes scenario.toml)"),
        ("folder", metadata["path"]),
        *((f"meta.{k}", json.dumps(v, default=_iso)) for k, v in metadata["meta"].items()),
    ):
        info.add_row(field, escape(value))
    console.print(info)
    summary = stored.summary
    if summary:
        table = Table(title="summary")
        table.add_column("key", style="bold")
        table.add_column("value", overflow="fold")
        for key, value in summary.items():
            text = f"{value:.6g}" if isinstance(value, float) else json.dumps(value) if not isinstance(
                value, str) else value
            table.add_row(escape(str(key)), escape(text))
        console.print(table)
    else:
        console.print("summary: (empty)")
    if rows:
        table = Table(title="tables")
        table.add_column("table", style="bold")
        table.add_column("rows", justify="right")
        for name, count in rows.items():
            table.add_row(escape(name), f"{count:,}")
        console.print(table)
    else:
        console.print("tables: (none)")


@app.command("export")
def export_command(
    run: str = typer.Argument(..., help="Run id, or a unique prefix of it."),
    format: str = typer.Option(..., "--format", metavar=choices_metavar("export_formats"),
                               help=f"{described('export_formats')}."),
    out: Path | None = typer.Option(None, "--out", help="Destination folder (default: ./painsim-export/RUN_ID)."),
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
) -> None:
    """Export a run's tables, scenario.toml and summary.json to a folder."""
    try:
        format = check_choice("export_formats", format, "--format")
    except BadInputError as err:
        fail(str(err))
    if out is not None:
        out = fits_or_exit(out, "--out")
    with store_errors():
        stored = open_store(store).get(run)
    dest = check_outputs(out if out is not None else Path("painsim-export") / stored.run_id)  # else exit 2
    with store_errors():
        paths = stored.export(format, dest)
    console = Console()
    console.print(f"exported run [bold]{stored.run_id}[/bold] to [bold]{escape(str(dest))}[/bold]:")
    for path in paths:
        console.print(f"  {escape(path.name)}")


store_app = typer.Typer(name="store", no_args_is_help=True,
                        help="Check the store's integrity and rebuild its index (see docs/store.md).")


@store_app.command("check")
def store_check_command(
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Verify every run's tables against their SHA-256 checksums; exit 2 naming what is damaged, 0 when clean."""
    with store_errors():
        report = open_store(store).check()
    if as_json:
        _print_json(report.to_dict())
    else:
        _print_check(report)
    if not report.ok:
        raise typer.Exit(2)


def _print_check(report) -> None:
    checked = (f"checked {report.runs_checked} run{'s' if report.runs_checked != 1 else ''} "
               f"({report.tables_checked} table{'s' if report.tables_checked != 1 else ''}) in {report.root}")
    if report.tables_without_checksum:
        checked += (f"; {report.tables_without_checksum} table(s) of runs written before checksums were read "
                    "in full instead")
    if report.ok:
        typer.echo(f"{checked}: every table matches its checksum.")
        return
    typer.echo(f"{checked}: {len(report.problems)} problem{'s' if len(report.problems) != 1 else ''}"
               + (f", damaged runs: {', '.join(report.damaged_runs)}" if report.damaged_runs else "") + ".")
    for problem in report.problems:
        where = f"run {problem.run_id}" + (f", table {problem.table}" if problem.table else "") \
            if problem.run_id else "index"
        typer.echo(f"  [{problem.kind}] {where}: {problem.message}")


@store_app.command("rebuild")
def store_rebuild_command(
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Restore the index (painsim.duckdb) from the run folders; atomic and idempotent, never deletes a run."""
    with store_errors():
        report = open_store(store, must_exist=True).rebuild()
    if as_json:
        _print_json(report.to_dict())
        return
    previous = {"ok": "", "damaged": " (the previous index was damaged)",
                "missing": " (there was no index)"}[report.previous_index]
    typer.echo(f"rebuilt {report.index} from {len(report.indexed)} run folder"
               f"{'s' if len(report.indexed) != 1 else ''}{previous}.")
    if report.backup:
        typer.echo(f"the previous index is kept as {report.backup}")
    for skipped in report.skipped:
        typer.echo(f"  skipped {skipped['path']}: {skipped['reason']}")
