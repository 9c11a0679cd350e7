"""Commands that read the results store: ``painsim runs``, ``painsim show``, ``painsim export``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from painsim.cli.app import app

STORE_HELP = "Store folder (default: $PAINSIM_STORE, else the painsim user data folder)."


class ExportFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


@contextmanager
def _friendly_errors() -> Iterator[None]:
    """Turn store failures into one paragraph on stderr, never a traceback.

    Damaged or lost data (a damaged table or run, a damaged or missing index) exits with code 2,
    like bad input; other store failures (unknown run, locked or unwritable store) with code 1.
    """
    import duckdb

    from painsim.store import DamagedStoreError, StoreError

    try:
        yield
    except DamagedStoreError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    except StoreError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    except (OSError, duckdb.Error) as error:
        typer.echo(f"error: {error}. Check the store folder (--store PATH or PAINSIM_STORE) and retry.", err=True)
        raise typer.Exit(1) from None


def _open(store: Path | None):
    from painsim.store import Store

    return Store(store)


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
    with _friendly_errors():
        opened = _open(store)
        listing = opened.runs()
    if as_json:
        records = listing.to_dict(orient="records")
        _print_json([_jsonable(r) for r in records])
        return
    console = Console()
    if listing.empty:
        console.print(f"no runs yet in {escape(str(opened.root))}")
        return
    table = Table(title=f"{len(listing)} run{'s' if len(listing) != 1 else ''} in {escape(str(opened.root))}")
    table.add_column("run id", no_wrap=True, style="bold")
    table.add_column("name", overflow="fold")
    table.add_column("seed", justify="right")
    table.add_column("started (UTC)", no_wrap=True)
    table.add_column("took", justify="right", no_wrap=True)
    show_version = listing.version.nunique() > 1
    if show_version:
        table.add_column("painsim", no_wrap=True)
    table.add_column("tables", overflow="fold", min_width=6)
    for row in listing.itertuples(index=False):
        took = (row.finished - row.started).total_seconds()
        cells = [row.run_id, escape(row.name) or "-", str(row.seed), _when(row.started, seconds=False),
                 _duration(took), *([row.version] if show_version else []), escape(", ".join(row.tables))]
        table.add_row(*cells)
    console.print(table)


@app.command("show")
def show_command(
    run: str = typer.Argument(..., help="Run id, or a unique prefix of it."),
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print metadata, summary and tables as JSON."),
) -> None:
    """Show one run: metadata, summary, and its tables with row counts."""
    with _friendly_errors():
        stored = _open(store).get(run)
        rows = stored.table_rows()
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
    format: ExportFormat = typer.Option(..., "--format", case_sensitive=False,
                                        help="parquet copies the tables as they are; csv converts them."),
    out: Path | None = typer.Option(None, "--out", help="Destination folder (default: ./painsim-export/RUN_ID)."),
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
) -> None:
    """Export a run's tables, scenario.toml and summary.json to a folder."""
    with _friendly_errors():
        stored = _open(store).get(run)
        dest = out if out is not None else Path("painsim-export") / stored.run_id
        paths = stored.export(format.value, dest)
    console = Console()
    console.print(f"exported run [bold]{stored.run_id}[/bold] to [bold]{escape(str(dest))}[/bold]:")
    for path in paths:
        console.print(f"  {escape(path.name)}")
