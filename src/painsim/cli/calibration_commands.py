"""Commands that sweep: ``painsim calibrate`` and ``painsim sensitivity`` (docs/calibration.md,
docs/sensitivity.md, docs/scaling.md)."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from painsim.app import check_choice, sweep_results_folder
from painsim.cli.common import (
    DISCLAIMER,
    BadInputError,
    ResultsOption,
    SchedulerOption,
    StoreOption,
    WorkersOption,
    check_output_file,
    check_results_folder,
    check_store,
    choices_metavar,
    cluster_client,
    described,
    fail,
    load_scenario_file,
    one_of,
    plain_text_figures,
    progress,
    seed_option,
    store_sweep_run,
)

app = typer.Typer()


def _n_workers(client: Any) -> int:
    if isinstance(client, str):
        return 1
    return max(1, len(client.scheduler_info().get("workers", {})))


@app.command()
def calibrate(
    targets_file: Path = typer.Argument(..., metavar="TARGETS", help="Targets file (TOML); see docs/calibration.md."),
    method: str = typer.Option("optimise", metavar=choices_metavar("calibration_methods"),
                               help=f"{described('calibration_methods')}."),
    budget: int = typer.Option(None, "--budget", help="optimise: number of optimiser trials (> 0; required)."),
    population: int = typer.Option(100, min=2, max=100_000, help="abc-smc: particles per generation."),
    generations: int = typer.Option(5, min=1, max=100, help="abc-smc: generations (an interrupted run resumes)."),
    seed: int = seed_option(0, "abc-smc: seed of the proposals (the cohorts' seed is [fit] seed)."),
    kernel_scale: float = typer.Option(1.0, "--kernel-scale", min=0.01, max=100.0,
                                       help="abc-smc: width of the perturbation kernel (times Silverman's "
                                            "covariance); about 2 keeps the weights even with 10 or more "
                                            "parameters (docs/calibration.md)."),
    min_epsilon: float = typer.Option(None, "--min-epsilon", min=0.0,
                                      help="abc-smc: the lowest tolerance (root mean square of the standardised "
                                           "errors); default: the value the truth stays below 95% of the time "
                                           "under the targets' own errors."),
    holdout: str = typer.Option(
        "", help="Targets left out of the fit (NAME[,NAME]; default: those the file marks holdout = true; "
                 "'none' fits all); their prediction is reported."),
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    results: ResultsOption = None,
    store: StoreOption = None,
    as_json: bool = typer.Option(False, "--json", help="Print the JSON summary only."),
) -> None:
    """Fit the parameters a targets file names to its published targets: one best set (Optuna)
    or a posterior (ABC-SMC), on Dask."""
    from painsim.calibration import TargetsError, load_targets

    try:
        method = check_choice("calibration_methods", method, "--method")
    except BadInputError as err:
        fail(str(err))
    if method == "optimise" and (budget is None or budget <= 0):
        fail("--budget must be a positive number of trials" + ("" if budget is None else f", got {budget}"))
    try:
        targets, text = load_targets(targets_file)
        names = [h.strip() for h in holdout.split(",") if h.strip()]
        names = [] if names == ["none"] else names or targets.holdout
        targets.check_holdout(names)
    except TargetsError as err:
        fail(str(err))
    if not targets.parameters:
        fail(f"{targets_file}: [parameters] names nothing to fit; add e.g. heal_rate = {{ low = 0.05, high = 0.08 }}")
    if method == "abc-smc":
        _calibrate_abc(targets_file, targets, text, names, population, generations, seed, scheduler, workers,
                       results, store, as_json, kernel_scale, min_epsilon)
        return
    _calibrate_optimise(targets_file, targets, text, names, budget, scheduler, workers, results, store, as_json)


def _calibrate_optimise(targets_file: Path, targets: Any, text: str, names: list[str], budget: int,
                        scheduler: str | None, workers: int | None, results: Path | None, store: Path | None,
                        as_json: bool) -> None:
    from painsim.app import check_calibration_cost
    from painsim.calibration import calibrate as run_calibration
    from painsim.limits import LimitError

    try:  # before any folder is made: the trials' runs within the limits of one run
        check_calibration_cost(targets, budget)
    except LimitError as err:
        fail(f"{targets_file}: {err}" if err.field.startswith("fit.") else str(err))
    folder = sweep_results_folder(results, store, "calibration", targets.name, targets.text_hash)
    check_results_folder(folder)
    check_store(store)
    start = time.perf_counter()
    with cluster_client(scheduler, workers) as client, progress(as_json) as bar:
        task = bar.add_task("calibration trials", total=budget)
        fit = run_calibration(targets, budget, folder, client, holdout=names, n_workers=_n_workers(client),
                              progress=lambda done, total: bar.update(task, completed=done))
    seconds = time.perf_counter() - start
    summary = {**fit.summary(), "ran": fit.ran, "reused": fit.reused, "seconds": round(seconds, 1),
               "results": str(folder.path)}
    run_id = store_sweep_run(store, text, targets.fit.seed, f"calibration:{targets.name}",
                        {"budget": budget, "holdout": names, "scheduler": scheduler or "local",
                         "results": str(folder.path)},
                        {"trials": fit.trials, "best": fit.top(5), "fit": fit.fit_table()}, summary)
    if as_json:
        typer.echo(json.dumps({**summary, "run_id": run_id}, indent=2))
        return
    console = Console(width=max(Console().width, 140))
    table = Table(title=f"Calibration fit: {escape(targets.title or targets.name)} (best of {budget} trials, "
                        f"n = {targets.fit.n:,} per scenario)")
    for column in ("target", "role", "statistic", "value", "band", "simulated", "within?"):
        table.add_column(column, justify="right" if column in ("value", "simulated") else "left")
    for row in fit.fit_table().itertuples():
        table.add_row(escape(row.target), row.role, escape(row.statistic), f"{row.value:.3g}",
                      f"{row.band_low:.3g} to {row.band_high:.3g}", f"{row.simulated:.3g}",
                      "[green]yes[/green]" if row.within else "[red]no[/red]")
    console.print(table)
    params = Table(title=f"Best parameters (loss {summary['best_loss']:.4f})")
    for column in ("parameter", "best", "range"):
        params.add_column(column)
    for name, value in fit.best_values.items():
        rng = targets.parameters[name]
        params.add_row(name, f"{value:.4g}", f"{rng.low:g} to {rng.high:g}")
    console.print(params)
    console.print(f"fit: {summary['fit_within']} targets within their band"
                  + (f"; holdout: {summary['holdout_within']}" if summary["holdout_within"] else "")
                  + f"; {fit.ran} trials run, {fit.reused} reused from {escape(str(folder.path))} ({seconds:.0f} s)")
    console.print(f"stored as run [bold]{run_id}[/bold] (painsim show {run_id})")
    console.print(f"[dim]{DISCLAIMER}[/dim]")


def _calibrate_abc(targets_file: Path, targets: Any, text: str, names: list[str], population: int,
                   generations: int, seed: int, scheduler: str | None, workers: int | None, results: Path | None,
                   store: Path | None, as_json: bool, kernel_scale: float = 1.0,
                   min_epsilon: float | None = None) -> None:
    """A posterior by ABC-SMC (docs/calibration.md); the run's database lives in the results
    folder, so the same command after an interruption continues from the last generation."""
    from painsim.app import check_calibration_cost
    from painsim.app.posterior import parameters_json
    from painsim.calibration.abc_smc import calibrate_abc, dask_map, predictive_check
    from painsim.calibration.model_version import model_version
    from painsim.limits import LimitError

    try:  # a generation is at least `population` runs of every target's scenarios
        check_calibration_cost(targets, population, "--population")
    except LimitError as err:
        fail(f"{targets_file}: {err}" if err.field.startswith("fit.") else str(err))
    settings = [] if kernel_scale == 1.0 and min_epsilon is None else [kernel_scale, min_epsilon]
    key = json.dumps([targets.text_hash, sorted(names), population, seed, *settings])
    folder = sweep_results_folder(results, store, "posterior", targets.name, key)
    check_results_folder(folder)
    check_store(store)
    database, problem = folder.path / "abc.db", folder.path / "abc-problem.json"
    resumed = database.exists()
    if resumed and (not problem.exists() or problem.read_text() != key):
        fail(f"{database} holds another calibration (targets, holdout, population, seed, kernel scale or "
             "minimum tolerance differ); "
             "give another --results folder or remove it")
    folder.path.mkdir(parents=True, exist_ok=True)
    problem.write_text(key)
    start = time.perf_counter()
    with cluster_client(scheduler, workers) as client, progress(as_json) as bar:
        task = bar.add_task("ABC-SMC", total=population)

        def report(generation: int, accepted: int, wanted: int) -> None:
            label = "first tolerance" if generation < 0 else f"generation {generation + 1} of {generations}"
            bar.update(task, completed=accepted, total=wanted, description=f"ABC-SMC, {label}")

        mapper = map if isinstance(client, str) else dask_map(client)
        post = calibrate_abc(targets, database, holdout=names, population_size=population, generations=generations,
                             seed=seed, map_=mapper, resume=resumed, progress=report, kernel_scale=kernel_scale,
                             min_epsilon=min_epsilon)
    seconds = time.perf_counter() - start
    table = post.table()
    check = predictive_check(targets, post, names)
    summary = {"method": "abc-smc", "predictive_check": _inside_shares(check),
               "parameters": parameters_json(table),
               "generations": len(post.generations), "population": population, "evaluations": post.evaluations,
               "ess": round(post.ess, 1), "final_epsilon": float(post.generations["epsilon"].iloc[-1]),
               "holdout": names, "resumed": resumed, "seconds": round(seconds, 1), "results": str(folder.path)}
    draws = post.draws.assign(weight=post.weights)
    run_id = store_sweep_run(store, text, targets.fit.seed, f"posterior:{targets.name}",
                             {"method": "abc-smc", "population": population, "generations": generations, "seed": seed,
                              "kernel_scale": kernel_scale, "min_epsilon": min_epsilon,
                              "holdout": names, "targets_hash": targets.text_hash, "results": str(folder.path),
                              "model_version": model_version()},
                             {"draws": draws, "generations": post.generations, "posterior": table.reset_index(),
                              "predictive": check},
                             summary)
    if as_json:
        typer.echo(json.dumps({**summary, "run_id": run_id}, indent=2))
        return
    console = Console(width=max(Console().width, 120))
    priors = {name: (r.low, r.high, r.log) for name, r in targets.parameters.items()}
    console.print(_posterior_table(f"Posterior: {escape(targets.title or targets.name)} (ABC-SMC, {population} "
                                   f"particles, {len(post.generations)} generations, n = {targets.fit.n:,} per "
                                   "scenario)", table, priors))
    gens = Table(title="Generations")
    for column in ("generation", "tolerance", "evaluations", "acceptance", "ESS"):
        gens.add_column(column, justify="right")
    for row in post.generations.itertuples():
        gens.add_row(str(row.generation + 1), f"{row.epsilon:.4g}", f"{row.evaluations:,}", f"{row.acceptance:.2f}",
                     f"{row.ess:.0f}")
    console.print(gens)
    _print_predictive(console, check)
    console.print(f"{post.evaluations:,} evaluations in {seconds:.0f} s"
                  + (" (resumed from the last complete generation)" if resumed else "")
                  + f"; run database {escape(str(database))}")
    console.print(f"stored as run [bold]{run_id}[/bold] (painsim show {run_id})")
    console.print(f"[dim]{DISCLAIMER}[/dim]")


def _posterior_table(title: str, table: Any, priors: dict[str, tuple[float, float, bool]]) -> Table:
    """Each parameter's prior and posterior (mean, SD, 5/50/95%) as a rich table."""
    out = Table(title=title)
    for column in ("parameter", "prior", "mean", "sd", "5%", "50%", "95%"):
        out.add_column(column, justify="left" if column in ("parameter", "prior") else "right")
    for name, row in table.iterrows():
        low, high, log = priors[name]
        out.add_row(name, f"{'log-' if log else ''}uniform {low:g} to {high:g}",
                    *(f"{row[c]:.4g}" for c in ("mean", "sd", "q05", "q50", "q95")))
    return out


