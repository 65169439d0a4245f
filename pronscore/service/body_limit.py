"""Cap the size of request bodies while they are read, before anything is buffered.

A declared ``Content-Length`` over the cap is refused at once without reading the
body; a chunked body (no length) is counted as it arrives and refused as soon as it
passes the cap, so a client cannot make the server spool an arbitrarily large upload.
"""
from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pronscore.service.errors import UploadTooLargeError, UploadTooLargeHTTPException, error_response


def too_large_message(limit_bytes: int) -> str:
    return f"the upload is larger than the {format_size(limit_bytes)} limit of this server"


def format_size(n_bytes: int) -> str:
    if n_bytes >= 1_000_000:
        return f"{n_bytes / 1_000_000:g} MB"
    if n_bytes >= 1_000:
        return f"{n_bytes / 1_000:g} kB"
    return f"{n_bytes} bytes"


class BodyLimitMiddleware:
    """ASGI middleware: 413 for request bodies longer than ``max_body_bytes``.

    ``announced_limit`` is the number quoted in the message: the audio cap a user set,
    which is smaller than the body cap (a body also carries form fields, and base64
    JSON is 4/3 the size of the audio it encodes).
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, announced_limit: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.message = too_large_message(announced_limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            response = error_response(413, UploadTooLargeError.code, self.message, {"Connection": "close"})
            await response(scope, receive, send)
            return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise UploadTooLargeHTTPException(self.message)
            return message

        await self.app(scope, counting_receive, send)


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
