"""The volunteers' evening reminder before a service, and the auto-close of done requests
nobody answered. One unit of work per service reminded / per request closed.
"""

from __future__ import annotations

from datetime import datetime

from app.extensions import db
from app.jobs.units import each_in_its_own_unit
from app.models import Claim, HelpRequest
from app.models.base import utcnow
from app.services import reminders


def remind_volunteers(now: datetime | None = None) -> int:
    """The evening before a scheduled service, text its volunteer once; how many."""
    due = reminders.services_to_remind(now or utcnow())
    return each_in_its_own_unit("remind volunteers", due, _remind)


def _remind(ids: tuple[int, int]) -> int:
    request_id, claim_id = ids
    request, claim = db.session.get(HelpRequest, request_id), db.session.get(Claim, claim_id)
    if request is None or claim is None:
        return 0
    return int(reminders.remind_volunteer(request, claim))


def auto_close_done_requests(now: datetime | None = None) -> int:
    """Close requests left "done" for AUTO_CLOSE_DAYS without the resident's answer."""
    due = reminders.done_requests_to_close(now or utcnow())
    return each_in_its_own_unit("auto-close done", due, _auto_close)


def _auto_close(request_id: int) -> int:
    request = db.session.get(HelpRequest, request_id)
    return int(request is not None and reminders.auto_close(request))
