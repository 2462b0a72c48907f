"""Accounts: forget what no longer counts (day-old sign-in failures, unconfirmed sign-ups
and expired code flows). One unit of work.
"""

from __future__ import annotations

from app.jobs import unit_of_work
from app.services import auth


def forget_old_records() -> int:
    """Drop the day-old records; how many rows went."""
    with unit_of_work():
        return auth.forget_stale_records()
