"""The demo's clock and dice: every use case it calls reads the time and makes its codes
through two seams (``app.models.base.frozen_now`` and ``app.services.codes.seeded_rng``),
so a story told "two days ago" is stamped two days ago, and two fresh seeds give the same
codes and times to the second.

    with frozen_at(start) as clock, seeded_codes(rng):
        clock.move_to(start + timedelta(hours=2))   # what happens now happened then
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from app.models.base import frozen_now
from app.services.codes import seeded_rng


class Clock:
    """The time every ``utcnow()`` answers inside ``frozen_at``; moved by the builder."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        frozen_now.set(at)

    def move_to(self, at: datetime) -> datetime:
        self.at = at
        frozen_now.set(at)
        return at

    def advance(self, **delta: float) -> datetime:
        return self.move_to(self.at + timedelta(**delta))


@contextmanager
def frozen_at(at: datetime) -> Iterator[Clock]:
    """Inside the block, ``utcnow()`` is ``at`` (or wherever the clock is moved)."""
    token = frozen_now.set(at)
    try:
        yield Clock(at)
    finally:
        frozen_now.reset(token)


@contextmanager
def seeded_codes(rng: random.Random) -> Iterator[None]:
    """Inside the block, tracking and reply codes come from ``rng``."""
    token = seeded_rng.set(rng)
    try:
        yield
    finally:
        seeded_rng.reset(token)
