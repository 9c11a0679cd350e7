"""Options shared by the commands that sweep (calibrate, sensitivity, trial power): where the
tasks run (a local Dask cluster or ``--scheduler``) and where their results are kept."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from painsim.cli.common import STORE_HELP, check_outputs, fail

if TYPE_CHECKING:  # pragma: no cover
    from painsim.sweeps import ResultsFolder

SCHEDULER_HELP = ("Dask scheduler address (tcp://HOST:PORT) of an existing cluster; default: a local cluster "
                  "with one worker process per core. 'serial' runs in this process.")
RESULTS_HELP = ("Results folder of the sweep (resumable: rerunning computes only missing tasks); default: "
                "sweeps/<name>-<hash> in the store.")

# The options every sweeping command takes, declared once.
SchedulerOption = Annotated[str | None, typer.Option(help=SCHEDULER_HELP)]
WorkersOption = Annotated[int | None, typer.Option(min=1, help="Local worker processes (default: every core).")]
ResultsOption = Annotated[Path | None, typer.Option(help=RESULTS_HELP)]
StoreOption = Annotated[Path | None, typer.Option(help=STORE_HELP)]


@contextmanager
def cluster_client(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """A Dask client for ``--scheduler`` (or a local cluster of ``workers`` processes, or
    ``"serial"``); an unreachable scheduler exits with a one-paragraph error (code 1)."""
    from painsim.sweeps import SchedulerUnreachableError, sweep_client

    try:
        with sweep_client(scheduler, workers) as client:
            yield client
    except SchedulerUnreachableError as err:
        fail(str(err), 1)


def check_results_folder(folder: ResultsFolder) -> None:
    """Before the sweep: its results folder can be created and written; exit 2 otherwise."""
    check_outputs(folder.path, what="results folder (--results)")


def store_sweep_run(store: Path | None, text: str, seed: int, name: str, meta: dict, tables: dict,
                    summary: dict | Callable[[str], dict], not_stored: Callable[[], str] | None = None) -> str:
    """Keep a finished sweep as a run of the store (its input text, tables and summary).

    ``summary`` may be a function of the new run's id (for file names that carry it). When
    the run cannot be stored, ``not_stored`` (if given) writes what can be kept elsewhere
    and returns a sentence saying where; then the command exits with code 1."""
    from painsim.app import store_tables_run
    from painsim.store import StoreError

    try:
        return store_tables_run(store, text, seed, name, meta, tables, summary)
    except (StoreError, OSError) as err:
        kept = f" {not_stored()}" if not_stored is not None else ""
        fail(f"the sweep finished but could not be stored: {str(err).rstrip('.')}.{kept}", 1)
