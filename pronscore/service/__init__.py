"""HTTP service over a `Session` (needs ``pronscore[service]``): see `pronscore.service.app`."""
from __future__ import annotations

__all__ = ["create_app", "serve"]


def __getattr__(name: str):
    # FastAPI is an optional extra: import it only when the service is actually used.
    if name in __all__:
        from pronscore.service import app

        return getattr(app, name)
    raise AttributeError(name)
