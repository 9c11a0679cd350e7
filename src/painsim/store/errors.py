"""Errors raised by the results store; the CLI turns each into a one-paragraph message.

``StoreError`` is the base of every error the store raises on purpose. Callers can tell
three kinds apart (the CLI's exit codes in docs/store.md):

* :class:`StoreInputError`: what was asked for does not exist: an unknown, blank or ambiguous
  run id (:class:`RunNotFoundError`, :class:`AmbiguousRunError`), a store folder that does not
  exist or is not a folder (:class:`StoreNotFoundError`). Bad input: exit code 2.
* :class:`DamagedStoreError`: damaged or lost data, with how to repair it. Exit code 2.
* any other ``StoreError``: the store is busy (locked) or cannot be written. Exit code 1.

Damaged or lost data:

* :class:`DamagedIndexError`: the index ``painsim.duckdb`` cannot be read;
  :class:`MissingIndexError`: it is gone while run folders remain. Both are repaired with
  ``painsim store rebuild`` (:meth:`painsim.store.Store.rebuild`).
* :class:`DamagedRunError`: a run is in the index but its folder or ``_run.json`` is missing
  or unreadable; :class:`DamagedTableError`: one of its Parquet tables is missing, unreadable
  or fails its SHA-256 checksum. Both carry ``run_id`` (and ``table``).
"""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """The store cannot do what was asked (unwritable root, locked database, unknown run, ...).

    The message is one paragraph, names the path involved and says what to do.
    """


class StoreInputError(StoreError):
    """The store was asked for something that does not exist (a run, the store itself): a
    mistake in the input, not a failure of the store."""


class StoreNotFoundError(StoreInputError):
    """The store folder does not exist, or is not a folder (when it is to be read, not created)."""

    def __init__(self, message: str, path: Path):
        super().__init__(message)
        self.path = path


class RunNotFoundError(StoreInputError):
    """No committed run has the requested id (or id prefix)."""


class AmbiguousRunError(StoreInputError):
    """An id prefix matches more than one run; ``candidates`` lists them."""

    def __init__(self, message: str, candidates: list[str]):
        super().__init__(message)
        self.candidates = candidates


class DamagedStoreError(StoreError):
    """Stored data is damaged or missing (the index, a run folder, a table); the message says how to repair."""


class DamagedIndexError(DamagedStoreError):
    """The store index (``painsim.duckdb``) is damaged or unreadable; ``painsim store rebuild`` restores it."""

    def __init__(self, message: str, path: Path):
        super().__init__(message)
        self.path = path


class MissingIndexError(DamagedIndexError):
    """The store index is missing while committed run folders exist; ``painsim store rebuild`` restores it."""

    def __init__(self, message: str, path: Path, run_folders: int):
        super().__init__(message, path)
        self.run_folders = run_folders


class DamagedRunError(DamagedStoreError):
    """A committed run's folder or ``_run.json`` is missing or unreadable; ``run_id`` names the run."""

    def __init__(self, message: str, run_id: str, path: Path):
        super().__init__(message)
        self.run_id = run_id
        self.path = path


class DamagedTableError(DamagedRunError):
    """A table of a committed run is missing, unreadable or fails its checksum; ``run_id`` and ``table`` name it."""

    def __init__(self, message: str, run_id: str, table: str, path: Path, reason: str):
        super().__init__(message, run_id, path)
        self.table = table
        self.reason = reason


REPAIR_RUN = ("`painsim store check` lists every damaged run and table. Restore the run folder from a backup "
              "of the store, or run its scenario again (`painsim show RUN --json` prints the stored scenario "
              "text and seed).")


def damaged_table(run_id: str, table: str, path: Path, reason: str) -> DamagedTableError:
    """The error for table ``table`` of run ``run_id`` that cannot be trusted (``reason`` says why)."""
    return DamagedTableError(
        f"table {table!r} of run {run_id} is damaged: {path} {reason}. Its data cannot be used. {REPAIR_RUN}",
        run_id, table, path, reason,
    )


def damaged_run(run_id: str, path: Path, reason: str) -> DamagedRunError:
    """The error for a committed run whose folder (or its ``_run.json``) cannot be used."""
    return DamagedRunError(f"run {run_id} is damaged: {path} {reason}. {REPAIR_RUN}", run_id, path)


def damaged_index(path: Path, reason: str) -> DamagedIndexError:
    """The error for an index file that exists but cannot be read."""
    return DamagedIndexError(
        f"the painsim store index {path} is damaged or unreadable ({reason}). The runs themselves are kept "
        f"in {path.parent / 'runs'}: restore the index from them with `painsim store rebuild --store "
        f"{path.parent}` (the damaged file is kept beside it as a backup).",
        path,
    )


def missing_index(path: Path, run_folders: int) -> MissingIndexError:
    """The error for a store whose index file is gone while its run folders remain."""
    return MissingIndexError(
        f"the painsim store index {path} is missing, but {path.parent / 'runs'} holds {run_folders} "
        f"run folder{'s' if run_folders != 1 else ''}. Restore the index from them with `painsim store rebuild "
        f"--store {path.parent}`; no run is lost.",
        path, run_folders,
    )


def no_store(path: Path) -> StoreNotFoundError:
    """The error for a store folder to be read that does not exist."""
    return StoreNotFoundError(
        f"no store at {path}: the folder does not exist. Check the path given with --store PATH (or "
        "PAINSIM_STORE), or leave it out to read the default store; `painsim runs` lists the runs of a store. "
        "A store is created only by a command that stores a run (painsim run, demo, sweep, calibrate, "
        "sensitivity, trial power).", path)


def not_a_store(path: Path) -> StoreNotFoundError:
    """The error for a store path that is a file (or anything but a folder)."""
    return StoreNotFoundError(f"no store at {path}: it is a file, not a store folder. Pass the folder that holds "
                              "painsim.duckdb and runs/ (--store PATH or PAINSIM_STORE).", path)


def unwritable(path: Path, root: Path, error: BaseException) -> StoreError:
    """The error for a store location that cannot be created or written."""
    reason = getattr(error, "strerror", None) or str(error)
    return StoreError(
        f"cannot create or write {path} ({reason}). The painsim store root {root} must be a "
        "writable directory with free space: fix its permissions or free some space, or point painsim "
        "at another folder with the PAINSIM_STORE environment variable (or --store PATH on the command line)."
    )
