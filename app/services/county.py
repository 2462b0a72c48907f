"""The county supervisor's view of the stations they read: each station's counts, and the
escalated requests waiting for them. Read-only; their actions are ``console.acknowledge``
and ``console.reassign_station``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from app.extensions import db
from app.models import HelpRequest, Station, User
from app.models.base import utcnow
from app.services import as_id, workflow
from app.services.access import visible_station_ids
from app.services.console import URGENCY_ORDER
from app.services.deadlines import overdue_clause
from app.services.staffing import below_target
from app.services.stats import certified_by_station


def stations(user: User) -> list[Station]:
    ids = visible_station_ids(user) or {-1}
    return list(db.session.scalars(select(Station).where(Station.id.in_(ids)).order_by(Station.id)))


def station_named(raw_id: str | None) -> Station | None:
    """The station a form names by its id (the use case refuses one out of reach)."""
    raw = raw_id or ""
    station_id = as_id(raw)
    return db.session.get(Station, station_id) if station_id is not None else None


def station_rows(user: User, now: datetime | None = None) -> list[dict]:
    """Per station: new, open, closed, overdue and escalated requests; certified workers
    and active staff (``stats.certified_by_station``), and whether it is below the target
    of certified workers (``staffing.below_target``)."""
    ids = visible_station_ids(user) or {-1}
    now = now or utcnow()
    listed = stations(user)
    counts = _counts_by_status(ids)
    overdue = _count_by_station(ids, overdue_clause(now))
    escalated = _count_by_station(ids, *_open_escalated())
    staff = certified_by_station(ids)
    rows = []
    for one in listed:
        c = counts.get(one.id, {})
        certified, workers = staff.get(one.id, (0, 0))
        rows.append(
            {
                "station": one,
                "new": c.get("new", 0),
                "open": sum(n for s, n in c.items() if s in workflow.OPEN_STATUSES),
                "closed": c.get("closed", 0),
                "overdue": overdue.get(one.id, 0),
                "escalated": escalated.get(one.id, 0),
                "certified": certified,
                "staff": workers,
                "below_target": below_target(one, certified),
            }
        )
    return rows


def escalated_requests(user: User) -> list[HelpRequest]:
    """The open escalated requests of the stations ``user`` reads, the most urgent first."""
    ids = visible_station_ids(user) or {-1}
    query = (
        select(HelpRequest)
        .where(HelpRequest.station_id.in_(ids), *_open_escalated())
        .order_by(URGENCY_ORDER, HelpRequest.escalated_at)
    )
    return list(db.session.scalars(query))


def _open_escalated() -> tuple:
    return HelpRequest.escalated.is_(True), HelpRequest.status.in_(workflow.OPEN_STATUSES)


def _counts_by_status(ids: set[int]) -> dict[int, dict[str, int]]:
    by_status = db.session.execute(
        select(HelpRequest.station_id, HelpRequest.status, func.count())
        .where(HelpRequest.station_id.in_(ids))
        .group_by(HelpRequest.station_id, HelpRequest.status)
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for station_id, status, n in by_status:
        counts.setdefault(station_id, {})[status] = n
    return counts


def _count_by_station(ids: set[int], *conditions) -> dict[int, int]:
    return dict(
        db.session.execute(
            select(HelpRequest.station_id, func.count())
            .where(HelpRequest.station_id.in_(ids), *conditions)
            .group_by(HelpRequest.station_id)
        ).all()
    )
