"""What the provider tells us about a number or a message: opt-outs, unreachable residents,
and delivery reports (Twilio's status callbacks)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import HelpRequest, OutboxMessage, SmsOptOut
from app.models.base import utcnow
from app.services import as_id

# Twilio delivery error codes that mean the number itself is no good (not "phone off").
UNREACHABLE_CODES = frozenset({"21211", "21610", "21614", "30004", "30005", "30006"})
ERROR_TEXTS = {
    "21211": "invalid phone number",
    "21610": "the recipient replied STOP",
    "21614": "not a mobile number",
    "30003": "phone switched off or out of coverage",
    "30004": "the recipient blocked our messages",
    "30005": "unknown or inactive number",
    "30006": "landline or unreachable carrier",
    "30007": "filtered by the carrier",
    "30008": "unknown delivery error",
}
# Twilio's MessageStatus -> ours, and how far along each is (a late "sent" never undoes
# "delivered").
_STATUS_MAP = {
    "accepted": "sent",
    "scheduled": "sent",
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
}
_RANK = {"pending": 0, "sending": 0, "suppressed": 0, "sent": 1}


def is_opted_out(phone: str) -> bool:
    return db.session.get(SmsOptOut, phone) is not None


def opted_out(phones: set[str]) -> set[str]:
    """Which of ``phones`` opted out, in one statement (none without phones)."""
    if not phones:
        return set()
    return set(db.session.scalars(select(SmsOptOut.phone).where(SmsOptOut.phone.in_(phones))))


def opt_out(phone: str) -> bool:
    """Never text ``phone`` again until it opts back in. True if it was not opted out."""
    if is_opted_out(phone):
        return False
    db.session.add(SmsOptOut(phone=phone))
    db.session.flush()
    return True


def opt_in(phone: str) -> bool:
    row = db.session.get(SmsOptOut, phone)
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    return True


def mark_unreachable(request_id: int | None, phone: str, reason: str) -> None:
    """Flag the request when its contact phone (``phone``, a text to it failed) cannot take
    SMS: the console shows it."""
    from app.services.workflow import record_event

    if request_id is None:
        return
    request = db.session.get(HelpRequest, request_id)
    if request is None or request.contact_phone != phone or request.sms_unreachable:
        return
    request.sms_unreachable = True
    record_event(request, "sms_unreachable", actor_label="system", note=reason, public=False)


def apply_status_callback(
    provider_id: str, provider_status: str, error_code: str = "", message_id: str | None = None
) -> OutboxMessage | None:
    """Record a delivery report; returns the message, or None when it is not ours."""
    # Reports for one message can arrive together ("sent" and "delivered"): lock the row
    # (PostgreSQL) so the later one reads what the earlier one wrote.
    message = None
    if provider_id:
        message = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.provider_id == provider_id).with_for_update()
        )
    if message is None and as_id(message_id) is not None:
        # The report can beat the worker's own bookkeeping: find the row by our id.
        message = db.session.get(OutboxMessage, as_id(message_id), with_for_update=True)
        if message is not None and message.provider_id not in (None, provider_id):
            return None
    if message is None:
        return None
    status = _STATUS_MAP.get((provider_status or "").lower())
    if status is None:
        return message
    now = utcnow()
    if message.provider_id is None and provider_id:
        message.provider_id = provider_id
    if message.sent_at is None:
        message.sent_at = now
    if _RANK.get(status, 2) >= _RANK.get(message.status, 2):
        message.status = status
        message.hold_reason = ""
    if status == "delivered":
        message.delivered_at = message.delivered_at or now
        message.error_code = ""
        message.last_error = ""
    elif status in ("undelivered", "failed"):
        code = (error_code or "").strip()
        message.error_code = code
        message.last_error = ERROR_TEXTS.get(code, f"not delivered (Twilio {code or status})")
        if code == "21610":
            opt_out(message.to_phone)
        if code in UNREACHABLE_CODES:
            mark_unreachable(message.request_id, message.to_phone, message.last_error)
    db.session.flush()
    return message


def record_sent_earlier(after_id: int, *, delay: timedelta = timedelta(seconds=2)) -> int:
    """Record the outbox rows past ``after_id`` still waiting as sent ``delay`` after they
    were written, without sending them: texts that went out in a back story (the demo
    county's weeks of requests), which the worker must not send again today.

    Returns how many rows it recorded."""
    waiting = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id > after_id, OutboxMessage.status == "pending")
        .order_by(OutboxMessage.id)
    ).all()
    for message in waiting:
        message.status = "sent"
        message.attempts = 1
        message.sent_at = message.created_at + delay
        message.hold_reason = ""
    db.session.flush()
    return len(waiting)
