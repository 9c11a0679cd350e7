"""Run the tasks of a sweep on a Dask cluster and keep each result as soon as it arrives.

Every task is keyed by a deterministic hash of (sweep spec, task parameters, seed). The
results folder is append-only: each finished task becomes one small Parquet file, written
to a temporary name and renamed atomically, so a sweep killed at any moment (SIGKILL
included) keeps every task that had finished and never a half-written one. Running the same
sweep again computes only the keys that are missing. Task functions are deterministic in
their inputs (common random numbers keyed by the seed), so a result is the same on any
worker, in any order, and equal to the serial run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

SERIAL = "serial"
CONNECT_TIMEOUT_S = 5.0
PART_PREFIX = "part-"
COMPACT_PREFIX = "results-"
TMP_PREFIX = ".tmp-"

Progress = Callable[[int, int], None]


class SweepError(RuntimeError):
    """A task of a sweep failed; the message names the task and the error."""


class SchedulerUnreachableError(ConnectionError):
    """No Dask scheduler answered at the given address within the timeout."""


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_jsonable)


def _jsonable(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def task_key(spec: Any, params: Any, seed: int) -> str:
    """The deterministic key of one task: a hash of (sweep spec, task parameters, seed)."""
    text = _canonical({"spec": spec, "params": params, "seed": int(seed)})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


@dataclass
class Sweep:
    """A sweep: ``fn(params, common)`` for every ``params`` in ``tasks``.

    ``spec`` describes everything common to the tasks (it is hashed into every key, so a
    changed model, scenario or target file never reuses old results); ``common`` is the
    object handed to ``fn`` (sent once to each worker), which ``spec`` must describe.
    ``fn`` must be importable by the workers (a module-level function of an installed
    package) and return a dict of JSON-serialisable values.
    """

    name: str
    fn: Callable[[dict, Any], dict]
    tasks: Sequence[dict]
    spec: Any
    seed: int
    common: Any = None
    #: The task function's name as hashed into the keys (default: its module and name); a
    #: function that moved keeps its old name here, so results kept before the move are reused.
    fn_name: str | None = None

    def keys(self) -> list[str]:
        """The deterministic key of every task, in task order."""
        spec = {"fn": self.fn_name or f"{self.fn.__module__}.{self.fn.__qualname__}", "spec": self.spec}
        return [task_key(spec, params, self.seed) for params in self.tasks]


@dataclass
class SweepOutcome:
    """Results in task order, and how many tasks ran now or were found already done."""

    results: list[dict]
    ran: int
    reused: int
    seconds: float
    keys: list[str] = field(default_factory=list)

    def frame(self, tasks: Sequence[dict]) -> pd.DataFrame:
        """One row per task: its parameters and its results."""
        rows = [{**params, **result} for params, result in zip(tasks, self.results, strict=True)]
        return pd.DataFrame(rows)


class ResultsFolder:
    """Append-only results of one or more sweeps: one Parquet file per finished task.

    Columns: ``key``, ``sweep``, ``params`` (JSON), ``result`` (JSON), ``worker``,
    ``seconds``, ``finished`` (UTC, ISO). :meth:`compact` merges the parts into one file.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path).expanduser()

    def __repr__(self) -> str:
        return f"ResultsFolder({str(self.path)!r})"

    def _files(self) -> list[Path]:
        if not self.path.is_dir():
            return []
        return sorted(p for p in self.path.iterdir() if p.suffix == ".parquet" and not p.name.startswith(TMP_PREFIX))

    def table(self) -> pd.DataFrame:
        """Every stored task (one row per key)."""
        frames = []
        for path in self._files():
            with suppress(FileNotFoundError):  # a part removed by a concurrent compaction
                frames.append(pd.read_parquet(path, engine="pyarrow"))
        if not frames:
            return pd.DataFrame(columns=["key", "sweep", "params", "result", "worker", "seconds", "finished"])
        table = pd.concat(frames, ignore_index=True)
        return table.drop_duplicates("key", keep="first").reset_index(drop=True)

    def done(self) -> dict[str, dict]:
        """Key -> result of every stored task."""
        table = self.table()
        return {k: json.loads(r) for k, r in zip(table["key"], table["result"], strict=True)}

    def append(self, key: str, sweep: str, params: dict, result: dict, worker: str = "", seconds: float = 0.0) -> Path:
        """Keep one finished task, atomically (temporary file, fsync, rename)."""
        from painsim.store import fsync_dir, fsync_file

        self.path.mkdir(parents=True, exist_ok=True)
        row = pd.DataFrame([{
            "key": key, "sweep": sweep, "params": _canonical(params), "result": _canonical(result),
            "worker": worker, "seconds": float(seconds), "finished": dt.datetime.now(dt.UTC).isoformat(),
        }])
        target = self.path / f"{PART_PREFIX}{key}.parquet"
        tmp = self.path / f"{TMP_PREFIX}{key}-{secrets.token_hex(4)}.parquet"
        row.to_parquet(tmp, engine="pyarrow", index=False)
        fsync_file(tmp)
        os.replace(tmp, target)
        fsync_dir(self.path)
        return target

    def compact(self) -> Path | None:
        """Merge every file into one ``results-*.parquet`` (crash-safe: parts go only after it exists)."""
        from painsim.store import fsync_dir, fsync_file

        files = self._files()
        if len(files) <= 1:
            return files[0] if files else None
        table = self.table()
        name = f"{COMPACT_PREFIX}{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(4)}.parquet"
        tmp = self.path / f"{TMP_PREFIX}{name}"
        table.to_parquet(tmp, engine="pyarrow", index=False)
        fsync_file(tmp)
        os.replace(tmp, self.path / name)
        fsync_dir(self.path)
        for path in files:
            with suppress(FileNotFoundError):
                path.unlink()
        return self.path / name

    def clean_temporary(self) -> None:
        """Remove temporary files left by a killed writer (never a finished result)."""
        if self.path.is_dir():
            for path in self.path.glob(f"{TMP_PREFIX}*"):
                with suppress(FileNotFoundError):
                    path.unlink()


