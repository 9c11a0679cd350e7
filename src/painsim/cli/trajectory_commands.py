"""``painsim trajectories SCENARIO|RUN_ID``: latent trajectory classes of one arm's weekly pain
(docs/trajectories.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from painsim.cli import common
from painsim.cli.common import (
    DEFAULT_JOBS,
    DISCLAIMER,
    STORE_HELP,
    BadInputError,
    check_outputs,
    fail,
    load_scenario_file,
    plain_text_figures,
    seed_option,
    store_errors,
)

if TYPE_CHECKING:  # pragma: no cover
    from painsim.app.trajectories import TrajectoryReport

app = typer.Typer()

#: Weeks whose class means the table prints (those within the fitted weeks).
TABLE_WEEKS = (1, 4, 8, 13, 26, 39, 52, 78, 104)


@app.command("trajectories")
def trajectories_command(
    source: str = typer.Argument(..., metavar="SCENARIO|RUN_ID",
                                 help="A scenario file (TOML), or the id (or a unique prefix) of a stored run."),
    months: float = typer.Option(12.0, "--months", help="Months of weekly pain fitted, from entry (12: 52 weeks)."),
    classes: str = typer.Option("auto", "--classes", help="'auto' (the number of classes by BIC over 1-7) or 1-7."),
    seed: int = seed_option(0, "Seed of the fit (its initialisations)."),
    arm: str = typer.Option(None, "--arm", help="Arm to fit (default: the first arm without care, else the first)."),
    period: str = typer.Option("week", "--period", help="week (weekly means) or month (4-week means)."),
    n: int = typer.Option(2000, "--n", min=10, max=200_000, help="Patients simulated (scenario input only)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON (docs/trajectories.md)."),
    out: Path = typer.Option(Path("painsim-output"), "--out", help="Folder for the figure and JSON summary."),
    store: Path = typer.Option(None, "--store", help=STORE_HELP),
    jobs: int = typer.Option(DEFAULT_JOBS, min=1, help="Threads to simulate with (scenario input only)."),
) -> None:
    """Fit latent trajectory classes (Kongsted 2015) to the weekly pain of one arm; print
    their shares and mean curves and draw them. A scenario is simulated (not stored); a run
    id reads the stored run's weekly pain."""
    from painsim.app.trajectories import parse_classes

    try:
        chosen_classes = parse_classes(classes)
        if _is_scenario(source):
            report = _of_scenario(Path(source), arm, n, months, chosen_classes, seed, period, jobs, out)
        else:
            report = _of_run(source, store, arm, months, chosen_classes, seed, period, out)
    except BadInputError as err:
        fail(str(err))
    _present(report, out, as_json)


def _is_scenario(source: str) -> bool:
    return source.lower().endswith(".toml") or Path(source).is_file()


def _of_scenario(path: Path, arm: str | None, n: int, months: float, classes, seed: int, period: str, jobs: int,
                 out: Path) -> TrajectoryReport:
    from painsim.app.trajectories import check_scenario_options, figure_name, trajectories_of_scenario
    from painsim.engine.screening import ScreeningError
    from painsim.limits import LimitError

    scenario, _ = load_scenario_file(path)
    chosen, _ = check_scenario_options(scenario, arm, months, period)
    _check_out(out, figure_name(scenario.name))
    with common.progress(quiet=False) as bar:
        task = bar.add_task("simulating", total=None)

        def report(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage[:24], completed=done, total=total)

        try:
            return trajectories_of_scenario(scenario, arm=chosen, n=n, months=months, classes=classes, seed=seed,
                                            period=period, n_jobs=jobs, source=str(path), progress=report)
        except (ScreeningError, LimitError) as err:
            fail(str(err))


def _of_run(run_id: str, store: Path | None, arm: str | None, months: float, classes, seed: int, period: str,
            out: Path) -> TrajectoryReport:
    from painsim.app.trajectories import figure_name, trajectories_of_run
    from painsim.store import AmbiguousRunError, RunNotFoundError

    with store_errors():
        try:
            run = common.open_store(store).get(run_id)
        except (RunNotFoundError, AmbiguousRunError) as err:
            fail(f"{str(err).rstrip('.')}. SCENARIO|RUN_ID is neither a scenario file nor a stored run.")
        _check_out(out, figure_name(str(run.metadata.get("name") or "run"), run.run_id))
        return trajectories_of_run(run, arm=arm, months=months, classes=classes, seed=seed, period=period)


def _check_out(out: Path, figure: str) -> None:
    check_outputs(out, [figure, figure.removesuffix(".png") + ".json"])


def _present(report: TrajectoryReport, out: Path, as_json: bool) -> None:
    from painsim.app.trajectories import write_trajectory_outputs

    try:
        with plain_text_figures():
            figure, summary_path = write_trajectory_outputs(report, out)
    except OSError as err:
        fail(f"the figure could not be written in {out}: {err.strerror or err}", 1)
    if as_json:
        typer.echo(json.dumps({**report.to_dict(), "figure": str(figure), "summary": str(summary_path)}, indent=2))
        return
    console = Console(width=max(Console().width, 130))
    console.print(_class_table(report))
    console.print(_pattern_table(report))
    fit = report.fit
    bic = ", ".join(f"{k}: {v:,.0f}" for k, v in fit.bic.items())
    how = "lowest BIC" if fit.selected_by == "bic" else "fixed by --classes"
    console.print(f"{fit.k} classes ({how}; BIC {escape(bic)}); seed {fit.seed}")
    console.print(f"figure: [bold]{escape(str(figure))}[/bold]\nsummary: [bold]{escape(str(summary_path))}[/bold]")
    console.print(f"[dim]{DISCLAIMER}[/dim]")


def _class_table(report: TrajectoryReport) -> Table:
    from painsim.outcomes.trajectories import LABELS, PERIOD_WEEKS

    fit = report.fit
    where = f"run {report.run_id}" if report.run_id else f"scenario {report.name}"
    table = Table(title=escape(f"Trajectory classes of {report.arm} ({where}, n = {fit.n:,}, {report.weeks} weeks)"))
    per = PERIOD_WEEKS[fit.period]
    weeks = [w for w in TABLE_WEEKS if w <= report.weeks]
    if weeks[-1] != report.weeks and (report.weeks // per) * per == report.weeks:
        weeks.append(report.weeks)
    for column in ("class", "pattern", "share", "n", *[f"wk {w}" for w in weeks]):
        table.add_column(column, justify="left" if column == "pattern" else "right")
    for j, (label, share, size, curve) in enumerate(zip(fit.labels, fit.shares, fit.sizes, fit.means, strict=True)):
        cells = [f"{curve[min((w - 1) // per, curve.size - 1)]:.1f}" for w in weeks]
        table.add_row(str(j + 1), escape(LABELS[label]), f"{share:.0%}", f"{size:,}", *cells)
    table.caption = "class mean of the weekly mean pain (0-10) in the week shown"
    return table


def _pattern_table(report: TrajectoryReport) -> Table:
    from painsim.outcomes.trajectories import KONGSTED_2015_SHARES, LABELS

    table = Table(title="Patterns beside Kongsted 2015 (1,082 primary-care patients, weekly pain, 1 year)")
    for column in ("pattern", "simulated", "Kongsted 2015"):
        table.add_column(column, justify="left" if column == "pattern" else "right")
    for label, share in report.fit.label_shares().items():
        table.add_row(escape(LABELS[label]), f"{share:.0%}", f"{KONGSTED_2015_SHARES[label]:.0%}")
    return table
