"""For the staff page: delivery status counts, filters, and the texts people sent us."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import HelpRequest, InboundMessage, OutboxMessage, User
from app.services.access import visible_station_ids
from app.services.outbox_view import visible_messages

STATUS_LABELS = {
    "pending": _l("Waiting"),
    "sending": _l("Sending"),
    "sent": _l("Sent"),
    "delivered": _l("Delivered"),
    "undelivered": _l("Not delivered"),
    "failed": _l("Failed"),
    "suppressed": _l("Not sent"),
}
HOLD_LABELS = {
    "quiet_hours": _l("Waits for the morning (quiet hours 21:00–08:00)"),
    "hourly_limit": _l("Held back: this phone got many texts in the last hour"),
}
# Provider error codes in words a social worker can act on (the raw text stays below).
ERROR_LABELS = {
    "21211": _l("Not a valid phone number: check the digits"),
    "21610": _l("The person replied STOP: they get no texts until they send START"),
    "21614": _l("Not a mobile number: call instead"),
    "30003": _l("Phone switched off or out of coverage"),
    "30004": _l("The person blocked our texts"),
    "30005": _l("Unknown or inactive number: check the digits"),
    "30006": _l("Landline or unreachable carrier: call instead"),
    "30007": _l("The carrier filtered the text"),
    "30008": _l("Not delivered, reason unknown"),
    "20429": _l("The SMS provider is busy"),
    "20500": _l("The SMS provider is down for now"),
    "20503": _l("The SMS provider is down for now"),
}


def error_label(message) -> str:
    """What went wrong, in plain words (translated), for the staff page."""
    if message.status == "suppressed":
        if message.template == "volunteer_offer" and "withdrawn" in message.last_error:
            return str(_l("Not sent: the offer was withdrawn when the request moved station"))
        if message.template == "volunteer_offer" and "offer" in message.last_error:
            return str(_l("Not sent: the offer was no longer open"))
        return str(_l("Not sent: this number replied STOP"))
    if message.error_code in ERROR_LABELS:
        return str(ERROR_LABELS[message.error_code])
    return message.last_error


COMMAND_LABELS = {
    "accept": _l("Accepts a task"),
    "decline": _l("Declines a task"),
    "need_code": _l("Reply without a code"),
    "stop": _l("Opted out"),
    "start": _l("Opted back in"),
    "help": _l("Asked for help text"),
    "wish_claim": _l("Claims a micro-wish"),
    "wish_reply": _l("A donor's reply about a micro-wish"),
}
PROBLEMS = ("failed", "undelivered", "suppressed")
STATUS_FILTERS: dict[str, tuple[str, ...] | None] = {
    "all": None,
    "problems": PROBLEMS,
    "waiting": ("pending", "sending"),
}


def status_counts(user: User) -> dict[str, int]:
    scoped = visible_messages(user).with_only_columns(OutboxMessage.status).subquery()
    rows = db.session.execute(select(scoped.c.status, func.count()).group_by(scoped.c.status)).all()
    return {status: count for status, count in rows}


def received_messages(user: User, limit: int = 30) -> list[InboundMessage]:
    """Texts about the user's stations' requests or from their staff and volunteers."""
    stations = visible_station_ids(user) or {-1}
    station_phones = select(User.phone).where(User.station_id.in_(stations))
    return list(
        db.session.scalars(
            select(InboundMessage)
            .outerjoin(HelpRequest, HelpRequest.id == InboundMessage.request_id)
            .where(
                or_(
                    HelpRequest.station_id.in_(stations),
                    InboundMessage.from_phone.in_(station_phones),
                )
            )
            .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
            .limit(limit)
        )
    )
