"""One error shape for every failure the service reports: ``{"error": {"code", "message"}}``.

Engine errors (`PronscoreError`) carry their own ``code`` and ``http_status``; the
service adds a few of its own below. FastAPI's request-validation errors and
Starlette's HTTP exceptions (404 route, 405 method) are rewritten into the same
shape so a client only ever parses one kind of error body.
"""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pronscore.errors import PronscoreError

log = logging.getLogger("pronscore.service")


class ServiceError(PronscoreError):
    """Errors that only exist at the HTTP layer."""


class RequestInvalidError(ServiceError):
    code = "request_invalid"
    http_status = 422


class UnauthorizedError(ServiceError):
    code = "unauthorized"
    http_status = 401


class UploadTooLargeError(ServiceError):
    code = "upload_too_large"
    http_status = 413


class JobNotFoundError(ServiceError):
    code = "job_not_found"
    http_status = 404


class QueueFullError(ServiceError):
    code = "queue_full"
    http_status = 429


class UploadTooLargeHTTPException(StarletteHTTPException):
    """Raised from inside the ASGI ``receive`` callable when a body outgrows the cap.

    It has to be an HTTPException: FastAPI turns any other exception raised while it
    parses a body into a generic 400, but re-raises HTTPExceptions untouched.
    """

    def __init__(self, message: str) -> None:
        super().__init__(status_code=413, detail=message)


# Codes for the HTTP exceptions Starlette raises itself (unknown route, wrong method).
_STATUS_CODES = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 413: "upload_too_large",
                 429: "queue_full"}


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def pronscore_error_response(exc: PronscoreError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, UnauthorizedError) else None
    return error_response(exc.http_status, exc.code, str(exc) or exc.code, headers)


def describe_validation_errors(errors: list[dict]) -> str:
    """'text: Field required; audio: Field required' from pydantic's error list."""
    parts = []
    for err in errors:
        # loc is ("body", "text") for FastAPI params, ("text",) for our own models.
        loc = [str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path", "header")]
        where = ".".join(loc) or "request"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is invalid"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PronscoreError)
    async def _pronscore(_: Request, exc: PronscoreError) -> JSONResponse:
        if exc.http_status >= 500:
            log.error("server-side error %s: %s", exc.code, exc)
        return pronscore_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, RequestInvalidError.code, describe_validation_errors(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return error_response(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _bug(_: Request, exc: Exception) -> JSONResponse:
        # A bug, not bad input: log the traceback here, never send it to the client.
        log.exception("unhandled error")
        return error_response(500, "internal_error", "internal server error (logged on the server)")


class UnsupportedMediaTypeError(ServiceError):
    code = "unsupported_media_type"
    http_status = 415
