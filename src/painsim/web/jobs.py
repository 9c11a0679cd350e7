"""Background jobs: long computations run off the request thread, report progress and can be cancelled.

A job is a function ``fn(job) -> dict``. It reports progress with ``job.report(stage, done,
total)``; every report checks the cancel flag and raises :class:`JobCancelledError` when the
user asked to stop, so a cancelled job unwinds like a failed one.

With ``isolation="process"`` (the web app's choice) each job runs in a **child process** forked from a
forkserver that has already imported painsim: a cancel is passed to the child, which stops at
its next progress report; a child that has not stopped within ``cancel_grace`` seconds (a long
simulation step, screening between reports) is killed with its process group, so a cancel is
honoured promptly whatever the job is doing, and a job that eats memory cannot take the
server with it. While a job is inside :meth:`Job.uninterruptible` (writing to the store) it is
not killed. ``isolation="thread"`` (the default of :class:`JobManager`) runs jobs on threads of this
process (cancel at the next report only); the tests use it where they patch library functions.

Jobs that write to the results store do so only at their very end, inside the store's atomic
``new_run`` block, so a cancelled or failed job leaves no partial run.

**Fairness.** At most ``max_pending`` jobs are queued or running, at most ``max_per_client``
of them from one client (keyed by its address), and a free worker takes the oldest queued
job of the client with the fewest running jobs, so one client cannot hold every slot.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
import traceback
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParam

from painsim.web.common import ERRORS, JobInfo
from painsim.web.errors import log_failure, logger, new_error_id, scrub_paths

Status = Literal["queued", "running", "done", "failed", "cancelled"]
Isolation = Literal["process", "thread"]
FINISHED: tuple[str, ...] = ("done", "failed", "cancelled")
CANCEL_GRACE_S = 1.0  # a child still running this long after a cancel is killed
PROGRESS_EVERY_S = 0.1  # a child sends progress at most this often (and on every change of stage)
POLL_S = 0.05
PRELOAD_MODULE = "painsim.web.preload"


class JobCancelledError(Exception):
    """Raised inside a job when its cancel button was pressed."""


class TooManyJobsError(Exception):
    """Raised by :meth:`JobManager.submit` when the queue, or the client's share of it, is full."""


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
    client: str = field(default="local", repr=False)  # who submitted it (never shown to clients)
    _cancel: Any = field(default_factory=threading.Event, repr=False)  # threading or multiprocessing Event
    _notify: Callable[[str, Any], None] | None = field(default=None, repr=False)  # a child's line to its parent

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
        if self._notify is not None:
            self._notify("progress", (self.progress, self.stage))

    @contextlib.contextmanager
    def uninterruptible(self) -> Iterator[None]:
        """A block a cancel must not cut short (the store's commit): the job is not killed inside it."""
        self.check()
        if self._notify is not None:
            self._notify("hold", True)
        try:
            yield
        finally:
            if self._notify is not None:
                self._notify("hold", False)

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
    """Runs jobs on ``workers`` workers; keeps the ``keep`` most recent jobs in memory.

    ``execute=False`` accepts and queues jobs without ever running them (used by the
    schema fuzz tests, which only check the HTTP layer). ``max_per_client`` (default: no
    cap below ``max_pending``) bounds one client's jobs. ``path_labels`` maps folders
    (the store) to the label that replaces them in error messages shown to clients.
    """

    def __init__(self, workers: int = 1, max_pending: int = 8, keep: int = 100, execute: bool = True,
                 max_per_client: int | None = None, isolation: Isolation = "thread",
                 cancel_grace: float = CANCEL_GRACE_S, path_labels: dict[str, str] | None = None):
        if isolation not in ("process", "thread"):
            raise ValueError(f"isolation must be 'process' or 'thread', not {isolation!r}")
        self.max_pending = max_pending
        self.max_per_client = max_per_client if max_per_client is not None else max_pending
        self.keep = keep
        self.execute = execute
        self.isolation = isolation
        self.cancel_grace = cancel_grace
        self.path_labels = dict(path_labels or {})
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._queue: list[tuple[Job, Callable[[Job], dict[str, Any]]]] = []
        self._last_start: dict[str, float] = {}
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._closed = False
        self._threads = [threading.Thread(target=self._worker, name=f"painsim-job-{k}", daemon=True)
                         for k in range(workers if execute else 0)]
        for thread in self._threads:
            thread.start()
        if execute and isolation == "process":  # start the job processes' server now, not at the first job
            threading.Thread(target=_context, name="painsim-forkserver", daemon=True).start()

    # ------------------------------------------------------------------ submitting
    def submit(self, kind: str, fn: Callable[[Job], dict[str, Any]], params: dict[str, Any],
               client: str = "local") -> Job:
        """Queue ``fn``; raise :class:`TooManyJobsError` when the queue or the client's share is full.

        With process isolation ``fn`` must be picklable (a module-level function or a
        ``functools.partial`` of one).
        """
        with self._lock:
            pending = [j for j in self._jobs.values() if j.status in ("queued", "running")]
            if len(pending) >= self.max_pending:
                raise TooManyJobsError(
                    f"{len(pending)} jobs are already queued or running (at most {self.max_pending}); "
                    "wait for one to finish or cancel one")
            mine = sum(j.client == client for j in pending)
            if mine >= self.max_per_client:
                raise TooManyJobsError(
                    f"you already have {mine} jobs queued or running (at most {self.max_per_client} per client, "
                    f"so that other users get a turn); wait for one to finish or cancel one")
            job = Job(id=uuid.uuid4().hex[:12], kind=kind, params=params, client=client)
            self._jobs[job.id] = job
            self._trim()
            if self.execute:
                self._queue.append((job, fn))
                self._wake.notify()
        return job

    def _trim(self) -> None:
        while len(self._jobs) > self.keep:
            oldest = next((k for k, j in self._jobs.items() if j.status in FINISHED), None)
            if oldest is None:
                break
            del self._jobs[oldest]
        clients = {j.client for j in self._jobs.values()}
        for client in [c for c in self._last_start if c not in clients]:
            del self._last_start[client]

    # ------------------------------------------------------------------ running
    def _next(self) -> tuple[Job, Callable[[Job], dict[str, Any]]]:
        """The next job to run (call with the lock held): of the clients with the fewest running
        jobs, the one whose last job started longest ago (round robin); its oldest queued job."""
        running = Counter(j.client for j in self._jobs.values() if j.status == "running")

        def turn(k: int) -> tuple[int, float, int]:
            client = self._queue[k][0].client
            return running[client], self._last_start.get(client, 0.0), k

        job, fn = self._queue.pop(min(range(len(self._queue)), key=turn))
        self._last_start[job.client] = time.monotonic()
        return job, fn

    def _worker(self) -> None:
        while True:
            with self._wake:
                while not self._queue and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                job, fn = self._next()
                if job.cancel_requested:  # cancelled while queued; already marked
                    continue
                job.status, job.started, job.stage = "running", time.time(), "starting"
            try:
                if self.isolation == "process":
                    self._run_in_process(job, fn)
                else:
                    self._run_in_thread(job, fn)
            except Exception as err:  # the supervisor itself failed (e.g. fn cannot be pickled)
                self._fail(job, log_failure(f"job {job.id} ({job.kind}) could not run", err),
                           scrub_paths(f"{type(err).__name__}: {err}".splitlines()[0], self.path_labels))
            finally:
                job.finished = time.time()

    def _run_in_thread(self, job: Job, fn: Callable[[Job], dict[str, Any]]) -> None:
        try:
            result = fn(job)
            job.check()
        except JobCancelledError:
            job.status, job.stage = "cancelled", "cancelled"
        except Exception as err:  # a failed job reports its error; the server keeps going
            lines = str(err).strip().splitlines()
            self._fail(job, log_failure(f"job {job.id} ({job.kind}) failed", err),
                       lines[0] if lines else type(err).__name__)
        else:
            job.result, job.status, job.progress, job.stage = result, "done", 1.0, "done"

    def _fail(self, job: Job, error_id: str, message: str) -> None:
        """Mark ``job`` failed with ``message`` (first line, paths replaced); the details are in the log."""
        job.status, job.stage = "failed", "failed"
        job.error = f"{scrub_paths(message, self.path_labels)[:1000]} (error id {error_id})"

    def _run_in_process(self, job: Job, fn: Callable[[Job], dict[str, Any]]) -> None:
        ctx = _context()
        receive, send = ctx.Pipe(duplex=False)
        cancel = ctx.Event()
        child = ctx.Process(target=_child_main, args=(fn, job.id, job.kind, send, cancel),
                            name=f"painsim-job-{job.id}")
        child.start()
        send.close()
        outcome: tuple[str, Any] | None = None
        held, cancelled_at = False, None
        try:
            while outcome is None:
                if job.cancel_requested and cancelled_at is None:
                    cancel.set()
                    cancelled_at = time.monotonic()
                if cancelled_at is not None and not held and time.monotonic() - cancelled_at > self.cancel_grace:
                    _kill_group(child)
                    outcome = ("cancelled", None)
                    break
                if not receive.poll(POLL_S):
                    if not child.is_alive() and not receive.poll(0):
                        break
                    continue
                try:
                    kind, value = receive.recv()
                except (EOFError, OSError):
                    break
                if kind == "progress":
                    job.progress, job.stage = value
                elif kind == "hold":
                    held = bool(value)
                else:
                    outcome = (kind, value)
        finally:
            receive.close()
            child.join(timeout=5)
            if child.is_alive():
                _kill_group(child)
                child.join(timeout=5)
        self._finish(job, outcome, child.exitcode)

    def _finish(self, job: Job, outcome: tuple[str, Any] | None, exitcode: int | None) -> None:
        kind, value = outcome if outcome is not None else ("died", None)
        if kind == "done":
            job.result, job.status, job.progress, job.stage = value, "done", 1.0, "done"
        elif kind == "cancelled" or (kind == "died" and job.cancel_requested):
            job.status, job.stage = "cancelled", "cancelled"
        elif kind == "failed":
            type_name, message, trace = value
            error_id = new_error_id()
            logger.error("job %s (%s) failed (error id %s):\n%s", job.id, job.kind, error_id, trace)
            self._fail(job, error_id, message or type_name)
        else:
            error_id = new_error_id()
            how = f"killed by signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit code {exitcode}"
            logger.error("job %s (%s): its worker process ended without a result (%s; error id %s)",
                         job.id, job.kind, how, error_id)
            self._fail(job, error_id, f"the job's worker process ended unexpectedly ({how}; "
                                      "perhaps it ran out of memory)")

    # ------------------------------------------------------------------ reading, cancelling
    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        with self._lock:
            return list(reversed(self._jobs.values()))

    def cancel(self, job_id: str) -> Job | None:
        """Ask a job to stop; a queued job is cancelled at once, a running one promptly (see module docs)."""
        with self._lock:
            job = self._jobs.get(job_id)
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
        """Cancel every job (running children are killed after the grace period) and stop the workers."""
        with self._wake:
            self._closed = True
            for job in self._jobs.values():
                job._cancel.set()
                if job.status == "queued":
                    job.status, job.stage, job.finished = "cancelled", "cancelled", time.time()
            self._queue.clear()
            self._wake.notify_all()