def _inside_shares(check: Any) -> dict[str, str]:
    """'k/n' of targets whose published value is inside the 90% predictive interval, by role."""
    return {role: f"{int(rows.inside.sum())}/{len(rows)}" for role, rows in check.groupby("role")}


def _print_predictive(console: Console, check: Any) -> None:
    table = Table(title="Posterior predictive check (90% interval of the accepted particles' simulations)")
    for column in ("target", "role", "published", "90% interval", "inside?"):
        table.add_column(column, justify="right" if column == "published" else "left")
    for row in check.itertuples():
        table.add_row(escape(row.target), row.role, f"{row.published:.3g}", f"{row.low:.3g} to {row.high:.3g}",
                      "[green]yes[/green]" if row.inside else "[red]no[/red]")
    console.print(table)
    shares = _inside_shares(check)
    console.print("inside: " + "; ".join(f"{role} {share}" for role, share in shares.items()))


@app.command()
def posterior(
    run: str = typer.Argument(..., metavar="ID", help="Run id (or a unique prefix) of a stored posterior, or "
                                                      "'default' (the posterior shipped with painsim)."),
    out: Path = typer.Option(Path("painsim-output"), "--out", help="Folder for the figure (PNG)."),
    store: StoreOption = None,
    as_json: bool = typer.Option(False, "--json", help="Print the JSON summary only."),
) -> None:
    """A stored ABC-SMC posterior: each parameter's prior and posterior, the generations, and
    a figure of the marginals against the priors with the pairwise draws."""
    from painsim.app import AppInputError
    from painsim.app.posterior import (
        DEFAULT_POSTERIOR,
        posterior_json,
        posterior_of_run,
        save_posterior_figure,
        shipped_posterior,
    )
    from painsim.cli.common import open_store, store_errors

    try:
        if run == DEFAULT_POSTERIOR:
            post = shipped_posterior()
        else:
            with store_errors():
                stored = open_store(store).get(run)
                stored.verify()
            post = posterior_of_run(stored)
    except AppInputError as err:
        fail(str(err))
    try:
        figure = check_output_file(out / f"posterior-{post.run_id}.png", "--out", create_folder=True)
    except BadInputError as err:
        fail(str(err))
    save_posterior_figure(post, figure)
    if as_json:
        typer.echo(json.dumps({**posterior_json(post), "figure": str(figure)}, indent=2, default=str))
        return
    console = Console(width=max(Console().width, 110))
    console.print(_posterior_table(f"Posterior of {escape(post.targets_name)} (run {post.run_id}; "
                                   f"{len(post.draws)} draws, ESS {post.ess:.0f})", post.table(), post.priors))
    if post.predictive is not None:
        _print_predictive(console, post.predictive)
    console.print(f"{len(post.generations)} generations, final tolerance "
                  f"{float(post.generations['epsilon'].iloc[-1]):.4g}"
                  + (f"; held out: {', '.join(post.holdout)}" if post.holdout else ""))
    console.print(f"figure: {escape(str(figure))}")
    console.print(f"[dim]{DISCLAIMER}[/dim]")


