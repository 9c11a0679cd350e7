"""What a client sees when something goes wrong: a clear message, never a traceback or a server path.

Every failure the web app does not expect is logged on the server (logger ``painsim.web``)
with its traceback and a short **error id**; the client gets a neutral message with that id,
which an operator can look up in the log. Messages that do reach the client (a failed job's
error, a store error) pass through :func:`public_message`, which keeps their first line and
replaces file-system paths with ``<path>``.

Reading a stored run goes through :class:`SafeRun`; a damaged or missing table is the store's
``DamagedTableError`` (naming the run and the table), and one exception handler of the app
turns every store error into a clear, path-free response for all the endpoints that read
runs (details, CSVs, export.zip, report, the list).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

logger = logging.getLogger("painsim.web")

# An absolute POSIX path of at least two parts, or a Windows drive path; the look-behind keeps
# "a/b" fractions and URLs' "//host" out (URLs are not in our messages, paths are).
_PATH = re.compile(r"(?<![\w/.:\x00-])(?:/[^\s'\"`,;:()<>\[\]{}]+){2,}/?|\b[A-Za-z]:\\[^\s'\"`,;()<>]+")
MAX_MESSAGE_CHARS = 1000
READ_BUFFER_BYTES = 2**20


def new_error_id() -> str:
    """A short random id that ties a client's error message to the server log entry."""
    return uuid.uuid4().hex[:12]


def scrub_paths(text: str, roots: dict[str, str] | None = None) -> str:
    """``text`` with every file-system path replaced: known ``roots`` by their label, others by ``<path>``."""
    labels = sorted(((root, label) for root, label in (roots or {}).items() if root), key=lambda item: -len(item[0]))
    for k, (root, _) in enumerate(labels):  # a placeholder first, so the rest of such a path is kept
        text = text.replace(root, f"\x00{k}\x00")
    text = _PATH.sub("<path>", text)
    for k, (_, label) in enumerate(labels):
        text = text.replace(f"\x00{k}\x00", label)
    return text


def public_message(err: BaseException, roots: dict[str, str] | None = None) -> str:
    """The first line of ``err``'s message (or its type's name), without paths, for a client."""
    lines = str(err).strip().splitlines()
    first = lines[0].strip() if lines else ""
    message = scrub_paths(first, roots) if first else type(err).__name__
    return message[:MAX_MESSAGE_CHARS]


def log_failure(what: str, err: BaseException) -> str:
    """Log ``err`` with its traceback under a new error id; return the id."""
    error_id = new_error_id()
    logger.error("%s (error id %s)", what, error_id, exc_info=(type(err), err, err.__traceback__))
    return error_id


def internal_error_body(error_id: str) -> dict[str, str]:
    """The body of a 500 the app did not foresee: neutral, with the id to look up in the server log."""
    return {"detail": f"internal server error (error id {error_id}); the server log has the details",
            "error_id": error_id}


@contextmanager
def reading(run_id: str, table: str, path: Path) -> Iterator[None]:
    """Turn a failure while reading ``table`` of ``run_id`` into the store's ``DamagedTableError``."""
    from painsim.store import StoreError
    from painsim.store.errors import damaged_table

    try:
        yield
    except StoreError:
        raise
    except Exception as err:  # pyarrow, OSError, ...: whatever a damaged file raises
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise damaged_table(run_id, table, path, f"cannot be read ({reason})") from err


class SafeRun:
    """A :class:`painsim.store.StoredRun` as the web app reads it: metadata without the server
    path, and table reads whose failures are the store's ``DamagedTableError`` (naming the run
    and the table), also where pyarrow is used directly (batch-wise CSV conversion)."""

    def __init__(self, run: Any):
        self._run = run
        self.run_id: str = run.run_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self._run, name)

    @property
    def metadata(self) -> dict[str, Any]:
        """The run's metadata without its server path."""
        return {k: v for k, v in self._run.metadata.items() if k != "path"}

    def parquet_file(self, name: str):
        """``pyarrow.parquet.ParquetFile`` of table ``name``, its footer read (a damaged one raises)."""
        import pyarrow.parquet as pq

        from painsim.store.errors import damaged_table

        if name not in self._run.tables:
            raise KeyError(f"run {self.run_id} has no table {name!r}")
        path = Path(self._run.path) / f"{name}.parquet"
        if not path.is_file():
            raise damaged_table(self.run_id, name, path, "does not exist (deleted or moved outside painsim)")
        self.verify_table(name)
        with reading(self.run_id, name, path):
            # buffered reads, no pre-buffering: a column chunk is decoded a page at a time, so
            # memory follows the batch size, not the size of a row group (up to a million rows)
            return pq.ParquetFile(path, buffer_size=READ_BUFFER_BYTES, pre_buffer=False)

    def verify_table(self, name: str) -> None:
        """Check table ``name`` against the SHA-256 recorded when the run was committed (runs older
        than the checksums: nothing to check), hashing the file a chunk at a time; the store's
        ``DamagedTableError`` if it does not match. (``StoredRun.verify`` checks every table, and
        reads older runs' tables in full: too much memory for one download.)"""
        import hashlib

        from painsim.store.errors import damaged_table

        path = Path(self._run.path) / f"{name}.parquet"
        expected = self._run.checksums.get(name)
        if not expected:
            return
        digest = hashlib.sha256()
        with reading(self.run_id, name, path), open(path, "rb") as fh:
            while chunk := fh.read(READ_BUFFER_BYTES):
                digest.update(chunk)
        if digest.hexdigest() != expected:
            raise damaged_table(self.run_id, name, path, "does not match the SHA-256 checksum recorded when the "
                                                         "run was committed")

    def batches(self, name: str, rows: int):
        """Table ``name`` as pyarrow record batches of ``rows`` rows (a damaged page raises the store's error)."""
        parquet = self.parquet_file(name)
        path = Path(self._run.path) / f"{name}.parquet"
        with reading(self.run_id, name, path):
            yield from parquet.iter_batches(batch_size=rows)


class CatchAllMiddleware:
    """The last line: an exception no handler took becomes a neutral 500 with an error id (logged).

    Inside starlette's own error middleware, so the traceback is logged here once, with its
    id, and never sent. A failure after the response has started (a stream) can only end
    the connection; it is logged the same way.
    """

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as err:
            error_id = log_failure(f"{scope.get('method')} {scope.get('path')} failed", err)
            if not started:
                from starlette.responses import JSONResponse

                await JSONResponse(internal_error_body(error_id), status_code=500)(scope, receive, send)


__all__ = ["CatchAllMiddleware", "SafeRun", "internal_error_body", "log_failure", "logger",
           "new_error_id", "public_message", "reading", "scrub_paths"]
