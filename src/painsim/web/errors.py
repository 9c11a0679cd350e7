"""What a client sees when something goes wrong: a clear message, never a traceback or a server path.

Every failure the web app does not expect is logged on the server (logger ``painsim.web``)
with its traceback and a short **error id**; the client gets a neutral message with that id,
which an operator can look up in the log. Messages that do reach the client (a failed job's
error, a store error) pass through :func:`public_message`, which keeps their first line and
replaces file-system paths with ``<path>``.

Reading a stored run goes through :class:`SafeRun`: a table that cannot be read (damaged or
missing Parquet file) becomes a :class:`DamagedRunError` naming the run and the table, in one
place for every endpoint that reads runs (details, CSVs, export.zip, report).
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
_PATH = re.compile(r"(?<![\w/.:-])(?:/[^\s'\"`,;:()<>\[\]{}]+){2,}/?|\b[A-Za-z]:\\[^\s'\"`,;()<>]+")
MAX_MESSAGE_CHARS = 1000


def new_error_id() -> str:
    """A short random id that ties a client's error message to the server log entry."""
    return uuid.uuid4().hex[:12]


def scrub_paths(text: str, roots: dict[str, str] | None = None) -> str:
    """``text`` with every file-system path replaced: known ``roots`` by their label, others by ``<path>``."""
    for root, label in sorted((roots or {}).items(), key=lambda item: -len(item[0])):
        if root:
            text = text.replace(root, label)
    return _PATH.sub("<path>", text)


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


class DamagedRunError(Exception):
    """A stored run's table (or the store's database) cannot be read; the message names both."""

    def __init__(self, run_id: str, table: str | None, reason: str):
        self.run_id, self.table, self.reason = run_id, table, reason
        where = f"table {table!r} of run {run_id}" if table else f"run {run_id}"
        super().__init__(f"the stored data of {where} cannot be read ({reason}); the run may be damaged: "
                         "ask the operator to check the store (`painsim store check`)")


def _reason(err: BaseException) -> str:
    """A short, path-free reason for a read failure (the full error goes to the log)."""
    from painsim.store import StoreError

    if isinstance(err, FileNotFoundError) or (isinstance(err, StoreError) and "does not exist" in str(err)):
        return "its file is missing"
    return f"{type(err).__name__}: {public_message(err)}"[:300]


@contextmanager
def reading(run_id: str, table: str | None) -> Iterator[None]:
    """Turn any failure while reading ``table`` of ``run_id`` into a :class:`DamagedRunError` (logged)."""
    try:
        yield
    except DamagedRunError:
        raise
    except Exception as err:  # pyarrow, OSError, StoreError, ...: whatever a damaged file raises
        error_id = log_failure(f"reading table {table!r} of run {run_id} failed", err)
        raise DamagedRunError(run_id, table, f"{_reason(err)}; error id {error_id}") from err


class SafeRun:
    """A :class:`painsim.store.StoredRun` whose table reads raise :class:`DamagedRunError`.

    Passed wherever the web app reads a run (including :func:`painsim.report.render_report`),
    so every endpoint gets the same clear error for a damaged table.
    """

    def __init__(self, run: Any):
        self._run = run
        self.run_id: str = run.run_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self._run, name)

    @property
    def metadata(self) -> dict[str, Any]:
        """The run's metadata without its server path."""
        return {k: v for k, v in self._run.metadata.items() if k != "path"}

    def table(self, name: str):
        """Table ``name`` as a DataFrame; a damaged file raises :class:`DamagedRunError`."""
        with reading(self.run_id, name):
            return self._run.table(name)

    def parquet_file(self, name: str):
        """``pyarrow.parquet.ParquetFile`` of table ``name`` (its footer is read and checked)."""
        import pyarrow.parquet as pq

        with reading(self.run_id, name):
            if name not in self._run.tables:
                raise KeyError(name)
            path = Path(self._run.path) / f"{name}.parquet"
            return pq.ParquetFile(path)

    def table_rows(self) -> dict[str, int]:
        """Row count of each table (from the Parquet footers)."""
        return {name: self.parquet_file(name).metadata.num_rows for name in self._run.tables}

    def iter_tables(self):
        for name in self._run.tables:
            yield name, self.table(name)


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


__all__ = ["CatchAllMiddleware", "DamagedRunError", "SafeRun", "internal_error_body", "log_failure", "logger",
           "new_error_id", "public_message", "reading", "scrub_paths"]
