"""Bearer-key check for the /v1 routes."""
from __future__ import annotations

import hmac

from fastapi import Request

from pronscore.service.errors import UnauthorizedError


class BearerKeyCheck:
    """A FastAPI dependency: when a key is configured, require ``Authorization: Bearer KEY``.

    The comparison is constant-time (``hmac.compare_digest`` on bytes) so response
    timing does not reveal how much of a guessed key was right.
    """

    def __init__(self, api_key: str | None) -> None:
        self._key = api_key.encode("utf-8") if api_key else None

    @property
    def enabled(self) -> bool:
        return self._key is not None

    async def __call__(self, request: Request) -> None:
        if self._key is None:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise UnauthorizedError("this server needs an API key: send 'Authorization: Bearer KEY'")
        if not hmac.compare_digest(token.strip().encode("utf-8"), self._key):
            raise UnauthorizedError("the API key is not valid")
