"""The console's reminders by SMS: crisis and urgent requests waiting past their target,
and each worker's overdue visits once a day. One unit of work per request / per worker.
"""

from __future__ import annotations

from app.extensions import db
from app.jobs.units import each_in_its_own_unit
from app.models import HelpRequest, User
from app.models.base import utcnow
from app.services import deadlines, ledger


def alert_overdue() -> int:
    """Tell the station's workers once about each crisis/urgent request waiting past its
    target; the number of requests alerted."""
    now = utcnow()

    def alert(request_id: int) -> int:
        request = db.session.get(HelpRequest, request_id)
        return int(request is not None and deadlines.alert_overdue_request(request, now))

    return each_in_its_own_unit(
        "alert overdue requests", deadlines.requests_to_alert_overdue(now), alert
    )


def alert_overdue_visits() -> int:
    """One SMS a day to each responsible worker with overdue visits; how many were sent."""
    counts = ledger.overdue_visits_by_worker()

    def alert(worker_id: int) -> int:
        worker = db.session.get(User, worker_id)
        return int(worker is not None and ledger.alert_overdue_visits_to(worker, counts[worker_id]))

    return each_in_its_own_unit("alert overdue visits", list(counts), alert)
