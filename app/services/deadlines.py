"""Response targets by urgency (config RESPONSE_TARGET_MINUTES): a request still waiting
to be accepted after its target is overdue; the job ``app.jobs.deadlines`` alerts the station once."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select

from app.extensions import db
from app.models import HelpRequest, Station, User
from app.models.base import utcnow
from app.models.vocab import URGENCIES, label
from app.services import workflow
from app.services.notifications import queue_sms
from app.services.urls import public_base_url

WAITING_STATUSES = ("new",)
ALERTED_URGENCIES = ("crisis", "urgent")


def target_minutes(urgency: str) -> int:
    targets = current_app.config["RESPONSE_TARGET_MINUTES"]
    return int(targets.get(urgency, targets["normal"]))


def due_at(request: HelpRequest) -> datetime:
    return request.created_at + timedelta(minutes=target_minutes(request.urgency))


def is_overdue(request: HelpRequest, now: datetime | None = None) -> bool:
    if request.status not in WAITING_STATUSES:
        return False
    return (now or utcnow()) > due_at(request)


def minutes_waiting(request: HelpRequest, now: datetime | None = None) -> int:
    return max(0, int(((now or utcnow()) - request.created_at).total_seconds() // 60))


def overdue_clause(now: datetime | None = None, urgencies=None):
    """SQL condition: waiting for acceptance longer than the urgency's target."""
    now = now or utcnow()
    targets = current_app.config["RESPONSE_TARGET_MINUTES"]
    parts = [
        and_(HelpRequest.urgency == urgency, HelpRequest.created_at < now - timedelta(minutes=m))
        for urgency, m in targets.items()
        if urgencies is None or urgency in urgencies
    ]
    return and_(HelpRequest.status.in_(WAITING_STATUSES), or_(*parts))


def station_workers(station_id: int) -> list[User]:
    """The active workers of a station; for a room without its own, its township's."""
    from app.models import UserRole

    def _workers(sid: int) -> list[User]:
        query = (
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                User.station_id == sid,
                User.active.is_(True),
                UserRole.role.in_(("social_worker", "station_admin")),
            )
            .order_by(User.id)
        )
        return list(db.session.scalars(query).unique())

    workers = _workers(station_id)
    if not workers:
        station = db.session.get(Station, station_id)
        if station is not None and station.parent_id is not None:
            workers = _workers(station.parent_id)
    return workers


def console_link(request_id: int) -> str:
    return f"{public_base_url()}/station/r/{request_id}"


def requests_to_alert_overdue(now: datetime) -> list[int]:
    """For the overdue job: crisis and urgent requests waiting past their target whose
    workers have not been told yet, oldest first."""
    return list(
        db.session.scalars(
            select(HelpRequest.id)
            .where(overdue_clause(now, ALERTED_URGENCIES), HelpRequest.overdue_alerted_at.is_(None))
            .order_by(HelpRequest.created_at)
            .limit(200)
        )
    )


def alert_overdue_request(request: HelpRequest, now: datetime) -> bool:
    """SMS the station's workers once that ``request`` waits past its target; False if
    they were told already."""
    if request.overdue_alerted_at is not None:
        return False
    minutes = minutes_waiting(request, now)
    for worker in station_workers(request.station_id):
        queue_sms(
            worker.phone,
            "request_overdue",
            language=worker.language or "zh",
            request_id=request.id,
            user_id=worker.id,
            crisis=request.urgency == "crisis",
            urgency=_urgency_word(request.urgency, worker.language or "zh"),
            code=request.code,
            minutes=minutes,
            link=console_link(request.id),
        )
    request.overdue_alerted_at = now
    workflow.record_event(
        request,
        "overdue_alert",
        actor_label="system",
        note=f"{minutes} min",
        public=False,
        at=now,
    )
    return True


def _urgency_word(urgency: str, language: str) -> str:
    if language == "en":
        return {"crisis": "Crisis", "urgent": "Urgent"}.get(urgency, "")
    return {"crisis": "危急", "urgent": "紧急"}.get(urgency, str(label(URGENCIES, urgency)))
