"""What the staff page 'SMS sent' lists: the outbox of the stations a user may see.

A resident's tracking code and the last four digits of their phone open the resident's
own page, where anyone can cancel, confirm or rate in their name. So this page never
shows the last four digits (phones are masked to 138********), and the tracking codes
inside message bodies are hidden from staff who do not work on the request (privacy.may_see_tracking_code). One-time codes
(sign-up, password reset) are hidden from everyone: with one, a worker could set a new
password for any account whose texts they see.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import or_, select

from app.extensions import db
from app.models import HelpRequest, OutboxMessage, User
from app.services import privacy
from app.services.access import visible_station_ids
from app.services.codes import CODE_LIKE, normalise_code
from app.services.notifications.templates import SECRET_TEMPLATES, placeholders, render

HIDDEN_CODE = "*******"
HIDDEN_SECRET = "••••••"
# Anything shaped like a tracking code, new ("3806 1472") or old ("K7M3QXA"), standing
# alone or in a /t/ link (Chinese text around it is fine); only the codes of real requests
# are hidden.
_CODE_LIKE = CODE_LIKE


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


def shown_bodies(
    user: User, messages: Iterable, field: str = "body", known: Iterable[HelpRequest] = ()
) -> dict[int, str]:
    """Each message's body (outbox or inbound, by id; or another text ``field``, such as
    our reply to an inbound text) as this staff member may read it: the tracking codes of
    requests they do not work on are hidden, wherever in the text they stand; one-time codes
    are hidden from all. ``known``: requests already read (a request page's own, whose code
    its texts carry): only the other codes are looked up."""
    texts = {
        message.id: _without_secrets(message) if field == "body" else getattr(message, field)
        for message in messages
    }
    texts = {message_id: text or "" for message_id, text in texts.items()}
    candidates = set()
    for text in texts.values():
        candidates.update(normalise_code(code) for code in _CODE_LIKE.findall(text))
    in_hand = [r for r in known if r.code in candidates]
    unknown = candidates - {r.code for r in in_hand}
    found = (
        db.session.scalars(select(HelpRequest).where(HelpRequest.code.in_(sorted(unknown))))
        if unknown
        else []
    )
    # The same rule as the request's heading: those who work on it see its code.
    hidden = {r.code for r in [*in_hand, *found] if not privacy.may_see_tracking_code(user, r)}
    return {message_id: hide_codes(text, hidden) for message_id, text in texts.items()}


def _without_secrets(message) -> str:
    """The body as written, or for a text with a one-time code, the same text written
    afresh with every value starred out (never a pattern over the sent body)."""
    template = getattr(message, "template", None)
    if template not in SECRET_TEMPLATES:
        return message.body
    values = dict.fromkeys(placeholders(template), HIDDEN_SECRET)
    return render(template, message.language or "zh", **values)


def hide_codes(text: str, codes: Collection[str]) -> str:
    """The text with these codes starred out (in tracking links too)."""
    if not codes:
        return text
    return _CODE_LIKE.sub(
        lambda found: HIDDEN_CODE if normalise_code(found[0]) in codes else found[0], text
    )