def _param_ranges(spec: str) -> dict[str, tuple[float, float]]:
    from painsim.calibration.targets import check_parameter

    out: dict[str, tuple[float, float]] = {}
    for item in (s.strip() for s in spec.split(",") if s.strip()):
        name, _, bounds = item.partition("=")
        low, _, high = bounds.partition(":")
        try:
            out[name.strip()] = (float(low), float(high))
        except ValueError:
            fail(f"--params: {item!r} must be NAME=LOW:HIGH, e.g. heal_rate=0.05:0.08")
        try:
            check_parameter(name.strip(), *out[name.strip()])
        except ValueError as err:
            fail(f"--params: {err}")
    return out


@app.command()
def sensitivity(
    scenario_file: Path = typer.Argument(..., metavar="SCENARIO", help="Scenario file (TOML), horizon >= 365 days."),
    method: str = typer.Option("sobol", metavar=choices_metavar("sensitivity_methods"),
                               help=f"{described('sensitivity_methods')}."),
    outputs: str = typer.Option("chronic_365,relief_days,lasting",
                                help=f"Outputs, comma-separated (name or name@arm): {one_of('sensitivity_outputs')}."),
    params: str = typer.Option("", help="Parameters beside the 5 loop gains: NAME=LOW:HIGH[,NAME=LOW:HIGH]."),
    loop_max: float = typer.Option(2.0, help="Loop gains vary on [0, LOOP_MAX] (1 = as calibrated)."),
    budget: int = typer.Option(32, help="Base samples N (Sobol: N(D+2) runs; Morris: N trajectories, N(D+1) runs)."),
    n: int = typer.Option(1000, min=10, max=1_000_000, help="Patients in the cohort."),
    seed: int = seed_option(None, "Seed (default: the scenario's)."),
    plot_path: Path = typer.Option(Path("painsim-output/sensitivity.png"), "--plot", help="Where to write the plot."),
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    results: ResultsOption = None,
    store: StoreOption = None,
    as_json: bool = typer.Option(False, "--json", help="Print the JSON summary only."),
) -> None:
    """Which loops and parameters control the outcomes? Sobol or Morris indices (SALib), on Dask."""
    from painsim.app import check_sensitivity_cost
    from painsim.calibration.sensitivity import plot, problem, resolve_outputs, run_sensitivity
    from painsim.limits import LimitError

    if budget <= 0:
        fail(f"--budget must be a positive number of base samples, got {budget}")
    try:
        method = check_choice("sensitivity_methods", method, "--method")
    except BadInputError as err:
        fail(str(err))
    scenario, text = load_scenario_file(scenario_file)
    names = [o.strip() for o in outputs.split(",") if o.strip()]
    ranges = _param_ranges(params)
    try:
        chosen = resolve_outputs(scenario, names)
    except ValueError as err:
        fail(f"--outputs: {err}")
    if not (math.isfinite(loop_max) and loop_max > 0):
        fail(f"--loop-max must be a finite number above 0 (1 = the loop gains as calibrated), got {loop_max}")
    try:
        inputs = problem(ranges, loop_max)["num_vars"]
    except ValueError as err:
        fail(f"--params: {err}")
    try:  # before any folder is made: the samples, and each sample within the limits of one run
        check_sensitivity_cost(scenario, method, [o.arm for o in chosen], inputs, budget, n)
    except LimitError as err:
        fail(str(err))
    key = json.dumps([scenario.model_dump(mode="json"), method, names, ranges, loop_max, budget, n, seed],
                     sort_keys=True)
    folder = sweep_results_folder(results, store, "sensitivity", scenario.name, key)
    try:
        plot_path = check_output_file(plot_path, "--plot", create_folder=True)
    except BadInputError as err:
        fail(str(err))
    check_results_folder(folder)
    check_store(store)
    start = time.perf_counter()
    with cluster_client(scheduler, workers) as client, progress(as_json) as bar:
        task = bar.add_task(f"{method} samples", total=None)
        result = run_sensitivity(scenario, method, names, ranges, budget, n, folder, client, seed=seed,
                                 loop_max=loop_max,
                                 progress=lambda done, total: bar.update(task, completed=done, total=total))
    seconds = time.perf_counter() - start
    plot_path.parent.mkdir(parents=True, exist_ok=True)
    with plain_text_figures():
        plot(result, plot_path)
    summary = {**result.summary(), "ran": result.ran, "reused": result.reused, "seconds": round(seconds, 1),
               "plot": str(plot_path), "results": str(folder.path), "n": n}
    run_id = store_sweep_run(store, text, scenario.seed if seed is None else seed,
                        f"sensitivity:{scenario.name}", {"method": method, "budget": budget, "n": n,
                                                         "params": ranges, "loop_max": loop_max},
                        {"samples": result.samples, "indices": result.indices}, summary)
    if as_json:
        typer.echo(json.dumps({**summary, "run_id": run_id}, indent=2))
        return
    console = Console(width=max(Console().width, 120))
    for output, rows in result.indices.groupby("output", sort=False):
        table = Table(title=escape(f"{method}: {output} ({len(result.samples)} samples, n = {n:,})"))
        columns = ["S1", "S1_conf", "ST", "ST_conf"] if method == "sobol" else ["mu_star", "mu_star_conf", "sigma"]
        table.add_column("input")
        for column in columns:
            table.add_column(column, justify="right")
        for row in rows.itertuples():
            table.add_row(escape(row.input), *[f"{getattr(row, c):.3f}" for c in columns])
        console.print(table)
    console.print(f"plot: [bold]{escape(str(plot_path))}[/bold]; {result.ran} samples run, {result.reused} reused "
                  f"({seconds:.0f} s); stored as run [bold]{run_id}[/bold]")
    console.print(f"[dim]{DISCLAIMER}[/dim]")
