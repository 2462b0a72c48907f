"""What the staff page 'SMS sent' lists: the outbox of the stations a user may see."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import or_, select

from app.extensions import db
from app.models import HelpRequest, OutboxMessage, User
from app.services.access import visible_station_ids


def visible_messages(user: User):
    """Messages about the user's stations' requests, and those to staff and volunteers of
    those stations; county supervisors see the whole county."""
    stations = visible_station_ids(user) or {-1}
    station_users = select(User.id).where(User.station_id.in_(stations))
    return (
        select(OutboxMessage)
        .outerjoin(HelpRequest, HelpRequest.id == OutboxMessage.request_id)
        .where(
            or_(
                HelpRequest.station_id.in_(stations),
                OutboxMessage.user_id.in_(station_users),
            )
        )
    )


def recent_messages(
    user: User, limit: int = 100, statuses: Collection[str] | None = None
) -> list[OutboxMessage]:
    query = visible_messages(user)
    if statuses:
        query = query.where(OutboxMessage.status.in_(statuses))
    return list(db.session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))
