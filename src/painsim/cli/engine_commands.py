"""Commands that run the engine: ``painsim demo``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from painsim.cli.app import app

DISCLAIMER = "painsim is a research model, not medical advice."


def _progress(quiet: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
        disable=quiet or not sys.stderr.isatty(), console=Console(stderr=True), transient=True,
    )


@app.command()
def demo(
    n: int = typer.Option(20_000, min=1, max=5_000_000, help="Patients in the cohort."),
    seed: int = typer.Option(1, min=0, help="Random seed: same seed, same results."),
    days: int = typer.Option(365, min=28, max=3650, help="Days to follow the cohort."),
    out: Path = typer.Option(Path("painsim-output"), help="Folder for the figure and table."),
    jobs: int = typer.Option(min(2, os.cpu_count() or 1), min=1, help="Threads to use."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary only."),
) -> None:
    """Natural history of untreated chronic low back pain on the embedded defaults.

    Builds a cohort of adults with chronic low back pain (pain >= 4/10 for >= 3 months),
    follows it untreated, repeats with each reinforcing loop switched off, prints the
    answer table and writes a figure.
    """
    from painsim.outcomes import natural_history

    with _progress(as_json) as bar:
        task = bar.add_task("building chronic cohort", total=n)
        history = natural_history(n=n, seed=seed, days=days, n_jobs=jobs,
                                  progress=lambda done, total: bar.update(task, completed=done))
    out.mkdir(parents=True, exist_ok=True)
    figure = history.figure(out / "natural_history.png")
    table_path = out / "natural_history.csv"
    history.result.daily().to_csv(table_path)
    headline = history.headline()
    if as_json:
        typer.echo(json.dumps({**headline, "chronic_share_by_loop_off": history.chronic_share_by_loop_off,
                               "figure": str(figure), "daily_csv": str(table_path)}, indent=2))
        return
    _print_tables(history, headline)
    console = Console()
    console.print(f"figure: [bold]{figure}[/bold]\ndaily means: [bold]{table_path}[/bold]")
    console.print(f"[dim]{DISCLAIMER}[/dim]")


def _print_tables(history, headline: dict[str, float]) -> None:
    console = Console()
    table = Table(title=f"Untreated chronic low back pain (n = {int(headline['n']):,})")
    for column in ("day", "pain", "worst weekly pain", "disability (0-24)", "pain >= 7", "recovered"):
        table.add_column(column, justify="right")
    for day, row in history.table().iterrows():
        table.add_row(str(day), f"{row.pain_mean:.2f}", f"{row.worst_weekly_pain:.2f}",
                      f"{row.disability_mean:.1f}", f"{row.share_high_pain:.0%}", f"{row.share_recovered:.0%}")
    console.print(table)
    console.print(
        f"recovered at least once: {headline['recovered_share']:.0%}; of them with a recurrence: "
        f"{headline['recurrence_share_of_recovered']:.0%}; still chronic at the end: "
        f"{headline['chronic_share_end']:.0%}"
    )
    loops = Table(title="Share still chronic at the end, with one loop switched off")
    loops.add_column("loop off")
    loops.add_column("chronic", justify="right")
    for name, share in history.chronic_share_by_loop_off.items():
        loops.add_row(name, f"{share:.0%}")
    console.print(loops)
