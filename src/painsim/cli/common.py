"""Helpers every command module uses: errors and exit codes, progress bars, the options
several commands share, reading input files and checking output places before work starts.

Exit codes (docs/cli.md): 0 done; 2 bad input or an unusable output place, found before any
simulation; 1 an error while running (e.g. the store failed after a run) or a bug.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from painsim.app import AppInputError, choices, values
from painsim.texts import DISCLAIMER as DISCLAIMER

if TYPE_CHECKING:  # pragma: no cover
    from painsim.scenario import Scenario
    from painsim.store import Store
    from painsim.sweeps import ResultsFolder
    from painsim.trials import TrialSpec

EXIT_BAD_INPUT = 2
EXIT_ERROR = 1

STORE_HELP = "Store folder (default: $PAINSIM_STORE, else the painsim user data folder)."
DEFAULT_JOBS = min(2, os.cpu_count() or 1)
#: Seeds are 63-bit: the engine seeds numpy with a non-negative int64 (as scenario files).
SEED_MAX = 2**63 - 1


#: A user error found by a command (or the application layer); one paragraph, exit code 2.
BadInputError = AppInputError


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code``."""
    # the message is text, not markup: "[parameters]" or a path like "[/tmp/x]" print as given
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/bold red] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def _check_seed(value: int | None) -> int | None:
    if value is not None and not 0 <= value <= SEED_MAX:
        raise typer.BadParameter(f"must be a whole number from 0 to {SEED_MAX} (2**63 - 1); got {value}")
    return value


def seed_option(default: int | None, help: str) -> Any:
    """The ``--seed`` option: a whole number from 0 to :data:`SEED_MAX`, else exit 2 saying so."""
    return typer.Option(default, "--seed", callback=_check_seed, help=f"{help} 0 to 2**63 - 1.")


def progress(quiet: bool) -> Progress:
    """A progress bar with an ETA on stderr, shown only when stderr is a terminal."""
    return Progress(
        TextColumn("{task.description:<24}"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
        disable=quiet or not sys.stderr.isatty(), console=Console(stderr=True), transient=True,
    )


@contextmanager
def plain_text_figures() -> Iterator[None]:
    """Figures drawn inside show names and labels as given: a ``$`` in a scenario name or a
    study label is text, not the start of a formula that matplotlib cannot parse."""
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": False}):
        yield


def choices_metavar(list_name: str) -> str:
    """``{A,B,C}``: the values of a declared list of choices (painsim.app.choices) for help."""
    return "{" + ",".join(values(list_name)) + "}"


def one_of(list_name: str) -> str:
    """``A, B or C``: the values of a declared list of choices (painsim.app.choices) for help."""
    allowed = values(list_name)
    return allowed[0] if len(allowed) == 1 else f"{', '.join(allowed[:-1])} or {allowed[-1]}"


def described(list_name: str) -> str:
    """``A: label; B: label``: the values of a declared list of choices with their labels, for help."""
    return "; ".join(f"{c.value}: {c.label}" for c in choices()[list_name])


def check_png_target(path: str | Path, option: str) -> Path:
    """A plot file the user named: its folder must exist and be writable, and it must not
    be a folder itself. Raise BadInputError."""
    from painsim.outputs import OutputError, check_output_folder

    target = Path(path)
    if not target.parent.exists():
        raise BadInputError(f"{option}: directory does not exist: {target.parent}")
    if target.is_dir():
        raise BadInputError(f"{option}: is a directory: {target}")
    try:
        check_output_folder(target.parent, [target.name], what=f"{option}: folder")
    except OutputError as err:
        raise BadInputError(str(err)) from None
    return target


def load_scenario_file(path: Path) -> tuple[Scenario, str]:
    """The validated scenario in ``path`` and its text (read once); exit 2 on bad input."""
    from painsim.scenario import ScenarioError, parse_scenario
    from painsim.tomlfiles import read_text_file

    try:
        text = read_text_file(path, ScenarioError, "scenario file")
        return parse_scenario(text, source=str(path)), text
    except ScenarioError as err:
        fail(str(err))


def load_trial_file(path: Path) -> TrialSpec:
    """The validated trial spec in ``path``; exit 2 on bad input."""
    from painsim.trials import TrialSpecError, load_trial

    try:
        return load_trial(path)
    except TrialSpecError as err:
        fail(str(err))


def check_outputs(folder: Path, file_names: Iterable[str] = (), what: str = "--out") -> Path:
    """Create ``folder`` and prove ``file_names`` can be written in it, before any work;
    exit 2 naming the folder otherwise."""
    from painsim.outputs import OutputError, check_output_folder

    try:
        return check_output_folder(folder, list(file_names), what=what)
    except OutputError as err:
        fail(str(err))


def check_store(store: Path | None) -> None:
    """Prove the store can take a new run (``Store.check_writable``), before any work; exit 2
    naming it otherwise."""
    from painsim.store import Store, StoreError

    try:
        Store(store).check_writable()
    except StoreError as err:
        fail(str(err))


# The results store: failures as one paragraph, never a traceback.

@contextmanager
def store_errors() -> Iterator[None]:
    """Turn store failures into one paragraph on stderr, never a traceback.

    Damaged or lost data (a damaged table or run, a damaged or missing index) exits with code 2,
    like bad input; other store failures (unknown run, locked or unwritable store) with code 1.
    """
    import duckdb

    from painsim.store import DamagedStoreError, StoreError

    try:
        yield
    except DamagedStoreError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    except StoreError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    except (OSError, duckdb.Error) as error:
        typer.echo(f"error: {error}. Check the store folder (--store PATH or PAINSIM_STORE) and retry.", err=True)
        raise typer.Exit(1) from None


def open_store(store: Path | None) -> Store:
    """The store at ``store`` (default: $PAINSIM_STORE, else the user data folder)."""
    from painsim.store import Store

    return Store(store)


# Options and helpers of the commands that sweep (calibrate, sensitivity, sweep, trial power):
# where the tasks run (a local Dask cluster or --scheduler) and where their results are kept.

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
