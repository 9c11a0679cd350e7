"""``painsim diary``: fit the model to a client's pain diary and forecast each care plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from painsim.cli.common import DISCLAIMER, STORE_HELP, BadInputError, check_store, fail, progress, seed_option

app = typer.Typer()


@app.command()
def diary(
    file: Annotated[Path, typer.Argument(help="The diary: a CSV with date (YYYY-MM-DD) and pain (0-10) columns; "
                                              "optional sleep, stress, activity (0-10) and one column per "
                                              "treatment with sessions (1 on a day with a session). "
                                              "docs/diary.md.", show_default=False)],
    plan: Annotated[list[Path] | None, typer.Option("--plan", help="A care plan in TOML (the tables of one "
                                                                   "scenario arm); repeat for several.")] = None,
    weeks: Annotated[int, typer.Option("--weeks", help="Weeks to forecast, 4 to 26.")] = 12,
    particles: Annotated[int, typer.Option("--particles", help="Virtual patients in the fit (100 to "
                                                               "100,000).")] = 10_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    keep: Annotated[bool, typer.Option("--keep", help="Keep the fit as a run of the results store (nothing is "
                                                      "stored without it); painsim report RUN_ID renders it.")] = False,
    store: Annotated[Path | None, typer.Option("--store", help=STORE_HELP)] = None,
    seed: int = seed_option(1, "Seed of the fit."),
    posterior: Annotated[str | None, typer.Option("--posterior", metavar="ID", help=(
        "Start from this posterior instead of the defaults: 'default' (shipped) or a stored posterior's "
        "run id; the particles are shared among --posterior-draws of its parameter sets, so the "
        "forecasts carry the model's parameter uncertainty."))] = None,
    posterior_draws: Annotated[int, typer.Option("--posterior-draws", help="Parameter sets drawn from "
                                                 "--posterior (1 to 200).")] = 20,
) -> None:
    """Fit painsim to a client's pain diary (sequential Monte Carlo over its virtual patients)
    and forecast their weekly pain under no care, their current plan, the massage question's
    plans and any --plan: fan chart, chance of a 30% improvement at 12 weeks, relief days and
    cost; which loops hold their pain up. Nothing is stored unless --keep is given. A research
    model, not medical advice."""
    from painsim.app.diary import run_diary, store_diary_fit
    from painsim.store import StoreError

    if keep:
        check_store(store)
    post = None
    if posterior is not None:
        from painsim.app.posterior import load_posterior

        try:
            post = load_posterior(posterior, store)
        except BadInputError as err:
            fail(f"--posterior {posterior}: {err}")

    with progress(quiet or as_json) as bar:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        try:
            answer = run_diary(file, plan_files=plan or (), weeks=weeks, particles=particles, seed=seed,
                               posterior=post, posterior_draws=posterior_draws, progress=report)
        except BadInputError as err:
            fail(str(err))
    run_id = None
    if keep:
        try:
            run_id = store_diary_fit(answer, file.read_text(encoding="utf-8-sig"), store)
        except (StoreError, OSError) as err:
            fail(f"the fit finished but could not be stored: {err}", code=1)
    if as_json:
        typer.echo(json.dumps({**answer.to_json(), "run_id": run_id}, indent=2))
        return
    _print(answer)
    if run_id:
        Console().print(f"stored as run [bold]{run_id}[/bold] (painsim report {run_id})", highlight=False)


def _print(answer: Any) -> None:
    console = Console(soft_wrap=True)
    d, fit = answer.diary, answer.fit
    console.print(f"[bold]{escape(d['name'])}[/bold]: {d['days']} days ({d['start']} to {d['end']}), "
                  f"{d['ratings']} pain ratings, last two weeks' mean {d['baseline']:.1f}", highlight=False)
    console.print(f"fit: {fit['particles']:,} particles, ESS at the end {fit['ess']:,.0f} (lowest "
                  f"{fit['min_ess']:,.0f}), resampled at {fit['resampling_steps']} of {fit['steps']} steps",
                  highlight=False)
    if fit.get("posterior"):
        post = fit["posterior"]
        console.print(f"prior: posterior {escape(post['id'])}, {post['draws']} draws ({post['distinct']} distinct "
                      "parameter sets): the forecasts carry the model's parameter uncertainty", highlight=False)
    plans = Table(title=f"forecast of weekly pain ({len(next(iter(answer.forecasts.values())).weeks)} weeks)")
    for column in ("plan", "week 1 (10-90%)", "week 4", "last week", "P(30% better at 12 w)", "relief days",
                   "cost USD"):
        plans.add_column(column, justify="left" if column == "plan" else "right")
    for name, f in answer.forecasts.items():
        fan = f.fan

        def cell(k: int, fan: dict = fan) -> str:
            return f"{fan['p50'][k]:.1f} ({fan['p10'][k]:.1f}-{fan['p90'][k]:.1f})"

        plans.add_row(escape(name), cell(0), cell(3), cell(len(f.weeks) - 1), f"{f.p_improvement:.0%}",
                      f"{f.relief_days:.1f}", f"{f.cost:,.0f}")
    console.print(plans)
    loops = Table(title="which loops hold the pain up (12 weeks, no care: drop in mean pain when switched off)")
    for column in ("loop", "mean drop", "10-90%", "share dropping >= 1 point"):
        loops.add_column(column, justify="left" if column == "loop" else "right")
    for row in answer.loops:
        loops.add_row(escape(row["label"]), f"{row['pain_drop']:.2f}", f"{row['p10']:.2f} to {row['p90']:.2f}",
                      f"{row['share_drop_1']:.0%}")
    console.print(loops)
    traits = Table(title="traits: population (10-90%) and this client (posterior 10-50-90%)")
    for column in ("trait", "population", "client"):
        traits.add_column(column, justify="left" if column == "trait" else "right")
    for row in answer.traits:
        traits.add_row(row["trait"], f"{row['prior_p10']:.2f}-{row['prior_p90']:.2f}",
                       f"{row['p10']:.2f} / {row['p50']:.2f} / {row['p90']:.2f}")
    console.print(traits)
    console.print(f"[dim]{DISCLAIMER}[/dim]")
