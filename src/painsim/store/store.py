"""The embedded results store: DuckDB for run metadata, Parquet for per-run tables.

Layout under the store root::

    painsim.duckdb              one row per committed run (metadata, summary, table list)
    runs/<run_id>/<table>.parquet
    runs/<run_id>/_run.json     the same metadata, so a run folder describes itself
    staging/<run_id>/           runs being written; _writer.json records the writer's PID

A run becomes visible only through its database row, which is inserted after its folder
has been renamed atomically from ``staging/`` to ``runs/``. See docs/store.md.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any, Literal, get_args

import pandas as pd

from painsim.store import _db, _fs, integrity
from painsim.store._lock import store_lock
from painsim.store.errors import (
    AmbiguousRunError,
    DamagedStoreError,
    RunNotFoundError,
    StoreError,
    damaged_run,
    damaged_table,
    missing_index,
    no_store,
    not_a_store,
    unwritable,
)

DB_FILE = "painsim.duckdb"
RUNS_DIR = "runs"
STAGING_DIR = "staging"
ENV_VAR = "PAINSIM_STORE"
LOCK_TIMEOUT_S = 30.0
ExportFormat = Literal["parquet", "csv"]
#: The formats a run exports to (``painsim export --format``): the one declaration.
EXPORT_FORMATS: tuple[str, ...] = get_args(ExportFormat)

_TABLE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_LIST_COLUMNS = ["run_id", "name", "seed", "version", "started", "finished", "scenario_hash", "tables"]


def default_root() -> Path:
    """``$PAINSIM_STORE`` when set, else ``platformdirs.user_data_dir("painsim")/store``."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("painsim")) / "store"


def new_run_id(now: dt.datetime | None = None) -> str:
    """A sortable, unique id: UTC start time to the millisecond plus 32 random bits.

    ``20260508-142301-123-9f86d081``: ids sort by start time; two runs started in the same
    millisecond (by two processes) differ in the random part.
    """
    now = now or dt.datetime.now(dt.UTC)
    return f"{now:%Y%m%d-%H%M%S}-{now.microsecond // 1000:03d}-{secrets.token_hex(4)}"


