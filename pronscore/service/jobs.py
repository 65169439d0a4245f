"""Asynchronous assessment jobs, kept in memory.

A job is queued on the runner's single worker thread and moves
queued -> running -> done | failed. The runner bounds how many may wait (429 when
full); finished jobs are kept for ``ttl_s`` seconds and at most
``max_finished`` of them (oldest dropped first), so memory stays bounded however
many jobs clients submit and never fetch. Expiry is lazy (on each call), which
needs no background thread.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from concurrent.futures import CancelledError, Future
from dataclasses import dataclass
from typing import Any, Callable, Literal

from pronscore.errors import PronscoreError
from pronscore.result import Assessment
from pronscore.service.errors import JobNotFoundError, QueueFullError
from pronscore.service.runner import AssessmentRunner, AssessRequest

log = logging.getLogger("pronscore.service")

JobStatus = Literal["queued", "running", "done", "failed"]


@dataclass
class Job:
    id: str
    status: JobStatus
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    future: "Future[Assessment] | None" = None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "status": self.status, "created_at": self.created_at,
                                "started_at": self.started_at, "finished_at": self.finished_at}
        if self.status == "done":
            body["result"] = self.result
        if self.status == "failed":
            body["error"] = self.error
        return body


class JobStore:
    def __init__(self, runner: AssessmentRunner, *, max_finished: int = 256, ttl_s: float = 3600.0,
                 clock: Callable[[], float] = time.time) -> None:
        if max_finished < 1:
            raise ValueError("max_finished must be at least 1")
        self._runner = runner
        self.max_finished = max_finished
        self.ttl_s = ttl_s
        self._clock = clock
        # The worker thread updates jobs while request handlers read them.
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()

    def submit(self, request: AssessRequest) -> Job:
        with self._lock:
            self._expire()
            job = Job(id=uuid.uuid4().hex, status="queued", created_at=self._clock())
            self._jobs[job.id] = job
        # Stored before it is submitted, so the callbacks always find it.
        try:
            future = self._runner.submit(request, on_start=lambda: self._mark_running(job.id))
        except QueueFullError:
            with self._lock:
                self._jobs.pop(job.id, None)
            raise
        with self._lock:
            job.future = future  # kept so DELETE can cancel it while queued
        future.add_done_callback(lambda fut: self._finish(job.id, fut))
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            self._expire()
            job = self._jobs.get(job_id)
            if job is None:
                raise JobNotFoundError(f"no job {job_id!r} (unknown, deleted or expired)")
            return job

    def delete(self, job_id: str) -> Job:
        """Forget a job; a queued one is cancelled, a running one finishes unobserved."""
        with self._lock:
            self._expire()
            job = self._jobs.pop(job_id, None)
        if job is None:
            raise JobNotFoundError(f"no job {job_id!r} (unknown, deleted or expired)")
        if job.future is not None:
            job.future.cancel()  # only succeeds while queued
        return job

    def counts(self) -> dict[str, int]:
        with self._lock:
            self._expire()
            out = {"queued": 0, "running": 0, "done": 0, "failed": 0}
            for job in self._jobs.values():
                out[job.status] += 1
            return out

    # -- called on the worker thread ----------------------------------------------------
    def _mark_running(self, job_id: str) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                job.status, job.started_at = "running", self._clock()

    def _finish(self, job_id: str, future: "Future[Assessment]") -> None:
        try:
            outcome: tuple[JobStatus, Any] = ("done", future.result().to_dict())
        except CancelledError:
            return  # deleted while queued: nothing to record
        except PronscoreError as exc:
            outcome = ("failed", {"code": exc.code, "message": str(exc) or exc.code})
        except Exception:  # a bug: log it, tell the client only that it happened
            log.exception("job %s crashed", job_id)
            outcome = ("failed", {"code": "internal_error", "message": "internal server error (logged on the server)"})
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return  # deleted while running
            job.status = outcome[0]
            job.result, job.error = (outcome[1], None) if outcome[0] == "done" else (None, outcome[1])
            job.finished_at = self._clock()
            job.future = None  # drop the reference to the Assessment object; the dict is kept
            self._expire()

    # -- bounded memory -----------------------------------------------------------------
    def _expire(self) -> None:
        """Drop finished jobs past their TTL, then the oldest beyond ``max_finished``. Lock held."""
        now = self._clock()
        finished = [j for j in self._jobs.values() if j.finished]
        stale = {j.id for j in finished if j.finished_at is not None and now - j.finished_at > self.ttl_s}
        excess = len(finished) - len(stale) - self.max_finished
        if excess > 0:
            alive = sorted((j for j in finished if j.id not in stale), key=lambda j: j.finished_at or 0.0)
            stale.update(j.id for j in alive[:excess])
        for job_id in stale:
            del self._jobs[job_id]
