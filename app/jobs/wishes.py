"""Micro-wish deadlines (issue 18): unconfirmed claims that lapsed go back on the board,
wishes past their date expire, the station hears of confirmed claims past their day
(``wish_deadlines``): one unit of work per wish."""

from __future__ import annotations

from app.jobs.units import each_in_its_own_unit
from app.services import wish_deadlines


def release_overdue_claims() -> int:
    """How many wishes the job acted on (released, expired, or the station told)."""
    return each_in_its_own_unit(
        "release overdue wish claims",
        wish_deadlines.overdue_claim_ids(),
        wish_deadlines.release_claim,
    )