def scenario_hash(text: str) -> str:
    """SHA-256 of a scenario text (hex), as stored with each run."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, dt.datetime | dt.date | pd.Timestamp):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def to_json(obj: Any, what: str) -> str:
    try:
        return json.dumps(obj, default=_json_default, allow_nan=True)
    except (TypeError, ValueError) as error:
        raise TypeError(f"the run {what} must be JSON serialisable: {error}") from error


@functools.cache
def _read_errors() -> tuple[type[BaseException], ...]:
    """What reading a damaged Parquet file can raise (evaluated only when an exception is caught)."""
    import pyarrow as pa

    return (OSError, ValueError, TypeError, KeyError, IndexError, pa.ArrowException)


def _reason(error: BaseException) -> str:
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return text.strip().rstrip(".")


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _naive_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None)


class Store:
    """A folder of simulation runs.

    Parameters
    ----------
    root
        The store folder; default ``$PAINSIM_STORE``, else the user data folder
        (``platformdirs.user_data_dir("painsim")/store``). Created when missing, unless
        ``create`` is False.
    lock_timeout
        Seconds to wait for another process to release the database before giving up
        with a :class:`StoreError`.
    create
        False for readers: nothing is created, a missing folder reads as a store without runs
        (writing a run then fails), and a root that is not a folder raises
        :class:`StoreNotFoundError`. :meth:`existing` also refuses a missing folder.

    Opening a store removes staging folders left by writers that died (killed, crashed).

    Examples
    --------
    >>> store = Store(tmp)                                            # doctest: +SKIP
    >>> with store.new_run(scenario_text, seed=1, name="demo") as run:  # doctest: +SKIP
    ...     run.write_table("trajectories", df)
    ...     run.set_summary({"pain_mean": 5.1})
    >>> store.runs()                                                  # doctest: +SKIP
    """

    def __init__(self, root: str | os.PathLike[str] | None = None, *, lock_timeout: float = LOCK_TIMEOUT_S,
                 create: bool = True):
        self.root = Path(root).expanduser() if root is not None else default_root()
        self.lock_timeout = float(lock_timeout)
        if not os.path.isdir(self.root):  # os.path: False (not an error) for a name too long
            if not create:
                if os.path.lexists(self.root):
                    raise not_a_store(self.root)
                return  # nothing to clean up in a store that does not exist
            try:
                self.root.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise unwritable(self.root, self.root, error) from error
        self.cleanup()

    @classmethod
    def existing(cls, root: str | os.PathLike[str] | None = None, *, lock_timeout: float = LOCK_TIMEOUT_S) -> Store:
        """The store at ``root`` (default as for :class:`Store`) for reading, never created:
        raise :class:`StoreNotFoundError` when the folder does not exist or is not a folder."""
        path = Path(root).expanduser() if root is not None else default_root()
        if not os.path.lexists(path):
            raise no_store(path)
        return cls(path, lock_timeout=lock_timeout, create=False)

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    @property
    def db_path(self) -> Path:
        """The DuckDB file with the runs' metadata."""
        return self.root / DB_FILE

    @property
    def runs_dir(self) -> Path:
        """The folder of finished runs (one subfolder per run)."""
        return self.root / RUNS_DIR

    @property
    def staging_dir(self) -> Path:
        """Where a run is written before it is committed (atomic rename)."""
        return self.root / STAGING_DIR

    # ------------------------------------------------------------------ writing
    def new_run(self, scenario_text: str, seed: int, name: str = "", meta: dict | None = None) -> RunWriter:
        """Start a run; use as ``with store.new_run(...) as run:``. Committed on normal exit."""
        if not isinstance(scenario_text, str):
            raise TypeError("scenario_text must be the scenario as text (str)")
        return RunWriter(self, scenario_text=scenario_text, seed=int(seed), name=str(name),
                         meta_json=to_json(meta or {}, "meta"))

    def _insert(self, row: dict) -> None:
        """Insert a committed run's row: the moment it becomes visible.

        Holds the store lock shared (a rebuild cannot swap the index meanwhile). When the
        index is new (first run, or the file was lost), the committed run folders already
        in ``runs/`` are indexed in the same transaction, so that they stay reachable.
        """
        with store_lock(self.root, exclusive=False, timeout=self.lock_timeout), \
                _db.connect(self.db_path, read_only=False, timeout=self.lock_timeout) as con:
            con.execute("BEGIN TRANSACTION")
            try:
                new_index = not _db.has_runs_table(con)
                _db.ensure_schema(con)
                if new_index:
                    existing = integrity.committed_rows(self.runs_dir, exclude={row["run_id"]})
                    integrity.insert_rows(con, existing, ignore_existing=True)
                integrity.insert_rows(con, [row])
                con.execute("COMMIT")
            except BaseException:
                with suppress(Exception):
                    con.execute("ROLLBACK")
                raise

    # ------------------------------------------------------------------ reading
    def _query(self, sql: str, params: list | None = None) -> list[tuple]:
        """Run a read query on a brief read-only connection; [] when no run was ever committed.

        Raises :class:`MissingIndexError` when the index file is gone but committed run folders remain,
        :class:`DamagedIndexError` when it cannot be read.
        """
        if not self.db_path.exists():
            orphans = self._unindexed_run_folders()
            if orphans:
                raise missing_index(self.db_path, len(orphans))
            return []
        with _db.connect(self.db_path, read_only=True, timeout=self.lock_timeout) as con:
            if not _db.has_runs_table(con):
                return []
            return con.execute(sql, params or []).fetchall()

    def _committed_ids(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        rows = self._query("SELECT run_id FROM runs WHERE list_contains(?, run_id)", [ids])
        return {r[0] for r in rows}

    def runs(self) -> pd.DataFrame:
        """Committed runs, newest first: run_id, name, seed, version, started, finished, scenario_hash, tables."""
        rows = self._query(
            f"SELECT {', '.join(_LIST_COLUMNS)} FROM runs WHERE status = 'complete' "
            "ORDER BY started DESC, run_id DESC"
        )
        frame = pd.DataFrame(rows, columns=_LIST_COLUMNS)
        for column in ("started", "finished"):
            frame[column] = pd.to_datetime(frame[column], utc=True)
        frame["seed"] = frame["seed"].astype("int64")
        frame["tables"] = [list(t) for t in frame["tables"]]
        return frame

    def __len__(self) -> int:
        rows = self._query("SELECT count(*) FROM runs WHERE status = 'complete'")
        return int(rows[0][0]) if rows else 0

    def get(self, run_id: str) -> StoredRun:
        """The run with this id, or with this unique id prefix."""
        prefix = str(run_id).strip()
        if not prefix:
            raise RunNotFoundError(f"no run id given (it is blank); list the runs in {self.root} with "
                                   f"`painsim runs --store {self.root}`.")
        columns = ", ".join(_db.RUN_COLUMNS)
        rows = self._query(
            f"SELECT {columns} FROM runs WHERE status = 'complete' AND starts_with(run_id, ?) "
            "ORDER BY run_id DESC LIMIT 21", [prefix]
        )
        exact = [r for r in rows if r[0] == prefix]
        if exact:
            rows = exact
        if not rows:
            raise self._not_found(prefix)
        if len(rows) > 1:
            candidates = [r[0] for r in rows[:20]]
            more = " (and more)" if len(rows) > 20 else ""
            raise AmbiguousRunError(
                f"the run id prefix {prefix!r} matches {len(candidates)} runs in {self.root}: "
                f"{', '.join(candidates)}{more}. Give more characters of the id.", candidates
            )
        return StoredRun(self, dict(zip(_db.RUN_COLUMNS, rows[0], strict=True)))

    def _not_found(self, prefix: str) -> RunNotFoundError:
        """The error for an id no run has: it names the id, and the ids closest to it."""
        known = [r[0] for r in self._query("SELECT run_id FROM runs WHERE status = 'complete'")]
        close = difflib.get_close_matches(prefix, known, n=3, cutoff=0.6)
        if close:
            hint = f" Did you mean {' or '.join(close)}?"
        elif not known:
            hint = " The store holds no runs yet."
        else:
            hint = ""
        return RunNotFoundError(
            f"no run {prefix!r} in {self.root}.{hint} List the runs there with `painsim runs --store {self.root}` "
            "(or pass the store that holds the run with --store PATH or PAINSIM_STORE)."
        )

    def export(self, run_id: str, format: ExportFormat, dest: str | os.PathLike[str]) -> list[Path]:
        """Copy (parquet) or convert (csv) every table of a run to ``dest``, with scenario.toml and summary.json."""
        return self.get(run_id).export(format, dest)

    def _unindexed_run_folders(self) -> list[Path]:
        """Run folders that look committed (a ``_run.json``, no writer record): what an index would list."""
        try:
            entries = sorted(self.runs_dir.iterdir())
        except OSError:
            return []
        return [p for p in entries if p.is_dir() and (p / _fs.MANIFEST_FILE).exists()
                and not (p / _fs.WRITER_FILE).exists()]

    def check_writable(self) -> None:
        """Raise :class:`StoreError` now if a run could not be committed to this store; else return None.

        Call it before a long simulation whose result will be stored, so that a read-only or
        unusable store is reported before any work is done::

            store = Store(path)
            store.check_writable()       # StoreError: "cannot create or write ..." -> exit early
            result = simulate(...)
            with store.new_run(...) as run: ...

        It creates and removes a probe file in the store root (where the index and its journal
        live), in ``staging/`` and in ``runs/``, checks that an existing index file is writable,
        and opens the index once to make sure it is readable (a damaged index raises
        :class:`DamagedIndexError`). It does not take any lock for longer than that.
        """
        for folder in (self.root, self.staging_dir, self.runs_dir):
            probe = folder / f".write-probe-{os.getpid()}-{secrets.token_hex(4)}"
            try:
                folder.mkdir(parents=True, exist_ok=True)
                probe.write_bytes(b"")
            except OSError as error:
                raise unwritable(folder, self.root, error) from error
            finally:
                with suppress(OSError):
                    probe.unlink()
        if self.db_path.exists():
            if not os.access(self.db_path, os.W_OK):
                raise unwritable(self.db_path, self.root, PermissionError(13, "Permission denied"))
            with _db.connect(self.db_path, read_only=True, timeout=self.lock_timeout) as con:
                _db.has_runs_table(con)

    # ------------------------------------------------------------------ integrity
    def check(self) -> integrity.CheckReport:
        """Verify every committed run: its folder, its ``_run.json`` and each table's SHA-256 checksum.

        Works with a damaged or missing index too (the run folders are then checked from their
        ``_run.json``). Returns a :class:`~painsim.store.integrity.CheckReport`; ``report.ok`` is
        False when anything is damaged, and ``report.problems`` names each damaged run and table
        (and run folders the index lacks). Tables of runs written before checksums existed are
        read in full instead (``report.tables_without_checksum``).
        """
        return integrity.check(self)

    def rebuild(self) -> integrity.RebuildReport:
        """Restore the index (``painsim.duckdb``) from the run folders and their ``_run.json``.

        Idempotent, and atomic: a new index is written beside the old one, then swapped in with
        one rename; the old file is kept as ``painsim.duckdb.before-rebuild``. Run folders are
        never removed. Runs being committed meanwhile wait (the store lock), so none is lost.
        Folders still holding a writer record and unknown to the old index are not committed
        runs and are skipped (``report.skipped`` says why).
        """
        return integrity.rebuild(self)

    # ------------------------------------------------------------------ housekeeping
    def cleanup(self) -> list[Path]:
        """Remove what dead writers left: staging folders, and run folders never recorded in the database.

        A folder whose writer still runs on this host is kept, however old. Returns the removed paths.
        """
        removed: list[Path] = []
        with suppress(OSError):
            for path in sorted(self.staging_dir.iterdir()):
                if path.is_dir() and _fs.writer_gone(path):
                    shutil.rmtree(path, ignore_errors=True)
                    if not path.exists():
                        removed.append(path)
        # a run folder still holding its writer record was renamed but perhaps never inserted
        with suppress(OSError, StoreError):
            pending = [p for p in self.runs_dir.iterdir() if (p / _fs.WRITER_FILE).exists()]
            if pending:
                committed = self._committed_ids([p.name for p in pending])
                for path in pending:
                    if path.name in committed:
                        with suppress(OSError):
                            (path / _fs.WRITER_FILE).unlink()
                    elif _fs.writer_gone(path, age_file=_fs.MANIFEST_FILE):
                        shutil.rmtree(path, ignore_errors=True)
                        if not path.exists():
                            removed.append(path)
        removed.extend(integrity.remove_stale_rebuilds(self.root))
        return removed


class RunWriter:
    """A run being written; made by :meth:`Store.new_run`, used as a context manager."""

    def __init__(self, store: Store, *, scenario_text: str, seed: int, name: str, meta_json: str):
        self.store = store
        self.scenario_text = scenario_text
        self.seed = seed
        self.name = name
        self._meta_json = meta_json
        self._summary_json = "{}"
        self._tables: list[str] = []
        self._checksums: dict[str, dict] = {}
        self.run_id: str | None = None
        self.path: Path | None = None
        self.started: dt.datetime | None = None
        self._state = "new"

    # context protocol
    def __enter__(self) -> RunWriter:
        if self._state != "new":
            raise StoreError("a RunWriter can be entered only once; start another run with store.new_run().")
        store = self.store
        try:
            store.staging_dir.mkdir(parents=True, exist_ok=True)
            store.runs_dir.mkdir(parents=True, exist_ok=True)
            for _ in range(100):
                self.started = dt.datetime.now(dt.UTC)
                self.run_id = new_run_id(self.started)
                if (store.runs_dir / self.run_id).exists():
                    continue
                try:
                    (store.staging_dir / self.run_id).mkdir()
                except FileExistsError:
                    continue
                break
            else:  # pragma: no cover - 100 collisions of 32 random bits
                raise StoreError(f"could not allocate a fresh run id in {store.staging_dir}")
            self.path = store.staging_dir / self.run_id
            _fs.write_json(self.path / _fs.WRITER_FILE, _fs.writer_record())
        except OSError as error:
            if self.path is not None:
                shutil.rmtree(self.path, ignore_errors=True)
            raise unwritable(store.staging_dir, store.root, error) from error
        self._state = "open"
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            self._abort()
            return False
        try:
            self._commit()
        except BaseException:
            self._abort()
            raise
        return False

    # writing
    def _check_open(self) -> None:
        if self._state != "open":
            raise StoreError("this run is not open for writing; write inside `with store.new_run(...) as run:`.")

    def write_table(self, name: str, df: pd.DataFrame) -> Path:
        """Write ``df`` as table ``name`` (``<name>.parquet`` in the run folder); names are unique per run."""
        self._check_open()
        if not isinstance(name, str) or not _TABLE_NAME.match(name):
            raise ValueError(f"table name {name!r}: use letters, digits, '_', '-' or '.', starting with a "
                             "letter or digit")
        if name in self._tables:
            raise ValueError(f"table {name!r} was already written in this run")
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"write_table needs a pandas DataFrame, not {type(df).__name__}")
        assert self.path is not None
        target = self.path / f"{name}.parquet"
        try:
            df.to_parquet(target, engine="pyarrow")
            _fs.fsync_file(target)
            digest, size = _fs.sha256_file(target)
        except OSError as error:
            raise unwritable(target, self.store.root, error) from error
        self._tables.append(name)
        self._checksums[name] = {"sha256": digest, "bytes": size}
        return target

    def set_summary(self, obj: dict) -> None:
        """Set the run's JSON-serialisable summary (numpy scalars and arrays are converted)."""
        self._check_open()
        if not isinstance(obj, dict):
            raise TypeError(f"the summary must be a dict, not {type(obj).__name__}")
        self._summary_json = to_json(obj, "summary")

    @property
    def tables(self) -> list[str]:
        """Names of the tables written so far."""
        return list(self._tables)

    # commit / abort
    def _commit(self) -> None:
        store, run_id = self.store, self.run_id
        assert run_id is not None and self.path is not None and self.started is not None
        from painsim import __version__

        finished = dt.datetime.now(dt.UTC)
        row = {
            "run_id": run_id, "name": self.name, "scenario_text": self.scenario_text,
            "scenario_hash": scenario_hash(self.scenario_text), "seed": self.seed, "version": __version__,
            "started": _naive_utc(self.started), "finished": _naive_utc(finished), "status": "complete",
            "summary": self._summary_json, "tables": list(self._tables), "meta": self._meta_json,
        }
        final = store.runs_dir / run_id
        try:
            manifest = {**row, "started": self.started.isoformat(), "finished": finished.isoformat(),
                        "summary": json.loads(self._summary_json), "meta": json.loads(self._meta_json),
                        integrity.CHECKSUMS_KEY: dict(self._checksums)}
            _fs.write_json(self.path / _fs.MANIFEST_FILE, manifest)
            _fs.fsync_dir(self.path)
            os.replace(self.path, final)  # atomic: same filesystem, fresh name
            _fs.fsync_dir(store.runs_dir)
        except OSError as error:
            raise unwritable(final, store.root, error) from error
        self._state = "renamed"
        self.path = final
        store._insert(row)  # the run becomes visible here
        self._state = "committed"
        with suppress(OSError):
            (final / _fs.WRITER_FILE).unlink()

    def _abort(self) -> None:
        """Undo a run: nothing of it stays visible. Leftovers are removed by the next cleanup."""
        state, self._state = self._state, "aborted"
        if self.path is None or state == "committed":
            return
        if state == "renamed":
            # the insert failed or was interrupted: drop the folder unless the row made it in after all
            with suppress(Exception):
                if self.store._committed_ids([str(self.run_id)]):
                    self._state = "committed"
                    return
        shutil.rmtree(self.path, ignore_errors=True)


