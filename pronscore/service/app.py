"""The HTTP service: FastAPI app over one `Session`.

    GET  /                 the web page (static, offline)
    GET  /healthz          liveness + model description (no auth)
    POST /v1/assess        assess now (multipart or JSON) -> Assessment JSON | TextGrid | CSV
    POST /v1/jobs          queue an assessment -> 202 {"id", "status": "queued"}
    GET  /v1/jobs/{id}     queued | running | done (+ result) | failed (+ error)
    DELETE /v1/jobs/{id}   forget a job (cancels it while queued)

`create_app` builds everything the app needs and stores it on the app object (no
module-level state), so tests can build as many independent apps as they like.
"""
from __future__ import annotations

import asyncio
import logging
import os
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any, AsyncIterator

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from pronscore import __version__
from pronscore.api import Session
from pronscore.service.auth import BearerKeyCheck
from pronscore.service.body_limit import BodyLimitMiddleware
from pronscore.service.errors import RequestInvalidError, install_error_handlers
from pronscore.service.inputs import openapi_request_body, read_assess_request
from pronscore.service.jobs import JobStore
from pronscore.service.render import assessment_response
from pronscore.service.runner import AssessmentRunner

log = logging.getLogger("pronscore.service")

DEFAULT_MAX_UPLOAD_BYTES = 25_000_000
DEFAULT_MAX_JOBS = 16
API_KEY_ENV = "PRONSCORE_API_KEY"
# Room for the form fields around the audio, and for base64's 4/3 growth in JSON bodies;
# the audio itself is then checked against the exact cap once decoded.
_BODY_OVERHEAD_BYTES = 64 * 1024


def create_app(session: Session | None = None, *, api_key: str | None = None,
               max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES, max_jobs: int = DEFAULT_MAX_JOBS,
               max_finished_jobs: int = 256, job_ttl_s: float = 3600.0, warm_up: bool = True) -> FastAPI:
    """The service app. ``session``: a loaded Session (one is created when None, and then
    closed with the app). ``api_key``: require ``Authorization: Bearer KEY`` on /v1 routes.
    ``max_upload_bytes``: largest audio accepted. ``max_jobs``: assessments that may wait
    for the worker at once (sync and async together); more get 429. ``warm_up``: at startup
    (before the server accepts connections) load what the first assessment would load
    lazily (`Session.warm_up`), so no request pays for it."""
    if max_upload_bytes < 1:
        raise ValueError("max_upload_bytes must be positive")
    owns_session = session is None
    runner = AssessmentRunner(session or Session(), max_pending=max_jobs, owns_session=owns_session)
    jobs = JobStore(runner, max_finished=max_finished_jobs, ttl_s=job_ttl_s)
    auth = BearerKeyCheck(api_key)
    model_info = runner.session.info()  # fixed for the Session's life; read once, off the worker
    l1_choices = _l1_choices()
    index_html = resources.files("pronscore.service").joinpath("static/index.html").read_text("utf-8")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        warm = getattr(runner.session, "warm_up", None) if warm_up else None
        if warm is not None:
            # Off the event loop; no request can reach the Session before startup completes.
            seconds = await asyncio.to_thread(warm)
            log.info("models warmed up in %.2f s", seconds)
        yield
        runner.close()

    app = FastAPI(title="pronscore", version=__version__, lifespan=lifespan,
                  description="Offline pronunciation assessment: phone, word and sentence scores for a recording "
                              "and the text the speaker meant to say.")
    app.state.runner, app.state.jobs = runner, jobs
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=max_upload_bytes * 4 // 3 + _BODY_OVERHEAD_BYTES,
                       announced_limit=max_upload_bytes)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(index_html)

    @app.get("/healthz", tags=["service"])
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "model": model_info, "auth_required": auth.enabled,
                "max_upload_bytes": max_upload_bytes, "l1": l1_choices, "queue": {
                    "pending": runner.pending, "max_pending": runner.max_pending, "jobs": jobs.counts()}}

    v1 = APIRouter(prefix="/v1", dependencies=[Depends(auth)], tags=["assessment"])

    @v1.post("/assess", openapi_extra=openapi_request_body(),
             summary="Assess a recording against its reference text",
             responses={200: {"description": "the Assessment JSON (or TextGrid / CSV with format=)"}})
    async def assess(request: Request) -> Response:
        req = await read_assess_request(request, max_audio_bytes=max_upload_bytes)
        return assessment_response(await runner.assess(req), req.format)

    @v1.post("/jobs", status_code=202, openapi_extra=openapi_request_body(),
             summary="Queue an assessment; poll GET /v1/jobs/{id} for the result")
    async def create_job(request: Request) -> JSONResponse:
        req = await read_assess_request(request, max_audio_bytes=max_upload_bytes)
        if req.format != "json":
            raise RequestInvalidError("jobs return the Assessment JSON; use POST /v1/assess for TextGrid or CSV")
        job = jobs.submit(req)
        return JSONResponse({"id": job.id, "status": job.status}, status_code=202,
                            headers={"Location": f"/v1/jobs/{job.id}"})

    @v1.get("/jobs/{job_id}", summary="A job's status, with its result or error once finished")
    async def get_job(job_id: str) -> dict[str, Any]:
        return jobs.get(job_id).to_dict()

    @v1.delete("/jobs/{job_id}", summary="Forget a job (cancels it if it has not started)")
    async def delete_job(job_id: str) -> dict[str, Any]:
        job = jobs.delete(job_id)
        return {"id": job.id, "status": "deleted", "was": job.status}

    app.include_router(v1)
    return app


def _l1_choices() -> list[dict[str, str]]:
    """First languages the feedback has notes for, for the web page's select."""
    from pronscore.feedback.l1 import default_l1_notes

    notes = default_l1_notes()
    return [{"code": code, "name": notes.profile(code).name} for code in notes.supported]


def serve(args: Any) -> None:
    """``pronscore serve``: load the models, then run uvicorn until interrupted.

    ``args`` carries host, port, api_key, acoustic, acoustic_path, scorer, max_seconds.
    The key falls back to $PRONSCORE_API_KEY.
    """
    import uvicorn

    api_key = getattr(args, "api_key", None) or os.environ.get(API_KEY_ENV) or None
    # Loaded and warmed up before the server starts: a missing model fails the command, and
    # the first request pays no lazy loading.
    session = Session(acoustic=args.acoustic, acoustic_path=args.acoustic_path, scorer=args.scorer,
                      max_seconds=args.max_seconds, preload=True)
    log.info("models loaded in %.2f s, warmed up in %.2f s", session.load_seconds, session.warm_up_seconds or 0.0)
    app = create_app(session, api_key=api_key, warm_up=False)
    if api_key is None and args.host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("serving on %s without an API key: anyone who can reach it can use it "
                    "(set --api-key or %s)", args.host, API_KEY_ENV)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    finally:
        session.close()
