"""Brief DuckDB connections with bounded retry on the single-writer file lock (and on a
database another process is creating).

DuckDB lets one process at a time open a database file for writing (and a writer excludes
readers in other processes). The store therefore never keeps a connection open: every
metadata operation opens the file, does its work in one transaction and closes it, and a
process that finds the file locked waits with jittered exponential backoff, up to a bound.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from painsim.store.errors import StoreError, damaged_index

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS store_info (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS runs (
    run_id        VARCHAR PRIMARY KEY,
    name          VARCHAR NOT NULL,
    scenario_text VARCHAR NOT NULL,
    scenario_hash VARCHAR NOT NULL,
    seed          BIGINT NOT NULL,
    version       VARCHAR NOT NULL,
    started       TIMESTAMP NOT NULL,
    finished      TIMESTAMP NOT NULL,
    status        VARCHAR NOT NULL,
    summary       VARCHAR NOT NULL,
    tables        VARCHAR[] NOT NULL,
    meta          VARCHAR NOT NULL
);
"""

RUN_COLUMNS = ("run_id", "name", "scenario_text", "scenario_hash", "seed", "version", "started", "finished",
               "status", "summary", "tables", "meta")

_CONFIG = {"threads": 1}


def is_lock_error(error: BaseException) -> bool:
    """True when DuckDB refused the file because another process holds its lock."""
    text = str(error).lower()
    return isinstance(error, duckdb.Error) and ("could not set lock" in text or "conflicting lock" in text)


# DuckDB writes a file header and two database headers (3 x 4 KiB) when it creates a file; a
# shorter file that DuckDB refuses is most likely being created by another process right now.
HEADER_BYTES = 3 * 4096
CREATION_WAIT = 2.0  # seconds a young, short file is given to become a database


def is_being_created(path: Path, error: BaseException) -> bool:
    """True when DuckDB refused ``path`` as invalid while it is shorter than DuckDB's headers and
    new: another process is creating the store's database (not a damaged file)."""
    if "not a valid duckdb database file" not in str(error).lower():
        return False
    try:
        info = path.stat()
    except OSError:
        return True  # replaced or removed meanwhile: try again
    return info.st_size < HEADER_BYTES and time.time() - info.st_mtime < 10 * CREATION_WAIT


_ACCESS_WORDS = ("permission denied", "read-only file system", "no space left", "disk quota", "access is denied")


def is_access_error(error: BaseException) -> bool:
    """True when DuckDB failed for lack of permission or space, not because the file is damaged."""
    text = str(error).lower()
    return any(word in text for word in _ACCESS_WORDS)


def _open_error(path: Path, error: BaseException) -> StoreError:
    if is_access_error(error):
        return StoreError(
            f"cannot open the painsim store database {path}: {error}. Check that its folder is readable and "
            "writable, or point painsim at another store with PAINSIM_STORE (or --store PATH)."
        )
    return damaged_index(path, str(error))


@contextmanager
def connect(path: Path, *, read_only: bool, timeout: float) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open ``path`` briefly, retrying while another process holds the lock (at most ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    creation_deadline = time.monotonic() + CREATION_WAIT
    delay = 0.01
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=_CONFIG)
            break
        except duckdb.Error as error:
            # Two processes creating a new store at once: the second may find the file before
            # the first has written its headers. Wait briefly for it, as for a lock.
            creating = is_being_created(path, error) and time.monotonic() + delay <= creation_deadline
            if not (creating or is_lock_error(error)):
                raise _open_error(path, error) from error
            if time.monotonic() + delay > deadline:
                raise StoreError(
                    f"the painsim store database {path} stayed locked by another process for {timeout:.0f} s. "
                    "Another painsim process is probably holding it open: wait for it to finish and retry, "
                    "or use another store with PAINSIM_STORE (or --store PATH)."
                ) from error
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.5)
    try:
        yield con
    except duckdb.Error as error:
        if is_access_error(error):
            raise StoreError(
                f"the painsim store database {path} failed: {error}. Note that the store folder must be "
                "writable (and have free space) to record runs; point painsim at another store with "
                "PAINSIM_STORE (or --store PATH) if this one cannot be fixed."
            ) from error
        raise damaged_index(path, str(error)) from error
    finally:
        con.close()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables when missing (idempotent) and check the schema version."""
    con.execute(SCHEMA)
    if check_version(con) is None:
        con.execute("INSERT INTO store_info VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])


def check_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The store's schema version (None when not recorded yet); StoreError when newer than this painsim's."""
    row = con.execute("SELECT value FROM store_info WHERE key = 'schema_version'").fetchone()
    if row is None:
        return None
    if int(row[0]) > SCHEMA_VERSION:
        raise StoreError(
            f"this painsim store was written by a newer painsim (store schema {row[0]}, this painsim reads "
            f"up to {SCHEMA_VERSION}). Upgrade painsim, or use another store with PAINSIM_STORE (or --store PATH)."
        )
    return int(row[0])


def has_runs_table(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'runs'"
    ).fetchone()
    return bool(row and row[0])
