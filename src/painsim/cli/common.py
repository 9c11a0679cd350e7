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


#: Longest file or folder name (one path component) most file systems take, in bytes.
NAME_MAX_BYTES = 255
#: Longest path most systems take, in bytes (Linux PATH_MAX, with its final NUL).
PATH_MAX_BYTES = 4096


def _fs_bytes(text: str) -> int:
    try:
        return len(os.fsencode(text))
    except UnicodeError:  # a lone surrogate typed in: count it as UTF-8 would store it
        return len(text.encode("utf-8", "surrogatepass"))


def _path_limits(path: Path) -> tuple[int, int]:
    """(longest name, longest path) in bytes on the file system that would hold ``path``:
    asked of its nearest existing folder, at most :data:`NAME_MAX_BYTES` per name."""
    probe = path.absolute()
    while not os.path.isdir(probe) and probe != probe.parent:  # os.path: never raises on a long name
        probe = probe.parent
    try:
        return min(NAME_MAX_BYTES, os.pathconf(probe, "PC_NAME_MAX")), os.pathconf(probe, "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):
        return NAME_MAX_BYTES, PATH_MAX_BYTES


def _shortened(text: str, keep: int = 40) -> str:
    return text if len(text) <= keep else f"{text[:keep]}..."


def check_path_fits(path: str | Path, option: str) -> Path:
    """The one check of every output path the user names (``--out``, ``--store``, ``--results``,
    ``--forest``, ``--plot``, ...): no NUL character, no file or folder name longer than the
    file system takes (255 bytes on most), the whole path within its limit (4,095 bytes on
    Linux). Return the path with ``~`` expanded; raise :class:`BadInputError` naming the
    option, the name and the limit, so that the command exits 2 before any work."""
    text = str(path)
    if "\0" in text:
        raise BadInputError(f"{option} {_shortened(text)!r}: a path cannot contain a NUL character")
    target = Path(text).expanduser()
    name_max, path_max = _path_limits(target)
    for name in target.parts:
        size = _fs_bytes(name)
        if size > name_max and name != target.anchor:
            raise BadInputError(
                f"{option} {_shortened(text, 80)}: the name {_shortened(name)!r} is too long ({size:,} bytes): a "
                f"file or folder name may have at most {name_max} bytes, a whole path at most {path_max - 1:,}; "
                "choose a shorter name")
    size = _fs_bytes(str(target.absolute()))
    if size >= path_max:
        raise BadInputError(f"{option} {_shortened(text, 80)}: the path is too long ({size:,} bytes): a path may "
                            f"have at most {path_max - 1:,} bytes; choose a shorter one")
    return target


def fits_or_exit(path: str | Path, option: str) -> Path:
    """:func:`check_path_fits`, exiting with code 2 and its message when the path does not fit."""
    try:
        return check_path_fits(path, option)
    except BadInputError as err:
        fail(str(err))


def check_output_file(path: str | Path, option: str, *, create_folder: bool = False) -> Path:
    """An output file the user named (a plot, a report, a schema): its path fits
    (:func:`check_path_fits`), it is not a folder, and its folder exists (or, with
    ``create_folder``, is created) and is writable. Raise :class:`BadInputError`."""
    from painsim.outputs import OutputError, check_output_folder

    target = check_path_fits(path, option)
    if not create_folder and not os.path.isdir(target.parent):
        raise BadInputError(f"{option}: directory does not exist: {target.parent}")
    if os.path.isdir(target):
        raise BadInputError(f"{option}: is a directory: {target}")
    try:
        check_output_folder(target.parent, [target.name], what=f"{option}: folder")
    except OutputError as err:
        raise BadInputError(str(err)) from None
    return target


def check_png_target(path: str | Path, option: str) -> Path:
    """A plot file the user named (:func:`check_output_file`): its folder must exist and be
    writable, and it must not be a folder itself. Raise BadInputError."""
    return check_output_file(path, option)


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
        folder = check_path_fits(folder, what)
        return check_output_folder(folder, list(file_names), what=what)
    except (OutputError, BadInputError) as err:
        fail(str(err))


def check_store(store: Path | None) -> None:
    """Prove the store can take a new run (``Store.check_writable``), before any work; exit 2
    naming it otherwise."""
    from painsim.store import Store, StoreError

    if store is not None:
        store = fits_or_exit(store, "--store")
    try:
        Store(store).check_writable()
    except StoreError as err:
        fail(str(err))


# The results store: failures as one paragraph, never a traceback.

@contextmanager
def store_errors() -> Iterator[None]:
    """Turn store failures into one paragraph on stderr, never a traceback.

    Bad input (an unknown, blank or ambiguous run id; a --store that does not exist or is a
    file) and damaged or lost data (a damaged table or run, a damaged or missing index) exit
    with code 2; other store failures (a locked or unwritable store) with code 1.
    """
    import duckdb

    from painsim.store import DamagedStoreError, StoreError, StoreInputError

    try:
        yield
    except (StoreInputError, DamagedStoreError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    except StoreError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    except (OSError, duckdb.Error) as error:
        typer.echo(f"error: {error}. Check the store folder (--store PATH or PAINSIM_STORE) and retry.", err=True)
        raise typer.Exit(1) from None


def open_store(store: Path | None, *, must_exist: bool = False) -> Store:
    """The store at ``store`` (default: $PAINSIM_STORE, else the user data folder) for the
    commands that only read it: never created (docs/store.md, "Reading a store").

    An explicit ``--store`` that does not exist, or is a file, raises StoreNotFoundError (exit 2
    in :func:`store_errors`): a typo must not leave an empty store behind. The default store
    when it does not exist yet reads as a store without runs ("no runs yet"), unless
    ``must_exist`` (``painsim store rebuild``: there is nothing to rebuild)."""
    from painsim.store import Store

    if store is not None:
        return Store.existing(fits_or_exit(store, "--store"))
    return Store.existing() if must_exist else Store(create=False)


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
