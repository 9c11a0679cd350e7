"""Commands that run the engine: ``painsim demo``, ``run``, ``validate``, ``natural-history``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from painsim.cli.common import (
    DEFAULT_JOBS,
    DISCLAIMER,
    STORE_HELP,
    BadInputError,
    check_output_file,
    check_outputs,
    check_store,
    fail,
    load_scenario_file,
    load_trial_file,
    plain_text_figures,
    progress,
    seed_option,
)

if TYPE_CHECKING:  # pragma: no cover
    from painsim.app import ScenarioRun

app = typer.Typer()


def _run(scenario, n: int | None, seed: int | None, jobs: int, quiet: bool) -> ScenarioRun:
    from painsim.app import run_scenario
    from painsim.engine.screening import ScreeningError

    with progress(quiet) as bar:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            key = "cohort" if stage.startswith("building") else "arms"
            if key not in tasks:
                tasks[key] = bar.add_task("building cohort" if key == "cohort" else "simulating arms", total=total)
            bar.update(tasks[key], completed=done, description=stage)

        try:
            return run_scenario(scenario, n=n, seed=seed, n_jobs=jobs, progress=report)
        except ScreeningError as err:
            fail(str(err))


def _posterior_for(scenario, posterior: str | None, draws: int, draw_patients: int, store: Path | None):
    """The posterior to draw from (or None), checked against the scenario before any work."""
    if posterior is None or draws == 0:
        return None
    from painsim.app import AppInputError
    from painsim.app.posterior import load_posterior
    from painsim.app.uncertainty import check_posterior_run
    from painsim.limits import LimitError

    try:
        post = load_posterior(posterior, store)
        check_posterior_run(scenario, post, draws, draw_patients)
    except (AppInputError, LimitError) as err:
        fail(f"--posterior {posterior}: {err}")
    return post


def _posterior_answer(scenario, post, draws: int, draw_patients: int, seed: int | None, jobs: int, quiet: bool):
    from painsim.app.uncertainty import posterior_answer
    from painsim.engine.screening import ScreeningError

    with progress(quiet) as bar:
        task = bar.add_task("posterior draws", total=draws)
        try:
            return posterior_answer(scenario, post, draws=draws, n=draw_patients, seed=seed, n_jobs=jobs,
                                    progress=lambda done, total: bar.update(task, completed=done))
        except ScreeningError as err:
            fail(f"a posterior draw could not find its cohort: {err}")


def _check_before_running(scenario, n: int | None, out: Path, store: Path | None) -> None:
    """Before simulating: the run's cost is within the limits, --out can take its files and
    the store a new run."""
    from painsim.app import check_scenario_run
    from painsim.limits import LimitError
    from painsim.outputs import RUN_ID_PLACEHOLDER, output_stem

    try:
        check_scenario_run(scenario, n, store=False)
    except LimitError as err:
        fail(str(err))
    stem = output_stem(scenario.name, RUN_ID_PLACEHOLDER)
    check_outputs(out, [f"{stem}.png", f"{stem}.json"])
    check_store(store)


def _write_outputs(result, summary: dict, out: Path, run_id: str | None) -> tuple[Path, Path]:
    """The figure and JSON summary in ``out``, named after the scenario (and its run id)."""
    from painsim.outcomes.figures import scenario_figure
    from painsim.outputs import output_path

    out.mkdir(parents=True, exist_ok=True)
    with plain_text_figures():
        figure = scenario_figure(result, output_path(out, result.scenario.name, ".png", run_id))
    summary_path = output_path(out, result.scenario.name, ".json", run_id)
    summary_path.write_text(json.dumps(summary, indent=2))
    return figure, summary_path


def _answer(run: ScenarioRun, out: Path, as_json: bool, text: str, store: Path | None,
            overrides: dict[str, Any]) -> None:
    from painsim.app import scenario_run_meta, store_scenario_run
    from painsim.store import StoreError

    result, summary = run.result, run.summary
    try:
        run_id = store_scenario_run(run, text, store, scenario_run_meta(len(result.cohort), overrides))
    except (StoreError, OSError) as err:
        figure, summary_path = _write_outputs(result, summary, out, None)
        fail(f"the run finished but could not be stored: {err}. The figure and summary were written: "
             f"{figure}, {summary_path}.", 1)
    try:
        figure, summary_path = _write_outputs(result, summary, out, run_id)
    except OSError as err:
        fail(f"the run is stored as run {run_id} (painsim show {run_id}) but its figure and summary could not be "
             f"written in {out}: {err.strerror or err}", 1)
    if as_json:
        answer = {"scenario": result.scenario.name, "run_id": run_id, "arms": summary, "figure": str(figure)}
        if run.uncertainty is not None:
            answer["uncertainty"] = run.uncertainty.to_json()
        typer.echo(json.dumps(answer, indent=2))
        return
    console = Console(width=max(Console().width, 150))
    label = escape(result.scenario.title or result.scenario.name)
    table = Table(title=f"{label} (n = {len(result.cohort):,} per arm)")
    horizon = result.scenario.horizon_days
    days = [d for d in ("0", "70", "365", "729") if int(d) < horizon]
    for column in ("arm", *[f"pain d{d}" for d in days], "non-resp", "transient", "lasting",
                   "relief days", "visits", "cost $", "$/relief-day"):
        table.add_column(column, justify="right" if column != "arm" else "left", no_wrap=column == "arm")
    for name, arm in summary.items():
        cells = [f"{arm['pain_mean'][d]:.2f}" for d in days] + _care_cells(arm)
        if run.uncertainty is not None:
            bands = _interval_cells(run.uncertainty, name, days)
            cells = [f"{cell}\n[dim]{band}[/dim]" for cell, band in zip(cells, bands, strict=True)]
        table.add_row(escape(name), *cells)
    if run.uncertainty is not None:
        table.caption = _interval_caption(run.uncertainty, len(result.cohort))
    console.print(table)
    console.print(f"figure: [bold]{escape(str(figure))}[/bold]\nsummary: [bold]{escape(str(summary_path))}[/bold]")
    console.print(f"stored as run [bold]{run_id}[/bold] (painsim show {run_id}; painsim report {run_id})")
    console.print(f"[dim]{DISCLAIMER}[/dim]")


#: The answer table's columns after the pain days, as quantities of a posterior answer, and their formats.
_INTERVAL_QUANTITIES = (("responder_classes.non_responder", "{:.0%}"), ("responder_classes.transient", "{:.0%}"),
                        ("responder_classes.lasting", "{:.0%}"), ("relief_days_median", "{:.0f}"),
                        ("sessions_attended_mean", "{:.1f}"), ("cost_mean", "{:,.0f}"),
                        ("cost_per_relief_day", "{:,.0f}"))


def _interval_cells(answer, arm: str, days: list[str]) -> list[str]:
    """Each answer-table cell's 95% credible interval ("low-high"), "" where there is none."""
    wanted = [(f"pain_mean.{d}", "{:.2f}") for d in days] + list(_INTERVAL_QUANTITIES)
    cells = []
    for quantity, form in wanted:
        row = answer.cell(arm, quantity)
        if row is None or row["draws"] == 0 or row["low"] != row["low"]:
            cells.append("")
            continue
        low, high = form.format(row["low"]), form.format(row["high"])
        cells.append(f"{low}-{high}" if low != high else f"={low}")
    return cells


