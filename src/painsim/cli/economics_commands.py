"""``painsim cea``: is it worth it? Costs, QALYs and the decision analysis of a scenario's arms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from painsim.cli.common import (
    DEFAULT_JOBS,
    DISCLAIMER,
    STORE_HELP,
    BadInputError,
    check_store,
    choices_metavar,
    described,
    fail,
    load_scenario_file,
    progress,
    seed_option,
)

app = typer.Typer()


@app.command()
def cea(
    file: Path = typer.Argument(..., help="Scenario file (TOML) whose arms are compared; see docs/economics.md."),
    perspective: str = typer.Option(None, metavar=choices_metavar("perspectives"),
                                    help=f"Costs counted ({described('perspectives')}); default: the "
                                         "scenario's economics.perspective (payer)."),
    wtp: str = typer.Option("0:100000:1000", help="Willingness to pay per QALY: START:STOP:STEP, one value, "
                                                  "or a comma-separated list."),
    psa: int = typer.Option(0, "--psa", min=0, help="Draws of the probabilistic sensitivity analysis "
                                                    "(0: base case only; each draw simulates every arm)."),
    posterior: str = typer.Option(None, metavar="ID",
                                  help="Draw the model and care parameters from a calibration posterior: 'default' "
                                       "(shipped) or a stored posterior's run id (--psa draws, default 200)."),
    n: int = typer.Option(None, min=1, max=10_000_000, help="Override the scenario's patients per arm."),
    seed: int = seed_option(None, "Override the scenario's seed."),
    workers: int = typer.Option(DEFAULT_JOBS, "--workers", min=1, help="Threads to simulate with."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON summary only (docs/cli.md)."),
    store: Path = typer.Option(None, help=STORE_HELP),
) -> None:
    """Cost-effectiveness of a scenario's arms: discounted costs and QALYs per patient,
    the incremental analysis (dominance, frontier, ICERs) and, with --psa, how sure it is
    (acceptability, EVPI, EVPPI). The analysis is kept in the store."""
    from painsim.app import check_choice
    from painsim.app.economics import check_cea

    scenario, text = load_scenario_file(file)
    try:
        if perspective is not None:
            perspective = check_choice("perspectives", perspective, "--perspective")
        check_cea(scenario, n=n, psa=psa, wtp=wtp, perspective=perspective, store=False)
    except (BadInputError, ValueError) as err:  # LimitError, EconomicsInputError, ChoiceError
        fail(str(err))
    check_store(store)
    result = _analyse(scenario, perspective=perspective, wtp=wtp, psa=psa, posterior=posterior, store=store, n=n,
                      seed=seed, n_jobs=workers, quiet=as_json)
    _store(result, text, store)
    if as_json:
        typer.echo(json.dumps(result.summary(), indent=2))
        return
    _print(result)


def _analyse(scenario, *, quiet: bool, **options: Any):
    from painsim.app import AppInputError
    from painsim.app.economics import run_cea
    from painsim.engine.screening import ScreeningError

    with progress(quiet) as bar:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        try:
            return run_cea(scenario, progress=report, **options)
        except (ScreeningError, AppInputError) as err:
            fail(str(err))


def _store(result, text: str, store: Path | None) -> None:
    from painsim.app.economics import store_cea
    from painsim.store import StoreError

    try:
        store_cea(result, text, store)
    except (StoreError, OSError) as err:
        fail(f"the analysis finished but could not be stored: {err}", 1)


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _print(result) -> None:
    econ = result.scenario.economics
    console = Console(width=max(Console().width, 130))
    title = escape(result.scenario.title or result.scenario.name)
    table = Table(title=f"{title}: is it worth it? ({result.perspective} perspective, {econ.currency} "
                        f"{econ.price_year}, n = {result.n:,} per arm, discounted "
                        f"{econ.discount.costs:.1%} / {econ.discount.effects:.1%})")
    for column in ("arm", "cost", "QALYs", "inc. cost", "inc. QALYs", "ICER", "status"):
        table.add_column(column, justify="left" if column in ("arm", "status") else "right", no_wrap=column == "arm")
    for row in result.table.rows:
        status = row.status if not row.dominated_by else f"{row.status} (by {', '.join(row.dominated_by)})"
        table.add_row(escape(row.strategy), _money(row.cost), f"{row.effect:.4f}", _money(row.incremental_cost),
                      "-" if row.incremental_effect is None else f"{row.incremental_effect:.4f}",
                      _money(row.icer), escape(status))
    console.print(table)
    if result.psa is not None:
        draws = result.psa.costs.shape[0]
        for d in result.decisions():
            console.print(f"at {econ.currency} {d['wtp']:,.0f}/QALY: [bold]{escape(d['optimal'])}[/bold] "
                          f"(probability cost-effective {d['probability']:.0%} over {draws} PSA draws; "
                          f"EVPI {d['evpi']:,.2f} per patient)")
        for group, values in result.evppi.items():
            console.print(f"EVPPI {escape(group)}: up to {values.max():,.2f} per patient")
        for group, why in result.evppi_notes.items():
            console.print(f"[dim]EVPPI {escape(group)} not computed: {escape(why)}[/dim]")
    else:
        console.print("[dim]base case only: add --psa N for acceptability curves and the value of information[/dim]")
    console.print(f"stored as run [bold]{result.run_id}[/bold] (painsim show {result.run_id}; "
                  f"painsim report {result.run_id})")
    console.print(f"[dim]{DISCLAIMER}[/dim]")
