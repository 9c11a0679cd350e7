"""Options shared by the commands that sweep (calibrate, sensitivity, trial power): where the
tasks run (a local Dask cluster or ``--scheduler``) and where their results are kept."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from painsim.cli.engine_commands import STORE_HELP, _fail

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
        _fail(str(err), 1)


def results_folder(results: Path | None, store: Path | None, name: str, key: str) -> ResultsFolder:
    """``--results`` if given, else ``sweeps/<name>-<hash of key>`` in the store: the same
    command finds the same folder again, which is what makes a rerun resume."""
    from painsim.store import default_root
    from painsim.sweeps import ResultsFolder

    if results is not None:
        return ResultsFolder(results)
    root = Path(store).expanduser() if store is not None else default_root()
    return ResultsFolder(root / "sweeps" / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:12]}")


def store_sweep_run(store: Path | None, text: str, seed: int, name: str, meta: dict, tables: dict,
                    summary: dict) -> str:
    """Keep a finished sweep as a run of the store (its input text, tables and summary)."""
    from painsim.store import Store, StoreError

    try:
        with Store(store).new_run(text, seed=seed, name=name, meta=meta) as run:
            for table_name, frame in tables.items():
                run.write_table(table_name, frame)
            run.set_summary(summary)
    except (StoreError, OSError) as err:
        _fail(f"the sweep finished but could not be stored: {err}", 1)
    return run.run_id