def _interval_caption(answer, n: int) -> str:
    worst = answer.table["sd_monte_carlo"].where(answer.table.index.get_level_values("quantity").str.startswith("pain"))
    return (f"first line: the calibrated defaults, n = {n:,} per arm; second line: 95% credible interval of "
            f"parameter uncertainty over {answer.draws} draws of posterior {answer.posterior_id} "
            f"({answer.patients_per_draw} patients per arm and draw, Monte Carlo noise removed: at most "
            f"{worst.max():.2f} NRS points of a draw's mean pain); '=x': no spread beyond that noise. "
            "Details: --json, docs/calibration.md")


def _care_cells(arm: dict[str, Any]) -> list[str]:
    """Responder classes, relief days, visits attended (sessions of a visit treatment such
    as massage or sham; other treatments' sessions are in the summary's per-treatment
    fields), cost and cost per relief-day of one arm's summary, each from its own field:
    classes exist only with visits, the care outcomes with any care; an arm without care
    had no visits and cost nothing (0, not "-")."""
    classes = arm.get("responder_classes") or {}
    shares = [f"{classes[c]:.0%}" if c in classes else "-" for c in ("non_responder", "transient", "lasting")]
    relief = arm.get("relief_days_median")
    per_day = arm.get("cost_per_relief_day")
    return [*shares, f"{relief:.0f}" if relief is not None else "-",
            f"{arm.get('sessions_attended_mean', 0.0):.1f}", f"{arm.get('cost_mean', 0.0):,.0f}",
            f"{per_day:,.0f}" if per_day else "-"]


