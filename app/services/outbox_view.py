"""What the staff page 'SMS sent' lists: the outbox of the stations a user may see.

A resident's tracking code and the last four digits of their phone open the resident's
own page, where anyone can cancel, confirm or rate in their name. So this page never
shows the last four digits (phones are masked to 138********), and the tracking codes
inside message bodies are hidden from staff who do not serve the request.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from sqlalchemy import or_, select

from app.extensions import db
from app.models import HelpRequest, OutboxMessage, User
from app.services.access import is_serving_worker, visible_station_ids
from app.services.intake import TRACK_PATH

HIDDEN_CODE = "*******"
# A tracking link in any body: whatever its code, the path gives it away.
_TRACK_LINK = re.compile(re.escape(TRACK_PATH) + r"[0-9A-Za-z]+")


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
    """Newest first by the time the page shows beside each message (not by row number:
    back-filled and demo rows are written out of date order)."""
    query = visible_messages(user)
    if statuses:
        query = query.where(OutboxMessage.status.in_(statuses))
    query = query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    return list(db.session.scalars(query.limit(limit)))


def shown_bodies(user: User, messages: Iterable, field: str = "body") -> dict[int, str]:
    """Each message's body (outbox or inbound, by id; or another text ``field``, such as
    our reply to an inbound text) as this staff member may read it: tracking codes hidden
    unless they serve the request the message is about."""
    messages = list(messages)
    request_ids = {m.request_id for m in messages if m.request_id is not None}
    requests = {}
    if request_ids:
        rows = db.session.execute(
            select(HelpRequest.id, HelpRequest.code, HelpRequest.station_id).where(
                HelpRequest.id.in_(request_ids)
            )
        ).all()
        requests = {row.id: row for row in rows}
    bodies = {}
    for message in messages:
        request = requests.get(message.request_id)
        if request is not None and is_serving_worker(user, request.station_id):
            bodies[message.id] = getattr(message, field)
        else:
            code = request.code if request is not None else None
            bodies[message.id] = hide_codes(getattr(message, field), code)
    return bodies


def hide_codes(body: str, code: str | None) -> str:
    """The body with the request's code and every tracking link's code starred out."""
    text = _TRACK_LINK.sub(TRACK_PATH + HIDDEN_CODE, body or "")
    if code:
        text = re.sub(re.escape(code), HIDDEN_CODE, text, flags=re.IGNORECASE)
    return text
