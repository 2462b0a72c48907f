"""Community activities: the reminder the day before, and the lapse of one never closed
(one unit of work per activity)."""

from __future__ import annotations

from datetime import datetime

from app.extensions import db
from app.jobs.units import each_in_its_own_unit
from app.models import Activity
from app.models.base import utcnow
from app.services import activity_lists


def remind_activities(now: datetime | None = None) -> int:
    """Text the volunteers with a place in an activity starting within a day; how many."""
    now = now or utcnow()
    due = activity_lists.activities_to_remind(now)
    return each_in_its_own_unit("remind activities", due, lambda i: _remind(i, now))


def _remind(activity_id: int, now: datetime) -> int:
    activity = db.session.get(Activity, activity_id)
    return 0 if activity is None else activity_lists.remind(activity, now)


def lapse_activities(now: datetime | None = None) -> int:
    """Cancel the activities left scheduled a week after their end with nobody checked in
    (no text: it is long past); those with check-ins stay on the worker's list to close."""
    now = now or utcnow()
    due = activity_lists.activities_to_lapse(now)
    return each_in_its_own_unit("lapse activities", due, lambda i: _lapse(i, now))


def _lapse(activity_id: int, now: datetime) -> int:
    activity = db.session.get(Activity, activity_id)
    return 0 if activity is None else activity_lists.lapse(activity, now)