@app.command()
def demo(
    n: int = typer.Option(None, min=1, max=5_000_000, help="Patients per arm (default: the scenario's, 5,000)."),
    seed: int = seed_option(None, "Random seed (default: the scenario's)."),
    out: Path = typer.Option(Path("painsim-output"), help="Folder for the figure and summary."),
    jobs: int = typer.Option(DEFAULT_JOBS, min=1, help="Threads to use."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON summary only."),
    store: Path = typer.Option(None, help=STORE_HELP),
    posterior: str = typer.Option(None, "--posterior", metavar="ID",
                                  help="Posterior of the intervals: 'default' (shipped with painsim; used when "
                                       "none is given) or a stored posterior's run id."),
    draws: int = typer.Option(40, "--draws", min=0, max=5000,
                              help="Posterior draws for the credible intervals (0: none)."),
    draw_patients: int = typer.Option(500, "--draw-patients", min=20, max=100_000,
                                      help="Patients per arm in each draw (even; two halves separate Monte Carlo "
                                           "noise from parameter uncertainty)."),
) -> None:
    """Does massage work for chronic back pain? The flagship scenario on the defaults.

    Simulates the same adults with chronic low back pain under no care, weekly massage,
    massage spread over months, massage combined with exercise, sleep and stress care and
    education, and weekly massage with a poor or good alliance and 'fix' or 'manage'
    framing; prints the answer table and writes a figure. Every number gets a 95% credible
    interval over --draws draws of the posterior shipped with painsim (--draws 0: none).
    """
    from painsim.app import demo_scenario

    scenario, text = demo_scenario()
    _run_with_intervals(scenario, text, n, seed, jobs, as_json, out, store, posterior, draws, draw_patients,
                        shipped_by_default=True)


@app.command()
def run(
    file: Path = typer.Argument(..., help="Scenario file (TOML); see docs/scenarios.md."),
    n: int = typer.Option(None, min=1, max=10_000_000, help="Override the scenario's patients per arm."),
    seed: int = seed_option(None, "Override the scenario's seed."),
    out: Path = typer.Option(Path("painsim-output"), help="Folder for the figure and summary."),
    jobs: int = typer.Option(DEFAULT_JOBS, min=1, help="Threads to use."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON summary only (docs/cli.md)."),
    store: Path = typer.Option(None, help=STORE_HELP),
    posterior: str = typer.Option(None, "--posterior", metavar="ID",
                                  help="Give every number a 95% credible interval over this posterior: 'default' "
                                       "(shipped) or a stored posterior's run id (painsim calibrate --method "
                                       "abc-smc)."),
    draws: int = typer.Option(200, "--draws", min=0, max=5000,
                              help="Posterior draws for the credible intervals (0: none)."),
    draw_patients: int = typer.Option(500, "--draw-patients", min=20, max=100_000,
                                      help="Patients per arm in each draw (even; two halves separate Monte Carlo "
                                           "noise from parameter uncertainty)."),
) -> None:
    """Run a scenario file: every arm on the same cohort; the run is kept in the store.

    With --posterior, every number of the answer also gets a 95% credible interval of
    parameter uncertainty over --draws posterior draws (docs/calibration.md)."""
    scenario, text = load_scenario_file(file)
    _run_with_intervals(scenario, text, n, seed, jobs, as_json, out, store, posterior, draws, draw_patients)


def _run_with_intervals(scenario, text: str, n: int | None, seed: int | None, jobs: int, as_json: bool, out: Path,
                        store: Path | None, posterior: str | None, draws: int, draw_patients: int,
                        shipped_by_default: bool = False) -> None:
    """Check everything first, then the answer on the defaults, then its intervals, then store.
    ``shipped_by_default``: without --posterior, use the shipped one if it can be used (the
    demo), else say why there are no intervals."""
    _check_before_running(scenario, n, out, store)
    if shipped_by_default and posterior is None and draws > 0:
        from painsim.app.posterior import DEFAULT_POSTERIOR, default_posterior_note

        note = default_posterior_note()
        if note is None:
            posterior = DEFAULT_POSTERIOR
        else:  # the answer on the defaults still stands; say why it has no intervals
            typer.echo(f"note: no credible intervals: {note}", err=True)
    post = _posterior_for(scenario, posterior, draws, draw_patients, store)
    run = _run(scenario, n, seed, jobs, as_json)
    if post is not None:
        run.uncertainty = _posterior_answer(scenario, post, draws, draw_patients, seed, jobs, as_json)
    overrides = {"n": n, "seed": seed, **({"posterior": posterior, "draws": draws} if post is not None else {})}
    _answer(run, out, as_json, text, store, overrides)


@app.command()
def validate(file: Path = typer.Argument(..., help="Scenario file or trial spec (TOML).")) -> None:
    """Check a scenario file or a trial spec and say what is wrong, where, and what is allowed,
    and what a run will cost (docs/scenarios.md, docs/trials.md: "Limits")."""
    if _is_trial_spec(file):
        spec = load_trial_file(file)
        typer.echo(f"{file}: valid trial spec '{spec.name}': {len(spec.arms)} arm(s) ({', '.join(spec.arms)}), "
                   f"{spec.n_total:,} randomised, visits at weeks {', '.join(map(str, spec.visits.weeks))}, "
                   f"seed {spec.seed}")
        typer.echo(spec.cost().describe())
        return
    scenario, _ = load_scenario_file(file)
    arms = ", ".join(scenario.arms)
    typer.echo(f"{file}: valid scenario '{scenario.name}': {len(scenario.arms)} arm(s) ({arms}), "
               f"n = {scenario.n:,}, horizon {scenario.horizon_days} days, seed {scenario.seed}")
    typer.echo(scenario.cost().describe())


def _is_trial_spec(path: Path) -> bool:
    from painsim.scenario import ScenarioError
    from painsim.tomlfiles import read_text_file
    from painsim.trials.spec import is_trial_spec

    try:
        return is_trial_spec(read_text_file(path, ScenarioError, "scenario file"))
    except ScenarioError:
        return False  # the scenario reader says why the file cannot be read


@app.command()
def schema(out: Path = typer.Option(None, help="Write the schema to this file instead of printing it."),
           builtin_only: bool = typer.Option(False, "--builtin-only",
                                             help="Leave out treatments of installed plug-in packages "
                                                  "(as docs/scenario.schema.json).")) -> None:
    """JSON Schema of scenario files, for editors (e.g. '#:schema ./scenario.schema.json');
    it covers every registered treatment, plug-ins included."""
    from painsim.scenario import scenario_json_schema

    text = scenario_json_schema(builtin_only=builtin_only)
    if out is None:
        typer.echo(text)
    else:
        try:
            out = check_output_file(out, "--out")
        except BadInputError as err:
            fail(str(err))
        try:
            out.write_text(text + "\n")
        except OSError as err:
            fail(f"--out {out}: cannot be written ({err.strerror or err})")
        typer.echo(f"wrote {out}")


@app.command("natural-history")
def natural_history_command(
    n: int = typer.Option(20_000, min=1, max=5_000_000, help="Patients in the cohort."),
    seed: int = seed_option(1, "Random seed: same seed, same results."),
    days: int = typer.Option(365, min=28, max=3650, help="Days to follow the cohort."),
    out: Path = typer.Option(Path("painsim-output"), help="Folder for the figure and table."),
    jobs: int = typer.Option(DEFAULT_JOBS, min=1, help="Threads to use."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary only."),
) -> None:
    """Natural history of untreated chronic low back pain, and each loop switched off."""
    from painsim.outcomes import natural_history

    check_outputs(out, ["natural_history.png", "natural_history.csv"])
    with progress(as_json) as bar:
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
    _print_history(history, headline)
    console = Console()
    console.print(f"figure: [bold]{escape(str(figure))}[/bold]\ndaily means: [bold]{escape(str(table_path))}[/bold]")
    console.print(f"[dim]{DISCLAIMER}[/dim]")


def _print_history(history, headline: dict[str, float]) -> None:
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