def default_per_client(max_pending: int) -> int:
    """Jobs one client may have queued or running: half the slots (at least one)."""
    return max(1, max_pending // 2)


# ---------------------------------------------------------------------- the child process
_CONTEXT: Any = None
_CONTEXT_LOCK = threading.Lock()


def _context() -> Any:
    """The forkserver context; its server imports painsim once (``painsim.web.preload``), so a job starts fast."""
    global _CONTEXT
    with _CONTEXT_LOCK:
        if _CONTEXT is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload([PRELOAD_MODULE])
            from multiprocessing import forkserver

            forkserver.ensure_running()
            _CONTEXT = ctx
        return _CONTEXT


def _kill_group(child: Any) -> None:
    """Kill the child and whatever it started (it leads its own process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        child.kill()


def _child_main(fn: Callable[[Job], dict[str, Any]], job_id: str, kind: str, conn: Any, cancel: Any) -> None:
    """Run ``fn`` in this child process and send its progress and outcome to the parent."""
    os.setpgrp()  # its own process group: a kill reaches the workers it starts (e.g. a power curve's)
    last = {"time": 0.0, "stage": None}

    def notify(what: str, value: Any) -> None:
        if what == "progress":
            now = time.monotonic()
            if value[1] == last["stage"] and now - last["time"] < PROGRESS_EVERY_S:
                return
            last["time"], last["stage"] = now, value[1]
        conn.send((what, value))

    job = Job(id=job_id, kind=kind, params={}, _cancel=cancel, _notify=notify)
    try:
        result = fn(job)
        job.check()
        outcome: tuple[str, Any] = ("done", result)
    except JobCancelledError:
        outcome = ("cancelled", None)
    except BaseException as err:
        lines = str(err).strip().splitlines()
        outcome = ("failed", (type(err).__name__, lines[0] if lines else "", traceback.format_exc()))
    try:
        conn.send(outcome)
    except Exception as err:  # e.g. a result that cannot be pickled
        conn.send(("failed", (type(err).__name__, f"the job's result could not be sent: {err}",
                              traceback.format_exc())))
    finally:
        conn.close()


# ---- the jobs page's router ------------------------------------------------------------------
router = APIRouter(tags=["jobs"])
JobId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{1,32}$", description="job id")]


@router.get("/api/jobs", response_model=list[JobInfo], summary="Recent jobs, newest first")
def list_jobs(request: Request) -> list[dict[str, Any]]:
    return [j.to_dict(with_result=False) for j in request.app.state.jobs.list()]


@router.get("/api/jobs/{job_id}", response_model=JobInfo, responses=ERRORS,
            summary="A job's status, progress and result")
def get_job(job_id: JobId, request: Request) -> dict[str, Any]:
    job = request.app.state.jobs.get(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id}")
    return job.to_dict()


@router.post("/api/jobs/{job_id}/cancel", response_model=JobInfo, responses=ERRORS,
             summary="Cancel a job (a queued job at once, a running one within about a second)")
def cancel_job(job_id: JobId, request: Request) -> dict[str, Any]:
    job = request.app.state.jobs.cancel(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id}")
    return job.to_dict(with_result=False)
