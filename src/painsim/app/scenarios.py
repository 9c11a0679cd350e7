"""Run a scenario and keep it in the results store: written once for the CLI and the web app."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from painsim.app.posterior import StoredPosterior
    from painsim.app.uncertainty import PosteriorAnswer
    from painsim.scenario import Scenario, ScenarioResult

#: ``progress(stage, done, total)``: "building cohort" / "screening ..." stages, then the arms.
StageProgress = Callable[[str, int, int], None]
#: ``cancel()``: called at the safe points of a job; raises to stop it (nothing is stored then).
Cancel = Callable[[], None]

DEMO_SOURCE = "massage_question.toml (embedded)"


@dataclass
class ScenarioRun:
    """A finished scenario: the result, its JSON summary and the id it is stored under
    (None when it was not stored)."""

    result: ScenarioResult
    summary: dict[str, Any]
    run_id: str | None = None
    uncertainty: PosteriorAnswer | None = None
    """Credible intervals of every number over a posterior's draws (:mod:`painsim.app.uncertainty`)."""


def demo_scenario_text() -> str:
    """The TOML text of the flagship scenario, "Does massage work for chronic back pain?"."""
    return resources.files("painsim").joinpath("data/massage_question.toml").read_text()


def demo_scenario() -> tuple[Scenario, str]:
    """The flagship scenario (validated) and its text."""
    from painsim.scenario import parse_scenario

    text = demo_scenario_text()
    return parse_scenario(text, source=DEMO_SOURCE), text


def check_scenario_run(scenario: Scenario, n: int | None, store: Path | bool | None = None) -> None:
    """Before simulating: the run's cost is within the limits (LimitError) and, unless
    ``store`` is False, the store can take a new run (StoreError)."""
    scenario.cost(n)
    if store is not False:
        from painsim.store import Store

        Store(store).check_writable()


def run_scenario(scenario: Scenario, *, n: int | None = None, seed: int | None = None, n_jobs: int = 1,
                 progress: StageProgress | None = None) -> ScenarioRun:
    """Simulate every arm of ``scenario`` on the same cohort; not stored.

    Raises :class:`painsim.engine.screening.ScreeningError` when the cohort cannot be found."""
    from painsim.scenario import run_scenario as simulate_scenario

    result = simulate_scenario(scenario, n=n, seed=seed, n_jobs=n_jobs, progress=progress)
    return ScenarioRun(result, result.summary())


def scenario_run_meta(n: int, overrides: Mapping[str, Any], source: str | None = None) -> dict[str, Any]:
    """The metadata a stored scenario run carries (version, patients per arm, overrides)."""
    from painsim import __version__

    meta: dict[str, Any] = {"painsim_version": __version__, "n": n}
    if source is not None:
        meta["source"] = source
    meta["overrides"] = dict(overrides)
    return meta


def store_scenario_run(run: ScenarioRun, text: str, store: Path | None, meta: Mapping[str, Any],
                       seed: int | None = None) -> str:
    """Keep ``run`` in the store atomically (its input ``text``, every table, the summary);
    set and return its id. Raise StoreError or OSError (then nothing is stored)."""
    from painsim.app.runs import store_tables_run
    from painsim.outcomes.tables import scenario_tables

    result = run.result
    seed = result.cohort.seed if seed is None else seed
    tables = scenario_tables(result)
    if run.uncertainty is not None:
        tables["intervals"] = run.uncertainty.table.reset_index()
        meta = {**meta, "posterior": run.uncertainty.settings()}
    run.run_id = store_tables_run(store, text, seed, result.scenario.name, meta, tables, run.summary)
    return run.run_id


def run_and_store_scenario(scenario: Scenario, text: str, *, n: int | None = None, seed: int | None = None,
                           n_jobs: int = 1, store: Path | None = None, keep: bool = True,
                           overrides: Mapping[str, Any] | None = None, source: str | None = None,
                           progress: StageProgress | None = None, cancel: Cancel | None = None,
                           storing: Callable[[], AbstractContextManager[Any]] | None = None,
                           posterior: StoredPosterior | None = None, draws: int = 0,
                           draw_patients: int = 500) -> ScenarioRun:
    """Check, simulate and (when ``keep``) store a scenario: the whole "run a scenario" job.

    With a ``posterior`` and ``draws`` > 0, every number also gets its credible interval
    over ``draws`` draws of ``draw_patients`` per arm (:mod:`painsim.app.uncertainty`; the
    posterior is checked before anything is simulated, progress stage "posterior draws").

    The store is checked for writability before simulating; ``cancel()`` is called after
    the simulation, the last point at which nothing has been written; the store's atomic
    block runs inside ``storing()`` (e.g. a job's "do not interrupt" guard). ``n`` in the
    stored metadata is the patients per arm actually simulated.
    """
    from painsim.app.uncertainty import check_posterior_run, posterior_answer

    check_scenario_run(scenario, n, store if keep else False)
    with_intervals = posterior is not None and draws > 0
    if with_intervals:
        check_posterior_run(scenario, posterior, draws, draw_patients)
    run = run_scenario(scenario, n=n, seed=seed, n_jobs=n_jobs, progress=progress)
    if with_intervals:
        report = (lambda done, total: progress("posterior draws", done, total)) if progress is not None else None
        run.uncertainty = posterior_answer(scenario, posterior, draws=draws, n=draw_patients, seed=seed,
                                           n_jobs=n_jobs, progress=report, cancel=cancel)
    if cancel is not None:
        cancel()
    if keep:
        meta = scenario_run_meta(len(run.result.cohort), overrides or {"n": n, "seed": seed}, source)
        with storing() if storing is not None else nullcontext():
            store_scenario_run(run, text, store, meta)
    return run
