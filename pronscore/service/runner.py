"""Runs assessments on the one Session, one at a time, off the event loop.

`Session` is not thread-safe, so every call goes through a single worker thread:
synchronous requests and queued jobs share that thread and run in arrival order.
The event loop only awaits the worker's futures, so health checks and job polling
stay responsive while an assessment is computing.

At most ``max_pending`` assessments (sync requests and jobs together) may wait for or
occupy the worker; more get `QueueFullError` (429). Each waiting request holds its
upload in memory, so this bound is also the service's memory bound.
"""
from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Literal

from pronscore.api import Session
from pronscore.result import Assessment
from pronscore.service.errors import QueueFullError

OutputFormat = Literal["json", "textgrid", "csv"]


@dataclass(frozen=True)
class AssessRequest:
    """One validated request, independent of how it arrived (multipart or JSON)."""

    audio: bytes
    text: str
    language: str | None = None
    l1: str | None = None
    ipa: dict[str, str] = field(default_factory=dict)
    format: OutputFormat = "json"


class AssessmentRunner:
    """Owns the Session's worker thread. ``owns_session``: close the Session on shutdown
    only when the runner created it (a caller's Session stays the caller's)."""

    def __init__(self, session: Session, *, max_pending: int = 16, owns_session: bool = False) -> None:
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self.session = session
        self.max_pending = max_pending
        self._owns_session = owns_session
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pronscore-session")
        self._pending = 0
        self._pending_lock = threading.Lock()  # decremented on the worker thread

    @property
    def pending(self) -> int:
        """Assessments queued or running."""
        return self._pending

    def submit(self, request: AssessRequest, on_start: Callable[[], None] | None = None) -> "Future[Assessment]":
        """Queue an assessment on the worker thread; ``on_start`` runs on that thread first.
        Raises `QueueFullError` when ``max_pending`` assessments are already waiting."""

        def work() -> Assessment:
            if on_start is not None:
                on_start()
            return self.session.assess(request.audio, request.text, language=request.language,
                                       ipa=request.ipa or None, l1=request.l1)

        with self._pending_lock:
            if self._pending >= self.max_pending:
                raise QueueFullError(f"{self._pending} assessments are already waiting (the limit is "
                                     f"{self.max_pending}); retry in a few seconds")
            self._pending += 1
        future = self._executor.submit(work)
        future.add_done_callback(self._release)
        return future

    def _release(self, _: "Future[Assessment]") -> None:
        with self._pending_lock:
            self._pending -= 1

    async def assess(self, request: AssessRequest) -> Assessment:
        return await asyncio.wrap_future(self.submit(request))

    def close(self) -> None:
        # Queued work is dropped; a running assessment finishes on its own (threads cannot be interrupted).
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._owns_session:
            self.session.close()
