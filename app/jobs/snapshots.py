"""The dashboards' snapshots (app/services/snapshots.py): counted again while in use.

Each snapshot in use (viewed in the last ten STATS_MAX_AGE_SECONDS, ``snapshots.in_use_for``)
is counted again once it is half STATS_MAX_AGE_SECONDS old, one unit of work each (a
county's figures take seconds at scale; a failure leaves the others), so a view finds it
young and reads it. Snapshots nobody viewed in STATS_KEEP_VIEWED_HOURS are deleted.
"""

from __future__ import annotations

import logging

from app.extensions import db
from app.jobs import unit_of_work
from app.services import snapshots

log = logging.getLogger("linli.worker")


def refresh_viewed_snapshots() -> int:
    """Count again the snapshots in use that are past half their age; return how many."""
    with unit_of_work():
        ids = snapshots.due_for_refresh()
    done = 0
    for snapshot_id in ids:
        try:
            with unit_of_work():
                done += snapshots.refresh(snapshot_id)
        except Exception:
            db.session.rollback()
            log.exception("snapshot %s not counted again", snapshot_id)
    return done


def purge_unviewed_snapshots() -> int:
    with unit_of_work():
        return snapshots.purge()