class StoredRun:
    """A committed run: metadata, scenario, summary and tables (read lazily from Parquet)."""

    def __init__(self, store: Store, row: dict):
        self.store = store
        self._row = row
        self.run_id: str = row["run_id"]
        self.path = store.runs_dir / self.run_id

    def __repr__(self) -> str:
        return f"StoredRun({self.run_id!r}, name={self._row['name']!r}, tables={self.tables})"

    @property
    def metadata(self) -> dict:
        """run_id, name, seed, version, started, finished (UTC datetimes), status, scenario_hash, tables, meta."""
        row = self._row
        return {
            "run_id": row["run_id"], "name": row["name"], "seed": int(row["seed"]), "version": row["version"],
            "started": _utc(row["started"]), "finished": _utc(row["finished"]), "status": row["status"],
            "scenario_hash": row["scenario_hash"], "tables": list(row["tables"]), "meta": json.loads(row["meta"]),
            "path": str(self.path),
        }

    @property
    def scenario_text(self) -> str:
        """The scenario (or other input) text the run was made from."""
        return self._row["scenario_text"]

    @property
    def summary(self) -> dict:
        """The run's summary object."""
        return json.loads(self._row["summary"])

    @property
    def tables(self) -> list[str]:
        """Names of the run's tables."""
        return list(self._row["tables"])

    def _table_path(self, name: str) -> Path:
        if name not in self._row["tables"]:
            raise StoreError(f"run {self.run_id} has no table {name!r}; its tables are: "
                             f"{', '.join(self.tables) or '(none)'}.")
        if not self.path.is_dir():
            raise damaged_run(self.run_id, self.path, "does not exist (the run folder was moved or deleted "
                              "outside painsim)")
        path = self.path / f"{name}.parquet"
        if not path.is_file():
            raise damaged_table(self.run_id, name, path, "does not exist (deleted or moved outside painsim)")
        return path

    @functools.cached_property
    def _manifest(self) -> dict:
        return integrity.read_manifest(self.run_id, self.path)

    @property
    def checksums(self) -> dict[str, str]:
        """SHA-256 (hex) of each table file as committed ({} for runs older than the checksums)."""
        return {name: str(c.get("sha256")) for name, c in integrity.recorded_checksums(self._manifest).items()}

    def _verify_table(self, name: str, path: Path) -> None:
        expected = integrity.recorded_checksums(self._manifest).get(name)
        if expected:
            problem = integrity.table_damage(self.run_id, name, path, expected)
            if problem is not None:
                raise problem

    def table(self, name: str, *, verify: bool = True) -> pd.DataFrame:
        """Table ``name`` as a DataFrame (index and dtypes as written).

        With ``verify`` (the default) the file's SHA-256 is checked against the checksum recorded
        at commit first (a flipped bit can otherwise read back as wrong numbers). Raises
        :class:`DamagedTableError` (naming the run and the table) when the file is missing, fails
        its checksum or cannot be read, :class:`DamagedRunError` when ``_run.json`` is damaged.
        """
        path = self._table_path(name)
        if verify:
            self._verify_table(name, path)
        try:
            return pd.read_parquet(path, engine="pyarrow")
        except _read_errors() as error:
            raise damaged_table(self.run_id, name, path, f"cannot be read ({_reason(error)})") from error

    def table_rows(self) -> dict[str, int]:
        """Row count of each table, read from the Parquet footers (cheap, no checksum); :class:`DamagedTableError`."""
        import pyarrow.parquet as pq

        counts = {}
        for name in self.tables:
            path = self._table_path(name)
            try:
                counts[name] = pq.ParquetFile(path).metadata.num_rows
            except _read_errors() as error:
                raise damaged_table(self.run_id, name, path, f"cannot be read ({_reason(error)})") from error
        return counts

    def damage(self) -> list[DamagedStoreError]:
        """Every problem of this run (missing folder, damaged ``_run.json``, tables failing checksums); [] if intact."""
        return integrity.run_damage(self.run_id, self.path, self.tables)[0]

    def verify(self) -> None:
        """Raise the first problem :meth:`damage` finds (a :class:`DamagedStoreError`); return None when intact."""
        problems = self.damage()
        if problems:
            raise problems[0]

    def _copy_table(self, name: str, source: Path, target: Path) -> None:
        """Copy a table file, verifying what was copied against its checksum (or, for older runs, reading it)."""
        expected = integrity.recorded_checksums(self._manifest).get(name)
        if not expected:
            problem = integrity.table_damage(self.run_id, name, source, None)
            if problem is not None:
                raise problem
            shutil.copyfile(source, target)
            return
        digest, _ = _fs.copy_hashing(source, target)
        if digest != expected.get("sha256"):
            with suppress(OSError):
                target.unlink()
            problem = integrity.table_damage(self.run_id, name, source, expected)
            raise problem or damaged_table(self.run_id, name, source, "changed while it was being exported")

    def iter_tables(self) -> Iterator[tuple[str, pd.DataFrame]]:
        """Every table of the run as (name, DataFrame)."""
        for name in self.tables:
            yield name, self.table(name)

    def export(self, format: ExportFormat, dest: str | os.PathLike[str]) -> list[Path]:
        """Write every table (``<name>.parquet`` or ``<name>.csv``), scenario.toml and summary.json to ``dest``.

        Every table is verified against its checksum on the way: a damaged table raises
        :class:`DamagedTableError` and the files this export already wrote are removed.
        """
        if format not in EXPORT_FORMATS:
            raise ValueError(f"export format must be one of {', '.join(EXPORT_FORMATS)}, not {format!r}")
        dest = Path(dest).expanduser()
        written: list[Path] = []
        target = dest
        try:
            dest.mkdir(parents=True, exist_ok=True)
            for name in self.tables:
                source = self._table_path(name)
                target = dest / f"{name}.{format}"
                if format == "parquet":
                    self._copy_table(name, source, target)
                else:
                    df = self.table(name)
                    df.to_csv(target, index=not isinstance(df.index, pd.RangeIndex))
                written.append(target)
            target = dest / "scenario.toml"
            target.write_text(self.scenario_text, encoding="utf-8")
            written.append(target)
            target = dest / "summary.json"
            target.write_text(json.dumps(self.summary, indent=2) + "\n", encoding="utf-8")
            written.append(target)
        except DamagedStoreError:
            for path in written:  # no partial export of a damaged run
                with suppress(OSError):
                    path.unlink()
            raise
        except OSError as error:
            reason = error.strerror or str(error)
            raise StoreError(f"cannot export run {self.run_id} to {target} ({reason}). Choose a writable folder "
                             "with free space (--out DIR on the command line).") from error
        return written
