"""Response targets by urgency (config RESPONSE_TARGET_MINUTES): a request still waiting
to be accepted after its target is overdue; the job ``app.jobs.deadlines`` alerts the station once."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from flask import current_app
from sqlalchemy import and_, bindparam, or_, select

from app.extensions import db
from app.models import HelpRequest
from app.models.base import utcnow
from app.models.requests import urgency_rank, urgency_rank_column
from app.services import links, staff, wording, workflow
from app.services.codes import code_text

WAITING_STATUSES = ("new",)
ALERTED_URGENCIES = ("crisis", "urgent")


def target_minutes(urgency: str) -> int:
    targets = current_app.config["RESPONSE_TARGET_MINUTES"]
    return int(targets.get(urgency, targets["normal"]))


def due_at(request: HelpRequest) -> datetime:
    return request.created_at + timedelta(minutes=target_minutes(request.urgency))


def response_target_text(urgency: str, language: str | None = None) -> str:
    """When the station answers a request of this urgency, in plain words ('within 2 hours')."""
    return wording.within_text(target_minutes(urgency), language)


def is_overdue(request: HelpRequest, now: datetime | None = None) -> bool:
    if request.status not in WAITING_STATUSES:
        return False
    return (now or utcnow()) > due_at(request)


def minutes_waiting(request: HelpRequest, now: datetime | None = None) -> int:
    return max(0, int(((now or utcnow()) - request.created_at).total_seconds() // 60))


def overdue_clause(now: datetime | None = None, urgencies=None):
    """SQL condition: waiting for acceptance longer than the urgency's target."""
    targets = current_app.config["RESPONSE_TARGET_MINUTES"]
    chosen = tuple(u for u in targets if urgencies is None or u in urgencies)
    moments = overdue_params(now, chosen)
    return _overdue_condition(chosen, lambda urgency: moments[f"overdue_before_{urgency}"])


def overdue_clause_unbound(urgencies: tuple[str, ...]):
    """``overdue_clause`` with the moments as named parameters (``overdue_params``): a
    statement built once can be run at any time (the triage queue's, console.py)."""
    return _overdue_condition(urgencies, lambda urgency: bindparam(f"overdue_before_{urgency}"))


# The queue index's urgency rank (app/models/requests.py), written as the index writes it:
# with it beside each urgency's own test, each urgency's overdue requests are one range
# of the index (station, status, rank, created_at), read off it without the table. The
# planner then keeps one plan for the triage queue's statement at any table size: without
# it, at 1,000,000 requests, PostgreSQL judged its generic plan (a bitmap of all the
# station's waiting requests) worse than planning afresh, and planned the 7 KB statement
# at every view (1 ms of server CPU, more than running it).
_URGENCY_RANK = urgency_rank_column()


def overdue_parts_unbound(urgencies: tuple[str, ...]) -> list:
    """``overdue_clause_unbound`` as one condition per urgency (their OR is the clause):
    each one range of the queue index, so a count can stop at its cap in each."""
    waiting = HelpRequest.status.in_(WAITING_STATUSES)
    return [
        and_(waiting, part)
        for part in _urgency_parts(urgencies, lambda u: bindparam(f"overdue_before_{u}"))
    ]


def _urgency_parts(urgencies: tuple[str, ...], before) -> list:
    return [
        and_(
            _URGENCY_RANK == urgency_rank(urgency),
            HelpRequest.urgency == urgency,
            HelpRequest.created_at < before(urgency),
        )
        for urgency in urgencies
    ]


def _overdue_condition(urgencies: tuple[str, ...], before):
    parts = _urgency_parts(urgencies, before)
    return and_(HelpRequest.status.in_(WAITING_STATUSES), or_(*parts))


def overdue_params(now: datetime | None, urgencies: tuple[str, ...]) -> dict[str, datetime]:
    now = now or utcnow()
    targets = current_app.config["RESPONSE_TARGET_MINUTES"]
    return {
        f"overdue_before_{urgency}": now - timedelta(minutes=targets[urgency])
        for urgency in urgencies
    }


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
    staff.notify_staff(
        request.station_id,
        "request_overdue",
        request_id=request.id,
        crisis=request.urgency == "crisis",
        urgency=partial(wording.urgency_label, request.urgency),  # in each reader's language
        code=code_text(request.code),
        minutes=minutes,
        link=links.console_request_link(request.id),
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
