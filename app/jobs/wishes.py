"""Micro-wish claims not fulfilled by their date go back on the board (issue 18): one unit
of work per wish."""

from __future__ import annotations

from app.jobs.units import each_in_its_own_unit
from app.services import wishes


def release_overdue_claims() -> int:
    """How many claims lapsed and were put back on the board."""
    return each_in_its_own_unit(
        "release overdue wish claims", wishes.overdue_claim_ids(), wishes.release_claim
    )
