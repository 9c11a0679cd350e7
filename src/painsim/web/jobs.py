"""Background jobs: long computations run off the request thread, report progress and can be cancelled.

A job is a function ``fn(job) -> dict`` run on a worker thread. It reports progress with
``job.report(stage, done, total)``; every report checks the cancel flag and raises
:class:`JobCancelledError` when the user asked to stop, so a cancelled job unwinds like a
failed one. Jobs that write to the results store do so only at their very end, inside the
store's atomic ``new_run`` block, so a cancelled or failed job leaves no partial run.
"""

from __future__ import annotations

import threading
import time
import traceback
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["queued", "running", "done", "failed", "cancelled"]
FINISHED: tuple[str, ...] = ("done", "failed", "cancelled")


class JobCancelledError(Exception):
    """Raised inside a job when its cancel button was pressed."""


class TooManyJobsError(Exception):
    """Raised by :meth:`JobManager.submit` when the queue is full."""


@dataclass
class Job:
    """One background computation and what the page shows of it."""

    id: str
    kind: str
    params: dict[str, Any]
    status: Status = "queued"
    progress: float = 0.0
    stage: str = "queued"
    result: dict[str, Any] | None = None
    error: str | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise :class:`JobCancelledError` if the job was cancelled."""
        if self._cancel.is_set():
            raise JobCancelledError

    def report(self, stage: str, done: float, total: float, share: tuple[float, float] = (0.0, 1.0)) -> None:
        """Progress ``done/total`` of ``stage``, mapped into ``share`` of the whole job."""
        self.check()
        lo, hi = share
        frac = 0.0 if total <= 0 else min(1.0, max(0.0, done / total))
        self.progress = round(max(self.progress, lo + (hi - lo) * frac), 4)
        self.stage = stage

    def to_dict(self, with_result: bool = True) -> dict[str, Any]:
        out = {
            "id": self.id, "kind": self.kind, "status": self.status, "progress": self.progress,
            "stage": self.stage, "error": self.error, "params": self.params,
            "created": self.created, "started": self.started, "finished": self.finished,
        }
        if with_result:
            out["result"] = self.result
        return out


class JobManager:
    """Runs jobs on ``workers`` threads; keeps the ``keep`` most recent jobs in memory.

    ``execute=False`` accepts and queues jobs without ever running them (used by the
    schema fuzz tests, which only check the HTTP layer).
    """

    def __init__(self, workers: int = 1, max_pending: int = 8, keep: int = 100, execute: bool = True):
        self.max_pending = max_pending
        self.keep = keep
        self.execute = execute
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="painsim-job")

    def submit(self, kind: str, fn: Callable[[Job], dict[str, Any]], params: dict[str, Any]) -> Job:
        with self._lock:
            pending = sum(j.status in ("queued", "running") for j in self._jobs.values())
            if pending >= self.max_pending:
                raise TooManyJobsError(
                    f"{pending} jobs are already queued or running (at most {self.max_pending}); "
                    "wait for one to finish or cancel one")
            job = Job(id=uuid.uuid4().hex[:12], kind=kind, params=params)
            self._jobs[job.id] = job
            self._trim()
        if self.execute:
            self._pool.submit(self._run, job, fn)
        return job

    def _trim(self) -> None:
        while len(self._jobs) > self.keep:
            oldest = next((k for k, j in self._jobs.items() if j.status in FINISHED), None)
            if oldest is None:
                break
            del self._jobs[oldest]

    def _run(self, job: Job, fn: Callable[[Job], dict[str, Any]]) -> None:
        if job.cancel_requested:
            return
        job.status, job.started, job.stage = "running", time.time(), "starting"
        try:
            result = fn(job)
            job.check()
        except JobCancelledError:
            job.status, job.stage = "cancelled", "cancelled"
        except Exception as err:  # a failed job reports its error; the server keeps going
            job.status, job.stage = "failed", "failed"
            job.error = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            job.params = {**job.params, "_trace": traceback.format_exc(limit=3)[-2000:]}
        else:
            job.result, job.status, job.progress, job.stage = result, "done", 1.0, "done"
        finally:
            job.finished = time.time()

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        with self._lock:
            return list(reversed(self._jobs.values()))

    def cancel(self, job_id: str) -> Job | None:
        """Ask a job to stop; a queued job is cancelled at once, a running one at its next report."""
        job = self.get(job_id)
        if job is None:
            return None
        job._cancel.set()
        if job.status == "queued":
            job.status, job.stage, job.finished = "cancelled", "cancelled", time.time()
        return job

    def wait(self, job_id: str, timeout: float = 60.0) -> Job:
        """Block until the job has finished (for tests and scripts)."""
        deadline = time.time() + timeout
        while True:
            job = self.get(job_id)
            if job is None:
                raise KeyError(job_id)
            if job.status in FINISHED or time.time() > deadline:
                return job
            time.sleep(0.05)

    def shutdown(self) -> None:
        for job in self.list():
            job._cancel.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
