"""Commands for virtual trials: ``painsim trial FILE``, ``painsim trial power FILE`` and
``painsim trial pool FILE FILE...``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from painsim.cli.common import (
    DEFAULT_JOBS,
    DISCLAIMER,
    BadInputError,
    ResultsOption,
    SchedulerOption,
    StoreOption,
    check_outputs,
    check_png_target,
    check_results_folder,
    choices_metavar,
    cluster_client,
    described,
    fail,
    load_trial_file,
    one_of,
    plain_text_figures,
    progress,
    seed_option,
)


class _RunByDefault(TyperGroup):
    """``painsim trial FILE`` runs the trial; ``painsim trial power FILE`` computes power."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["run", *args]
        return super().parse_args(ctx, args)


trial_app = typer.Typer(
    cls=_RunByDefault,
    help="Virtual randomised trials: `painsim trial FILE [--json]` runs and analyses a trial spec; "
    "`painsim trial power FILE --n 50:400:50` gives a power curve (docs/trials.md); "
    "`painsim trial assurance FILE --posterior ID --n 50:400:50` averages it over a posterior; "
    "`painsim trial pool FILE FILE...` meta-analyses several virtual trials (docs/evidence.md).",
    no_args_is_help=True,
)


@trial_app.command("run")
def run_command(
    file: Path = typer.Argument(..., help="Trial spec (TOML); see docs/trials.md."),
    seed: int = seed_option(None, "Override the spec's seed."),
    method: str = typer.Option(None, help=f"Missing-data handling: {one_of('missing_data')} (default: the spec's)."),
    out: Path = typer.Option(Path("painsim-output"), help="Folder for the figure and result JSON."),
    jobs: int = typer.Option(DEFAULT_JOBS, min=1, help="Threads for the simulation."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON result only (schema in docs/trials.md)."),
) -> None:
    """Run a virtual trial: screen, randomise, simulate each arm, follow up and analyse (ITT)."""
    from painsim.app import check_missing_method, run_and_analyse_trial
    from painsim.engine.screening import ScreeningError
    from painsim.outputs import output_path

    spec = load_trial_file(file)
    try:
        check_missing_method(method)
    except BadInputError as err:
        fail(str(err))
    figure, json_path = output_path(out, spec.name, "_by_visit.png"), output_path(out, spec.name, "_trial.json")
    check_outputs(out, [figure.name, json_path.name])
    with progress(as_json) as bar:
        tasks: dict[str, int] = {}

        def report(stage: str, done: int, total: int) -> None:
            key = "screen" if stage == "screening" else "arms"
            if key not in tasks:
                tasks[key] = bar.add_task("screening" if key == "screen" else "simulating arms", total=total)
            bar.update(tasks[key], completed=done, total=total, description=stage)

        try:
            result = run_and_analyse_trial(spec, seed=seed, method=method, progress=report, n_jobs=jobs)
        except ScreeningError as err:
            fail(str(err))
    out.mkdir(parents=True, exist_ok=True)
    with plain_text_figures():
        result.plot(figure)
    payload = {**result.to_json(), "figure": str(figure)}
    json_path.write_text(json.dumps(payload, indent=2))
    if as_json:
        typer.echo(json.dumps(payload, indent=2))
        return
    _print_trial(result, figure, json_path)


def _print_trial(result, figure: Path, json_path: Path) -> None:
    console = Console(width=max(Console().width, 120))
    spec = result.data.spec
    flow = result.flow
    console.print(f"[bold]{escape(spec.title or spec.name)}[/bold]")
    reasons = ", ".join(f"{k}: {v}" for k, v in flow["excluded_reasons"].items() if v)
    console.print(f"screened {flow['screened']:,}; excluded {flow['excluded']:,} ({reasons or 'none'}); "
                  f"eligible and randomised {flow['randomised']:,}")
    arms = Table(title="CONSORT flow by arm")
    weeks = [str(w) for w in spec.visits.weeks]
    for column in ("arm", "allocated", "received care", "stopped care", *[f"followed up wk {w}" for w in weeks]):
        arms.add_column(column, justify="left" if column == "arm" else "right")
    for name, counts in flow["arms"].items():
        arms.add_row(escape(name), str(counts["allocated"]), str(counts["received_allocated_care"]),
                     str(counts["stopped_care"]), *[str(counts["followed_up"][w]) for w in weeks])
    console.print(arms)
    level = round(100 * (1 - spec.analysis.alpha))
    table = Table(title=f"Adjusted differences, arm minus comparator (ANCOVA on change; {result.method}; "
                        f"{level}% CI)")
    for column in ("outcome", "week", "arm", "comparator", "MD", f"{level}% CI", "p", "SMD (g)"):
        table.add_column(column, justify="right" if column in ("week", "MD", "p", "SMD (g)") else "left")
    for row in result.comparisons.itertuples():
        table.add_row(row.outcome, str(row.week), escape(row.arm), escape(row.comparator), f"{row.md:+.2f}",
                      f"{row.ci_lb:+.2f} to {row.ci_ub:+.2f}", f"{row.p:.3g}", f"{row.smd:+.2f}")
    console.print(table)
    if len(result.responders):
        resp = Table(title="Responders (improvement from baseline of at least the threshold)")
        for column in ("outcome", "week", "threshold", "arm", "comparator", "arm %", "comparator %", "RD (95% CI)"):
            resp.add_column(column)
        for row in result.responders.itertuples():
            resp.add_row(row.outcome, str(row.week), f">= {row.threshold:.0%}", escape(row.arm), escape(row.comparator),
                         f"{row.p_arm:.0%}", f"{row.p_comparator:.0%}",
                         f"{row.rd:+.2f} ({row.ci_lb:+.2f} to {row.ci_ub:+.2f})")
        console.print(resp)
    console.print(f"figure: [bold]{escape(str(figure))}[/bold]\nresult: [bold]{escape(str(json_path))}[/bold]")
    console.print(f"[dim]{DISCLAIMER}[/dim]")


@trial_app.command("power")
def power_command(
    file: Path = typer.Argument(..., help="Trial spec (TOML); its primary comparison is tested."),
    n: str = typer.Option(..., "--n", help="n per arm: START:STOP:STEP (inclusive), e.g. 50:400:50, or a list 50,100."),
    reps: int = typer.Option(None, min=1, max=100_000, help="Virtual trials per n (default: the spec's power.reps)."),
    seed: int = seed_option(None, "Override the spec's seed."),
    method: str = typer.Option(None, help=f"Missing-data handling: {one_of('missing_data')} "
                                          "(default: power.missing, else the trial's)."),
    jobs: int = typer.Option(DEFAULT_JOBS, min=1, help="Local Dask worker processes (results do not depend on it)."),
    scheduler: SchedulerOption = None,
    results: ResultsOption = None,
    store: StoreOption = None,
    out: Path = typer.Option(Path("painsim-output"), help="Folder for the power CSV."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON power curve only."),
) -> None:
    """Power of the primary comparison by repeated virtual trials at each n per arm.

    The trials run as a resumable Dask sweep: a local cluster of --jobs processes, or the
    cluster at --scheduler; every finished batch of trials is kept in the results folder, so
    an interrupted run repeated with the same command computes only what is missing."""
    from painsim.app import check_missing_method, run_power_curve, sweep_results_folder
    from painsim.engine.screening import ScreeningError
    from painsim.limits import check_power_cost
    from painsim.outputs import output_path
    from painsim.sweeps import SweepError
    from painsim.trials.power import parse_range

    spec = load_trial_file(file)
    try:
        ns = parse_range(n)
        check_power_cost(spec, ns, reps or spec.power.reps)
        check_missing_method(method)
    except ValueError as err:
        fail(str(err))
    key = json.dumps({"spec": spec.model_dump(mode="json"), "ns": ns, "reps": reps, "seed": seed,
                      "method": method}, sort_keys=True)
    folder = sweep_results_folder(results, store, "power", spec.name, key)
    csv = output_path(out, spec.name, "_power.csv")
    check_outputs(out, [csv.name])
    check_results_folder(folder)
    with cluster_client(scheduler or ("serial" if jobs <= 1 else None), jobs) as client, progress(as_json) as bar:
        task = bar.add_task("virtual trials", total=len(ns) * (reps or spec.power.reps))
        try:
            power = run_power_curve(spec, ns, reps=reps, seed=seed, method=method, client=client, results=folder,
                                    progress=lambda done, total: bar.update(task, completed=done))
        except SweepError as err:
            fail(str(err), 1)
        except ScreeningError as err:
            fail(str(err))
    out.mkdir(parents=True, exist_ok=True)
    power.replicates.to_csv(csv, index=False)
    payload = {**power.to_json(), "replicates_csv": str(csv), "results": str(folder.path)}
    if as_json:
        typer.echo(json.dumps(payload, indent=2))
        return
    outcome, week, arm, comparator, curve = (payload["outcome"], payload["week"], payload["arm"],
                                             payload["comparator"], power.curve)
    console = Console()
    table = Table(title=escape(f"Power: {outcome} at week {week}, {arm} vs {comparator} (alpha {spec.analysis.alpha})"))
    for column in ("n per arm", "trials", "power", "95% CI", "mean MD", "mean SMD"):
        table.add_column(column, justify="right")
    for row in curve.itertuples():
        table.add_row(str(row.n), str(row.reps), f"{row.power:.0%}", f"{row.power_lb:.0%}-{row.power_ub:.0%}",
                      f"{row.md_mean:+.2f}", f"{row.smd_mean:+.2f}")
    console.print(table)
    console.print(f"replicates: [bold]{escape(str(csv))}[/bold]")
    console.print(f"[dim]{DISCLAIMER}[/dim]")


@trial_app.command("assurance")
def assurance_command(
    file: Path = typer.Argument(..., help="Trial spec (TOML); its primary comparison is tested."),
    posterior: str = typer.Option(..., "--posterior", metavar="ID",
                                  help="'default' (shipped with painsim) or a stored posterior's run id."),
    n: str = typer.Option(..., "--n", help="n per arm: START:STOP:STEP (inclusive), e.g. 50:400:50, or a list 50,100."),
    draws: int = typer.Option(200, min=1, max=100_000, help="Posterior draws per n (one virtual trial each)."),
    reps: int = typer.Option(None, min=1, max=100_000, help="Virtual trials per n of the power curve beside it "
                                                            "(default: the spec's power.reps)."),
    seed: int = seed_option(None, "Override the spec's seed."),
    method: str = typer.Option(None, help=f"Missing-data handling: {one_of('missing_data')} "
                                          "(default: power.missing, else the trial's)."),
    jobs: int = typer.Option(DEFAULT_JOBS, min=1, help="Local Dask worker processes (results do not depend on it)."),
    scheduler: SchedulerOption = None,
    results: ResultsOption = None,
    store: StoreOption = None,
    out: Path = typer.Option(Path("painsim-output"), help="Folder for the figure and the trials' CSV."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON curve only."),
) -> None:
    """Assurance: the probability that the trial succeeds averaged over a posterior (O'Hagan,
    Stevens & Campbell 2005), beside the power curve on the calibrated defaults.

    Success is the power curve's: a significant primary comparison. The trials run as a
    resumable Dask sweep, like `painsim trial power`."""
    from painsim.app import check_missing_method, sweep_results_folder
    from painsim.app.assurance import check_assurance, run_assurance, save_assurance_figure
    from painsim.app.posterior import load_posterior
    from painsim.engine.screening import ScreeningError
    from painsim.limits import LimitError
    from painsim.outputs import output_path
    from painsim.sweeps import SweepError
    from painsim.trials.power import parse_range

    spec = load_trial_file(file)
    try:
        ns = parse_range(n)
        check_missing_method(method)
        post = load_posterior(posterior, store)
        check_assurance(spec, post, ns, draws)
    except (ValueError, LimitError) as err:  # AppInputError is a ValueError
        fail(str(err))
    key = json.dumps({"spec": spec.model_dump(mode="json"), "ns": ns, "draws": draws, "reps": reps, "seed": seed,
                      "method": method, "posterior": post.run_id, "model_version": post.model_version},
                     sort_keys=True)
    folder = sweep_results_folder(results, store, "assurance", spec.name, key)
    csv, figure = output_path(out, spec.name, "_assurance.csv"), output_path(out, spec.name, "_assurance.png")
    check_outputs(out, [csv.name, figure.name])
    check_results_folder(folder)
    with cluster_client(scheduler or ("serial" if jobs <= 1 else None), jobs) as client, progress(as_json) as bar:
        task = bar.add_task("virtual trials", total=len(ns) * (draws + (reps or spec.power.reps)))
        try:
            curve = run_assurance(spec, post, ns, draws=draws, power_reps=reps, seed=seed, method=method,
                                  client=client, results=folder,
                                  progress=lambda done, total: bar.update(task, completed=done))
        except SweepError as err:
            fail(str(err), 1)
        except ScreeningError as err:
            fail(str(err))
    out.mkdir(parents=True, exist_ok=True)
    curve.replicates.to_csv(csv, index=False)
    with plain_text_figures():
        save_assurance_figure(curve, figure)
    payload = {**curve.to_json(), "replicates_csv": str(csv), "figure": str(figure), "results": str(folder.path)}
    if as_json:
        typer.echo(json.dumps(payload, indent=2))
        return
    console = Console()
    table = Table(title=escape(f"Assurance over posterior {post.run_id} ({draws} draws) and power: "
                               f"{payload['outcome']} at week {payload['week']}, {payload['arm']} vs "
                               f"{payload['comparator']} (alpha {spec.analysis.alpha})"))
    for column in ("n per arm", "assurance", "95% CI", "power (defaults)", "95% CI", "mean MD"):
        table.add_column(column, justify="right")
    for row in curve.curve.itertuples():
        table.add_row(str(row.n), f"{row.assurance:.0%}", f"{row.assurance_lb:.0%}-{row.assurance_ub:.0%}",
                      f"{row.power:.0%}", f"{row.power_lb:.0%}-{row.power_ub:.0%}", f"{row.md_mean:+.2f}")
    console.print(table)
    console.print(f"figure: [bold]{escape(str(figure))}[/bold]\ntrials: [bold]{escape(str(csv))}[/bold]")
    console.print(f"[dim]{DISCLAIMER}[/dim]")


@trial_app.command("pool")
def pool_command(
    files: list[Path] = typer.Argument(..., help="Two or more trial specs (TOML); each contributes its primary "
                                                 "comparison (arm vs comparator) at its own primary week."),
    outcome: str = typer.Option(None, help=f"{one_of('outcomes')} for every trial (default: each trial's primary "
                                           "outcome; different outcomes pool only as SMD)."),
    week: int = typer.Option(None, min=1, help="One visit week for every trial (default: each trial's primary "
                                               "week)."),
    window: str = typer.Option(None, metavar=choices_metavar("follow_up_windows"),
                               help=f"Each trial's visit in a follow-up window: {described('follow_up_windows')}. "
                                    "A trial with no visit there is left out (said on stderr)."),
    measure: str = typer.Option("SMD", metavar=choices_metavar("pooling_measures"),
                                help=f"{described('pooling_measures')}."),
    method: str = typer.Option("REML", metavar=choices_metavar("tau2_methods"),
                               help=f"tau^2 estimator: {one_of('tau2_methods')}."),
    test: str = typer.Option("z", metavar=choices_metavar("tests"), help=f"Inference: {described('tests')}."),
    forest: Path = typer.Option(None, metavar="PNG", help="Write a forest plot."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON result only (with the certainty summary "
                                                       "of `painsim meta --json`)."),
) -> None:
    """Run several virtual trials and meta-analyse their primary comparisons (docs/trials.md, docs/evidence.md)."""
    from painsim.app import check_choice, pool_virtual_trials

    if len(files) < 2:
        fail(f"pooling needs at least two trial specs, got {len(files)}")
    try:  # the options first, before any spec is read or any trial runs
        for name, value, option in (("pooling_measures", measure, "--measure"), ("tau2_methods", method, "--method"),
                                    ("tests", test, "--test"), ("outcomes", outcome, "--outcome"),
                                    ("follow_up_windows", window, "--window")):
            if value is not None:
                check_choice(name, value, option)
        if week is not None and window is not None:
            raise BadInputError("--week and --window cannot be combined")
        forest = forest and check_png_target(forest, "--forest")
    except BadInputError as err:
        fail(str(err))
    specs = [(str(path), load_trial_file(path)) for path in files]
    with progress(as_json) as bar:
        task = bar.add_task("virtual trials", total=len(specs))
        try:
            pool = pool_virtual_trials(specs, outcome=outcome, week=week, window=window, measure=measure,
                                       method=method, test=test,
                                       progress=lambda done, total: bar.update(task, completed=done, total=total))
        except BadInputError as err:
            fail(str(err))
    for reason in pool.skipped:
        Console(stderr=True, soft_wrap=True).print(f"skipped {escape(reason)}", highlight=False)
    if forest is not None:
        import matplotlib.pyplot as plt

        from painsim.evidence.plots import forest_plot

        with plain_text_figures():
            plt.close(forest_plot(pool.pooled.fit, forest, title=f"{len(pool.trials)} virtual trials: {_what(pool)}",
                                  favours=("favours the arm", "favours the comparator")))
    payload = {**pool.to_json(), "forest": str(forest) if forest else None}
    if as_json:
        typer.echo(json.dumps(payload, indent=2))
        return
    _print_pooled(pool, forest)


def _what(pool) -> str:
    """What was pooled, for titles: the outcome and week when all trials share them."""
    from painsim.app import choices

    labels = {c.value: c.label for c in choices()["outcomes"]}
    outcome = labels.get(pool.outcome, pool.outcome) if pool.outcome else "each trial's outcome"
    if pool.window is not None:
        return f"{outcome}, {pool.window}-term follow-up"
    return f"{outcome} at week {pool.week}" if pool.week is not None else f"{outcome} at each trial's primary week"


def _print_pooled(pool, forest: Path | None) -> None:
    console = Console()
    pooled, fit = pool.pooled, pool.pooled.fit
    table = Table(title=escape(f"Virtual trials pooled: {_what(pool)} ({fit.measure}, {fit.method})"))
    for column in ("trial", "arm vs comparator", "outcome", "week", "n", "effect", "95% CI", "weight"):
        table.add_column(column, justify="left" if column in ("trial", "arm vs comparator", "outcome") else "right")
    for k, row in enumerate(pooled.table.itertuples()):
        half = 1.96 * pooled.effects.vi[k] ** 0.5
        trial = pool.trials[k]
        table.add_row(escape(row.study), escape(f"{trial.arm} vs {trial.comparator}"), row.outcome, str(row.week),
                      f"{row.n1i + row.n2i}", f"{pooled.effects.yi[k]:+.2f}",
                      f"{pooled.effects.yi[k] - half:+.2f} to {pooled.effects.yi[k] + half:+.2f}",
                      f"{fit.weights[k]:.1f}%")
    console.print(table)
    pi = "" if fit.pi_lb is None else f", prediction interval {fit.pi_lb:+.2f} to {fit.pi_ub:+.2f}"
    console.print(f"pooled {fit.estimate:+.2f} (95% CI {fit.ci_lb[0]:+.2f} to {fit.ci_ub[0]:+.2f}){pi}; "
                  f"tau^2 {fit.tau2:.3f}, I^2 {fit.i2:.0f}%, Q {fit.q:.1f} (df {fit.q_df}, p {fit.q_p:.2g})",
                  highlight=False)
    if pool.analysis.certainty is not None:
        console.print(escape(pool.analysis.certainty.lines()[0]), highlight=False)
    if forest is not None:
        console.print(f"forest plot: [bold]{escape(str(forest))}[/bold]")
    console.print(f"[dim]{DISCLAIMER}[/dim]")
