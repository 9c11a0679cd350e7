"""Integrity of a store: per-table SHA-256 checksums, ``Store.check`` and ``Store.rebuild``.

Every table's checksum (and size) is computed when the table is written and recorded in the
run's ``_run.json`` under ``"checksums"``, which is written before the run folder is renamed
into ``runs/``: the checksums are part of the atomic commit. Runs committed by a painsim
older than the checksums have none; their tables are checked by reading them in full.

The index ``painsim.duckdb`` holds nothing that the run folders do not: ``rebuild`` makes a
new index from every committed run folder's ``_run.json`` and swaps it in atomically.
See docs/store.md ("Integrity").
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from painsim.store import _db, _fs
from painsim.store._lock import store_lock
from painsim.store.errors import (
    DamagedIndexError,
    DamagedRunError,
    DamagedStoreError,
    DamagedTableError,
    damaged_run,
    damaged_table,
)

if TYPE_CHECKING:
    import duckdb

    from painsim.store.store import Store

CHECKSUMS_KEY = "checksums"
BACKUP_SUFFIX = ".before-rebuild"
REBUILD_PREFIX = ".painsim.duckdb.rebuild-"


# ---------------------------------------------------------------------------- one run
def read_manifest(run_id: str, folder: Path) -> dict:
    """The run's ``_run.json`` as a dict; :class:`DamagedRunError` when missing, unreadable or not this run's."""
    path = folder / _fs.MANIFEST_FILE
    if not folder.is_dir():
        raise damaged_run(run_id, folder, "does not exist (the run folder was moved or deleted outside painsim)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise damaged_run(run_id, path, "does not exist") from None
    except (OSError, ValueError) as error:
        raise damaged_run(run_id, path, f"cannot be read ({error})") from error
    except RecursionError:  # e.g. "[" * 100_000: json nests by recursion
        raise damaged_run(run_id, path, "cannot be read (it nests arrays or objects too deeply)") from None
    if not isinstance(manifest, dict) or manifest.get("run_id") != run_id:
        raise damaged_run(run_id, path, "does not describe this run (its run_id differs or is missing)")
    return manifest


def recorded_checksums(manifest: dict) -> dict[str, dict]:
    """``{table: {"sha256": hex, "bytes": n}}`` from a manifest ({} for runs older than the checksums)."""
    checksums = manifest.get(CHECKSUMS_KEY) or {}
    return checksums if isinstance(checksums, dict) else {}


def table_damage(run_id: str, table: str, path: Path, expected: dict | None) -> DamagedTableError | None:
    """What is wrong with table file ``path`` (None when intact).

    With a recorded checksum the file's SHA-256 must match it; without one (older runs) the
    file must read in full as Parquet.
    """
    if not path.is_file():
        return damaged_table(run_id, table, path, "does not exist (deleted or moved outside painsim)")
    if expected:
        try:
            digest, size = _fs.sha256_file(path)
        except OSError as error:
            return damaged_table(run_id, table, path, f"cannot be read ({error.strerror or error})")
        if digest != expected.get("sha256"):
            written = expected.get("bytes")
            sizes = (f"it has {size:,} bytes, {written:,} were written" if isinstance(written, int) and
                     written != size else f"same size, {size:,} bytes, different content")
            return damaged_table(run_id, table, path, "does not match the SHA-256 checksum recorded when the "
                                 f"run was committed ({sizes})")
        return None
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pq.read_table(path)
    except (OSError, ValueError, TypeError, KeyError, IndexError, pa.ArrowException) as error:
        return damaged_table(run_id, table, path, f"cannot be read ({str(error).strip().rstrip('.')})")
    return None


def run_damage(run_id: str, folder: Path, tables: list[str] | None = None) -> tuple[list[DamagedStoreError], int]:
    """Every problem of one run folder, and how many of its tables had no checksum to verify.

    ``tables`` are the table names the index lists (default: those of ``_run.json``).
    """
    try:
        manifest = read_manifest(run_id, folder)
    except DamagedRunError as error:
        if not folder.is_dir() or tables is None:
            return [error], 0
        problems: list[DamagedStoreError] = [error]
        manifest = {}
    else:
        problems = []
        listed = manifest.get("tables")
        if tables is not None and listed != list(tables):
            problems.append(damaged_run(run_id, folder / _fs.MANIFEST_FILE,
                                        f"lists the tables {listed}, the index {list(tables)}"))
    checksums = recorded_checksums(manifest)
    unverified = 0
    for table in tables if tables is not None else list(manifest.get("tables") or []):
        expected = checksums.get(table)
        unverified += not expected
        problem = table_damage(run_id, table, folder / f"{table}.parquet", expected)
        if problem is not None:
            problems.append(problem)
    return problems, unverified


# ---------------------------------------------------------------------------- check
@dataclass(frozen=True)
class Problem:
    """One thing wrong with a store: ``kind`` is "index", "run", "table" or "unindexed"."""

    kind: str
    message: str
    path: str
    run_id: str | None = None
    table: str | None = None

    @classmethod
    def from_error(cls, error: DamagedStoreError) -> Problem:
        if isinstance(error, DamagedTableError):
            return cls("table", str(error), str(error.path), error.run_id, error.table)
        if isinstance(error, DamagedRunError):
            return cls("run", str(error), str(error.path), error.run_id)
        return cls("index", str(error), str(getattr(error, "path", "")))


@dataclass
class CheckReport:
    """The result of :meth:`Store.check`: what was verified and every problem found."""

    root: str
    runs_checked: int = 0
    tables_checked: int = 0
    tables_without_checksum: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every run is indexed and every table matches its checksum (or reads, for older runs)."""
        return not self.problems

    @property
    def damaged_runs(self) -> list[str]:
        """Ids of the runs with a damaged folder, ``_run.json`` or table."""
        return sorted({p.run_id for p in self.problems if p.run_id and p.kind in ("run", "table")})

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``painsim store check --json``)."""
        return {"root": self.root, "ok": self.ok, "runs_checked": self.runs_checked,
                "tables_checked": self.tables_checked, "tables_without_checksum": self.tables_without_checksum,
                "damaged_runs": self.damaged_runs, "problems": [asdict(p) for p in self.problems]}


def check(store: Store) -> CheckReport:
    """Verify every committed run of ``store`` (the index's runs and run folders the index lacks)."""
    report = CheckReport(root=str(store.root))
    try:
        indexed: dict[str, list[str]] | None = {
            run_id: list(tables) for run_id, tables in store._query("SELECT run_id, tables FROM runs "
                                                                    "WHERE status = 'complete'")
        }
    except DamagedIndexError as error:
        report.problems.append(Problem.from_error(error))
        indexed = None
    for run_id, tables in sorted((indexed or {}).items()):
        _check_one(report, run_id, store.runs_dir / run_id, tables)
    for folder in store._unindexed_run_folders():
        if indexed is not None and folder.name in indexed:
            continue
        if indexed is not None:
            report.problems.append(Problem(
                "unindexed", f"run folder {folder} is not in the index {store.db_path}: `painsim store rebuild` "
                "adds it.", str(folder), folder.name))
        _check_one(report, folder.name, folder, None)
    return report


def _check_one(report: CheckReport, run_id: str, folder: Path, tables: list[str] | None) -> None:
    problems, unverified = run_damage(run_id, folder, tables)
    report.runs_checked += 1
    report.tables_checked += len(tables) if tables is not None else _manifest_table_count(run_id, folder)
    report.tables_without_checksum += unverified
    report.problems.extend(Problem.from_error(p) for p in problems)


def _manifest_table_count(run_id: str, folder: Path) -> int:
    try:
        return len(read_manifest(run_id, folder).get("tables") or [])
    except DamagedRunError:
        return 0


# ---------------------------------------------------------------------------- rebuild
def _naive_utc(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def row_from_manifest(run_id: str, folder: Path, manifest: dict) -> dict:
    """The index row of a run, rebuilt from its ``_run.json``; :class:`DamagedRunError` if fields are missing."""
    try:
        row = {
            "run_id": run_id, "name": str(manifest["name"]), "scenario_text": str(manifest["scenario_text"]),
            "scenario_hash": str(manifest["scenario_hash"]), "seed": int(manifest["seed"]),
            "version": str(manifest["version"]), "started": _naive_utc(manifest["started"]),
            "finished": _naive_utc(manifest["finished"]), "status": str(manifest["status"]),
            "summary": json.dumps(manifest["summary"], allow_nan=True),
            "tables": [str(t) for t in manifest["tables"]],
            "meta": json.dumps(manifest["meta"], allow_nan=True),
        }
    except (KeyError, TypeError, ValueError) as error:
        raise damaged_run(run_id, folder / _fs.MANIFEST_FILE, f"lacks a valid field ({error})") from error
    if row["status"] != "complete":
        raise damaged_run(run_id, folder / _fs.MANIFEST_FILE, f"has status {row['status']!r}, not 'complete'")
    return row


def committed_rows(runs_dir: Path, exclude: set[str]) -> list[dict]:
    """Index rows of the run folders that are certainly committed (no writer record left), minus ``exclude``.

    A folder without ``_writer.json`` was committed: the writer record is removed only after the
    run's row was inserted. Folders whose ``_run.json`` is damaged are left out.
    """
    rows = []
    with suppress(OSError):
        for folder in sorted(runs_dir.iterdir()):
            if folder.name in exclude or not folder.is_dir() or (folder / _fs.WRITER_FILE).exists():
                continue
            with suppress(DamagedRunError):
                rows.append(row_from_manifest(folder.name, folder, read_manifest(folder.name, folder)))
    return rows


def insert_rows(con: duckdb.DuckDBPyConnection, rows: list[dict], *, ignore_existing: bool = False) -> None:
    """Insert index rows (in the caller's transaction)."""
    columns = ", ".join(_db.RUN_COLUMNS)
    marks = ", ".join("?" for _ in _db.RUN_COLUMNS)
    verb = "INSERT OR IGNORE" if ignore_existing else "INSERT"
    for row in rows:
        con.execute(f"{verb} INTO runs ({columns}) VALUES ({marks})", [row[c] for c in _db.RUN_COLUMNS])


@dataclass
class RebuildReport:
    """The result of :meth:`Store.rebuild`."""

    root: str
    index: str
    previous_index: str  # "ok", "damaged" or "missing"
    indexed: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # {"run_id", "path", "reason"}
    backup: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``painsim store rebuild --json``)."""
        return asdict(self)


def _old_rows(store: Store) -> tuple[dict[str, dict], str]:
    """The rows of the current index (checkpointed, so its journal is merged), and its state."""
    if not store.db_path.exists():
        return {}, "missing"
    try:
        with _db.connect(store.db_path, read_only=False, timeout=store.lock_timeout) as con:
            if not _db.has_runs_table(con):
                return {}, "ok"
            _db.check_version(con)
            con.execute("CHECKPOINT")
            rows = con.execute(f"SELECT {', '.join(_db.RUN_COLUMNS)} FROM runs").fetchall()
    except DamagedIndexError:
        return {}, "damaged"
    return {r[0]: dict(zip(_db.RUN_COLUMNS, r, strict=True)) for r in rows}, "ok"


def rebuild(store: Store) -> RebuildReport:
    """Make a new index from the run folders and swap it in atomically; run folders are never removed."""
    with store_lock(store.root, exclusive=True, timeout=store.lock_timeout):
        old, state = _old_rows(store)
        report = RebuildReport(root=str(store.root), index=str(store.db_path), previous_index=state)
        rows = _rows_for_rebuild(store, old, report)
        fresh = store.root / f"{REBUILD_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        try:
            _write_index(fresh, rows, store.lock_timeout)
            if store.db_path.exists():
                report.backup = str(_keep_backup(store.db_path))
            os.replace(fresh, store.db_path)
            _fs.fsync_dir(store.root)
        except OSError as error:
            from painsim.store.errors import unwritable

            raise unwritable(store.db_path, store.root, error) from error
        finally:
            for leftover in (fresh, fresh.with_name(fresh.name + ".wal")):
                with suppress(OSError):
                    leftover.unlink()
    report.indexed = [row["run_id"] for row in rows]
    return report


def _rows_for_rebuild(store: Store, old: dict[str, dict], report: RebuildReport) -> list[dict]:
    rows = []
    try:
        folders = sorted(p for p in store.runs_dir.iterdir() if p.is_dir())
    except FileNotFoundError:
        folders = []
    for folder in folders:
        run_id = folder.name
        if (folder / _fs.WRITER_FILE).exists() and run_id not in old:
            reason = ("was left by a writer that died before committing it (the next cleanup removes it)"
                      if _fs.writer_gone(folder, age_file=_fs.MANIFEST_FILE) else "is being written")
            report.skipped.append({"run_id": run_id, "path": str(folder), "reason": reason})
            continue
        try:
            rows.append(row_from_manifest(run_id, folder, read_manifest(run_id, folder)))
        except DamagedRunError as error:
            if run_id in old:  # keep what the old index knew of it
                rows.append(old[run_id])
                report.skipped.append({"run_id": run_id, "path": str(error.path),
                                       "reason": f"{error}; its row was kept from the previous index"})
            else:
                report.skipped.append({"run_id": run_id, "path": str(error.path), "reason": str(error)})
    return rows


def _write_index(path: Path, rows: list[dict], timeout: float) -> None:
    with _db.connect(path, read_only=False, timeout=timeout) as con:
        con.execute("BEGIN TRANSACTION")
        _db.ensure_schema(con)
        insert_rows(con, rows)
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
    _fs.fsync_file(path)


def _keep_backup(db_path: Path) -> Path:
    """Keep the index being replaced beside it (``painsim.duckdb.before-rebuild``), with its journal."""
    backup = db_path.with_name(db_path.name + BACKUP_SUFFIX)
    for old in (backup, backup.with_name(backup.name + ".wal")):
        with suppress(FileNotFoundError):
            old.unlink()
    try:
        os.link(db_path, backup)
    except OSError:
        shutil.copy2(db_path, backup)
    journal = db_path.with_name(db_path.name + ".wal")
    if journal.exists():  # only a damaged index can still have one: the old one was checkpointed
        os.replace(journal, backup.with_name(backup.name + ".wal"))
    return backup


def remove_stale_rebuilds(root: Path) -> list[Path]:
    """Remove new-index files left by a rebuild that died (its PID, in the name, no longer runs)."""
    removed = []
    with suppress(OSError):
        for path in root.glob(REBUILD_PREFIX + "*"):
            try:
                pid = int(path.name[len(REBUILD_PREFIX):].split("-")[0])
            except ValueError:
                continue
            if _fs.pid_alive(pid) is False:
                with suppress(OSError):
                    path.unlink()
                    removed.append(path)
    return removed
