"""Errors raised by the results store; the CLI turns each into a one-paragraph message."""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """The store cannot do what was asked (unwritable root, locked database, unknown run, ...).

    The message is one paragraph, names the path involved and says what to do.
    """


class RunNotFoundError(StoreError):
    """No committed run has the requested id (or id prefix)."""


class AmbiguousRunError(StoreError):
    """An id prefix matches more than one run; ``candidates`` lists them."""

    def __init__(self, message: str, candidates: list[str]):
        super().__init__(message)
        self.candidates = candidates


def unwritable(path: Path, root: Path, error: BaseException) -> StoreError:
    """The error for a store location that cannot be created or written."""
    reason = getattr(error, "strerror", None) or str(error)
    return StoreError(
        f"cannot create or write {path} ({reason}). The painsim store root {root} must be a "
        "writable directory with free space: fix its permissions or free some space, or point painsim "
        "at another folder with the PAINSIM_STORE environment variable (or --store PATH on the command line)."
    )
