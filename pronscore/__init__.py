"""pronscore: offline-first pronunciation assessment."""
from __future__ import annotations

__version__ = "0.1.0"

from pronscore.errors import PronscoreError  # noqa: E402

__all__ = ["__version__", "PronscoreError", "Session", "assess"]


def __getattr__(name: str):
    # Session and assess load numpy-heavy modules; import lazily so `pronscore --version` is instant.
    if name in ("Session", "assess"):
        from pronscore import api

        return getattr(api, name)
    raise AttributeError(name)
