"""Downloads of stored runs (a table as CSV, the run as a zip, its HTML report) in bounded memory.

A table is converted to CSV one Parquet record batch at a time (the bytes are those of
``DataFrame.to_csv`` on the whole table, as before), into a temporary file that stays in
memory up to :data:`SPOOL_BYTES` and goes to disk beyond; the file is then streamed to the
client. So memory does not grow with the run, a damaged table is found (and reported with
a clear error) before the response starts, and a download is refused beyond
:data:`MAX_EXPORT_BYTES`. At most ``slots`` exports or reports are prepared at the same
time (:class:`ExportSlots`); more wait (without holding a thread) up to :data:`SLOT_WAIT_S`
seconds, then get 429.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from typing import IO, Any

from painsim.web.errors import SafeRun

SPOOL_BYTES = 8 * 2**20  # a temporary file stays in memory up to this size
MAX_EXPORT_BYTES = 2 * 2**30  # a download larger than this is refused (use `painsim export`)
BATCH_ROWS = 16_384  # rows converted to CSV at a time
CHUNK_BYTES = 2**20  # bytes sent at a time
SLOT_WAIT_S = 60.0  # a download waits this long for a slot, then gets 429
SLOT_POLL_S = 0.1
DEFAULT_SLOTS = 2


class ExportBusyError(Exception):
    """Every export slot stayed busy for :data:`SLOT_WAIT_S` seconds."""


class ExportTooLargeError(Exception):
    """The download would exceed :data:`MAX_EXPORT_BYTES`."""


class ExportSlots:
    """At most ``slots`` heavy downloads (zips, CSVs, reports) are prepared at once.

    ``async with slots:`` waits without holding a thread (other requests keep being served),
    up to ``wait`` seconds, then raises :class:`ExportBusyError`; ``with slots:`` takes a slot
    or fails at once.
    """

    def __init__(self, slots: int = DEFAULT_SLOTS, wait: float = SLOT_WAIT_S):
        self.slots = slots
        self.wait = wait
        self._semaphore = threading.BoundedSemaphore(slots)

    def _busy(self) -> ExportBusyError:
        return ExportBusyError(f"{self.slots} downloads or reports are being prepared (at most {self.slots} at "
                               "a time); try again in a moment")

    async def __aenter__(self) -> ExportSlots:
        deadline = time.monotonic() + self.wait
        while not self._semaphore.acquire(blocking=False):
            if time.monotonic() > deadline:
                raise self._busy()
            await asyncio.sleep(SLOT_POLL_S)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._semaphore.release()

    def __enter__(self) -> ExportSlots:
        if not self._semaphore.acquire(blocking=False):
            raise self._busy()
        return self

    def __exit__(self, *exc: object) -> None:
        self._semaphore.release()


class _Capped:
    """A write-only file that counts what is written and refuses more than ``limit`` bytes."""

    def __init__(self, target: IO[bytes], limit: int):
        self.target, self.limit, self.written = target, limit, 0

    def write(self, data: bytes) -> int:
        self.written += len(data)
        if self.written > self.limit:
            raise ExportTooLargeError(f"the download is larger than {self.limit // 2**20:,} MiB; export the run "
                                      "with `painsim export` on the server instead")
        return self.target.write(data)

    def flush(self) -> None:
        self.target.flush()


def _index_mode(schema: Any) -> str:
    """How the table's index was written: 'none' (a RangeIndex), 'plain' (0, 1, ... unnamed), or 'columns'."""
    meta = schema.pandas_metadata or {}
    index = meta.get("index_columns", [])
    if not index:
        return "plain"
    if all(isinstance(i, dict) and i.get("kind") == "range" for i in index):
        (spec,) = index
        plain = spec.get("start") == 0 and spec.get("step") == 1 and spec.get("name") is None
        return "plain" if plain else "range"
    if any(isinstance(i, dict) for i in index):
        return "other"
    return "columns"


def write_table_csv(run: SafeRun, name: str, out: IO[bytes], *, index_rule: str) -> None:
    """Write table ``name`` of ``run`` as CSV to ``out``, a batch at a time.

    ``index_rule`` says when the index is written, as the two places that wrote CSVs did:
    ``"web"`` (unless it is 0, 1, 2, ... unnamed: the CSV endpoint) or ``"store"`` (unless it
    is a RangeIndex: :meth:`painsim.store.StoredRun.export`, the zip).
    """
    parquet = run.parquet_file(name)
    mode = _index_mode(parquet.schema_arrow)
    if mode in ("range", "other"):  # rare (never written by painsim): the whole table, as before
        frame = run.table(name)
        keep_index = index_rule == "web" or mode == "other"
        out.write(frame.to_csv(index=keep_index).encode("utf-8"))
        return
    header = True
    for batch in run.batches(name, BATCH_ROWS):
        frame = batch.to_pandas()
        out.write(frame.to_csv(index=mode == "columns", header=header).encode("utf-8"))
        header = False
    if header:  # no rows: the header alone, from an empty frame with the table's columns
        frame = parquet.schema_arrow.empty_table().to_pandas()
        out.write(frame.to_csv(index=mode == "columns").encode("utf-8"))


def table_csv(run: SafeRun, name: str) -> IO[bytes]:
    """Table ``name`` as CSV in a temporary file (rewound), ready to stream."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (closed after streaming)
    try:
        write_table_csv(run, name, _Capped(spool, MAX_EXPORT_BYTES), index_rule="web")  # type: ignore[arg-type]
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def run_zip(run: SafeRun) -> IO[bytes]:
    """The run as a zip (every table as CSV, scenario.toml, summary.json) in a temporary file (rewound)."""
    for name in run.tables:  # a damaged or missing table: a clear error before anything is written
        run.parquet_file(name)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (closed after streaming)
    try:
        capped = _Capped(spool, MAX_EXPORT_BYTES)
        with zipfile.ZipFile(capped, "w", zipfile.ZIP_DEFLATED) as zf:  # type: ignore[arg-type]
            for name in run.tables:
                with zf.open(f"{name}.csv", "w", force_zip64=True) as member:
                    write_table_csv(run, name, member, index_rule="store")
            zf.writestr("scenario.toml", run.scenario_text.encode("utf-8"))
            zf.writestr("summary.json", (json.dumps(run.summary, indent=2) + "\n").encode("utf-8"))
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def chunks(file: IO[bytes]) -> Iterator[bytes]:
    """The file's bytes, :data:`CHUNK_BYTES` at a time; the file is closed at the end."""
    try:
        while data := file.read(CHUNK_BYTES):
            yield data
    finally:
        file.close()


def size_of(file: IO[bytes]) -> int:
    """Bytes in a rewound temporary file."""
    file.seek(0, 2)
    size = file.tell()
    file.seek(0)
    return size


__all__ = ["DEFAULT_SLOTS", "MAX_EXPORT_BYTES", "ExportBusyError", "ExportSlots", "ExportTooLargeError", "chunks",
           "run_zip", "size_of", "table_csv", "write_table_csv"]
