"""The evening reminder before a service, and the auto-close of done requests nobody
answered: what is due, and the step for one of them. The jobs that loop and commit are in
``app.jobs.reminders``."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import exists, select

from app.extensions import db
from app.models import Claim, HelpRequest, OutboxMessage, Team, User
from app.services import ServiceError, privacy, workflow
from app.services.notifications import queue_sms, queue_to_resident
from app.services.wording import (
    category_label,
    clock_text,
    place_label,
    to_local,
    to_utc,
)

log = logging.getLogger("linli.worker")

# The evening reminder goes out between these local hours (never in the quiet hours).
REMINDER_FROM = time(18, 0)
REMINDER_UNTIL = time(21, 0)


def _volunteer_of(claim: Claim) -> User | None:
    # A team's task given to one member: the member goes, so the member is reminded.
    if claim.dispatched_to_id is not None:
        return claim.dispatched_to
    if claim.volunteer_id is not None:
        return claim.volunteer
    if claim.team_id is not None:
        team = db.session.get(Team, claim.team_id)
        return team.leader if team is not None else None
    return None


def services_to_remind(now: datetime) -> list[tuple[int, int]]:
    """For the reminder job: (request id, claim id) of the services scheduled tomorrow, in
    the evening window only (none outside it)."""
    local_now = to_local(now)
    if not (REMINDER_FROM <= local_now.time() < REMINDER_UNTIL):
        return []
    tomorrow = local_now.date() + timedelta(days=1)
    start = to_utc(datetime.combine(tomorrow, time(0, 0), tzinfo=local_now.tzinfo))
    end = start + timedelta(days=1)
    rows = db.session.execute(
        select(HelpRequest.id, Claim.id)
        .join(Claim, Claim.request_id == HelpRequest.id)
        .where(
            HelpRequest.status == "assigned",
            HelpRequest.wanted_at >= start,
            HelpRequest.wanted_at < end,
            Claim.status == "active",
        )
        .order_by(HelpRequest.id, Claim.id)
    ).all()
    return [(request_id, claim_id) for request_id, claim_id in rows]


def remind_volunteer(request: HelpRequest, claim: Claim) -> bool:
    """Text the volunteer of ``claim`` once the evening before the service; False if they
    were reminded already or cannot be texted."""
    volunteer = _volunteer_of(claim)
    if volunteer is None or not volunteer.phone:
        return False
    already = db.session.scalar(
        select(
            exists().where(
                OutboxMessage.template == "service_reminder",
                OutboxMessage.request_id == request.id,
                OutboxMessage.to_phone == volunteer.phone,
            )
        )
    )
    if already:
        return False
    language = volunteer.language if volunteer.language in ("zh", "en") else "zh"
    with force_locale(language):
        queue_sms(
            volunteer.phone,
            "service_reminder",
            language=language,
            request_id=request.id,
            user_id=volunteer.id,
            code=privacy.task_number(request),
            time=clock_text(request.wanted_at),
            category=category_label(request.category),
            village=place_label(request),
        )
    return True


def auto_close_days() -> int:
    return int(current_app.config.get("AUTO_CLOSE_DAYS", 7))


def done_requests_to_close(now: datetime) -> list[int]:
    """For the auto-close job: requests left "done" for AUTO_CLOSE_DAYS, oldest first."""
    cutoff = now - timedelta(days=auto_close_days())
    return list(
        db.session.scalars(
            select(HelpRequest.id)
            .where(HelpRequest.status == "done", HelpRequest.done_at <= cutoff)
            .order_by(HelpRequest.id)
            .limit(200)
        )
    )


def auto_close(request: HelpRequest) -> bool:
    """Close a done request the resident did not answer, and tell them; False if the
    state machine no longer allows it."""
    days = auto_close_days()
    try:
        workflow.transition(
            request,
            "auto_close",
            actor_label="system",
            note=f"no answer from the resident in {days} days",
        )
    except ServiceError:
        return False
    if request.contact_phone:
        queue_to_resident(request, "request_auto_closed", days=days)
    return True
