"""Shared helpers for the models."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime

# The clock seam: None (the real time) except while something sets a fixed "now" through
# ``app.demo.clock`` (the demo tells its stories in the past). One ContextVar lookup keeps
# utcnow as cheap as before on the hot paths.
frozen_now: ContextVar[datetime | None] = ContextVar("linli_frozen_now", default=None)


def utcnow() -> datetime:
    """Naive UTC time: stored the same way on SQLite and PostgreSQL."""
    frozen = frozen_now.get()
    if frozen is not None:
        return frozen
    return datetime.now(UTC).replace(tzinfo=None)
