"""``painsim report RUN``: a self-contained HTML report of a stored run."""

from __future__ import annotations

from pathlib import Path

import typer

from painsim.cli.common import STORE_HELP, BadInputError, check_output_file, fail, open_store, store_errors

app = typer.Typer()

DEFAULT_FOLDER = Path("painsim-output")


@app.command("report")
def report_command(
    run: str = typer.Argument(..., help="Run id, or a unique prefix of it."),
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
    out: Path | None = typer.Option(None, "--out", help="HTML file to write (default: painsim-output/RUN_ID.html)."),
) -> None:
    """Write a self-contained HTML report of a stored run (figures, answer table, scenario); print its path."""
    from painsim.report import render_report

    with store_errors():
        stored = open_store(store).get(run)
    target = out if out is not None else DEFAULT_FOLDER / f"{stored.run_id}.html"
    try:  # before the report is rendered: a place it cannot be written is bad input (exit 2)
        target = check_output_file(target, "--out", create_folder=True)
    except BadInputError as err:
        fail(str(err))
    with store_errors():
        html = render_report(stored)
    try:
        target.write_text(html, encoding="utf-8")
    except OSError as error:
        typer.echo(f"error: cannot write the report to {target} ({error.strerror or error}). Choose a writable "
                   "file with --out FILE.", err=True)
        raise typer.Exit(1) from None
    typer.echo(str(target))