def _call(fn: Callable[[dict, Any], dict], params: dict, common: Any) -> tuple[dict, float, str]:
    start = time.perf_counter()
    result = fn(params, common)
    worker = ""
    with suppress(Exception):
        from distributed import get_worker

        worker = get_worker().address
    return result, time.perf_counter() - start, worker or f"pid {os.getpid()}"


def run_sweep(sweep: Sweep, results: ResultsFolder, client: Any = SERIAL,
              progress: Progress | None = None) -> SweepOutcome:
    """Run the tasks of ``sweep`` not yet in ``results`` and return every result in task order.

    ``client``: a ``distributed.Client`` (see :func:`sweep_client`) or ``"serial"`` (in this
    process; the reference the Dask runs equal). Each result is written to ``results`` as
    soon as its task finishes.
    """
    start = time.perf_counter()
    keys = sweep.keys()
    results.clean_temporary()
    done = results.done()
    pending: dict[str, dict] = {}
    for key, params in zip(keys, sweep.tasks, strict=True):
        if key not in done and key not in pending:
            pending[key] = params
    total, finished = len(set(keys)), len(set(keys)) - len(pending)
    if progress is not None:
        progress(finished, total)

    def keep(key: str, outcome: tuple[dict, float, str]) -> None:
        nonlocal finished
        result, seconds, worker = outcome
        results.append(key, sweep.name, pending[key], result, worker, seconds)
        done[key] = json.loads(_canonical(result))
        finished += 1
        if progress is not None:
            progress(finished, total)

    if client == SERIAL or client is None:
        for key, params in pending.items():
            keep(key, _call(sweep.fn, params, sweep.common))
    elif pending:
        from distributed import as_completed

        # fresh Dask keys on every run: a rerun on the same client never meets futures being forgotten
        run = secrets.token_hex(4)
        common = client.scatter(sweep.common, broadcast=True, hash=False) if sweep.common is not None else None
        futures = {client.submit(_call, sweep.fn, params, common, key=f"painsim-{sweep.name}-{key}-{run}"): key
                   for key, params in pending.items()}
        try:
            for future in as_completed(futures):
                key = futures[future]
                if future.status == "error":
                    error = future.exception()
                    raise SweepError(f"sweep {sweep.name!r}: task {pending[key]} failed: "
                                     f"{type(error).__name__}: {error}")
                keep(key, future.result())
        finally:
            for future in futures:
                future.release()
    return SweepOutcome(results=[done[k] for k in keys], ran=len(pending), reused=len(set(keys)) - len(pending),
                        seconds=time.perf_counter() - start, keys=keys)


def unreachable_message(address: str, timeout: float, error: BaseException) -> str:
    return (f"no Dask scheduler answered at {address} within {timeout:g} s ({type(error).__name__}: {error}). "
            "Check the address (tcp://HOST:PORT, as printed by `dask scheduler` or by your cluster manager), "
            "that the scheduler is running and that this machine can reach that port; or leave out "
            "--scheduler to run on a local cluster with all cores of this machine.")


@contextmanager
def sweep_client(scheduler: str | None = None, n_workers: int | None = None,
                 timeout: float = CONNECT_TIMEOUT_S) -> Iterator[Any]:
    """A Dask client: to ``scheduler`` (``tcp://HOST:PORT``) when given, else a LocalCluster of
    ``n_workers`` processes (default: every local core) with one thread each. ``"serial"``
    yields the string ``"serial"`` (run in this process)."""
    if scheduler == SERIAL:
        yield SERIAL
        return
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as error:
            raise SchedulerUnreachableError(unreachable_message(scheduler, timeout, error)) from None
        try:
            yield client
        finally:
            client.close()
        return
    workers = n_workers or os.cpu_count() or 1
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client
