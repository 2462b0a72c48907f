"""What may go out now: quiet hours, the hourly cap per recipient, and SMS segment sizes."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import HelpRequest, OutboxMessage
from app.services.wording import to_local, to_utc

QUIET_START = time(21, 0)  # local time: no non-urgent offers from 21:00 ...
QUIET_END = time(8, 0)  # ... until 08:00
# Templates that wait for the morning: volunteer offers (issue 4). The "offer_…" templates
# are alerts to staff about unmatched requests and must not wait.
QUIET_HOURS_TEMPLATES: frozenset[str] = frozenset({"volunteer_offer"})
URGENT_LEVELS = frozenset({"urgent", "crisis"})


def waits_for_quiet_hours(crisis: bool, template: str, urgency: str | None) -> bool:
    """Non-urgent volunteer offers wait; crisis messages and urgent requests never do.
    ``urgency`` is that of the message's request (None without one)."""
    if crisis or template not in QUIET_HOURS_TEMPLATES:
        return False
    return urgency not in URGENT_LEVELS


def urgencies(request_ids: set[int]) -> dict[int, str]:
    """The urgency of each of these requests, in one query."""
    if not request_ids:
        return {}
    rows = db.session.execute(
        select(HelpRequest.id, HelpRequest.urgency).where(HelpRequest.id.in_(request_ids))
    )
    return {request_id: urgency for request_id, urgency in rows}


def quiet_hours_end(now_utc: datetime) -> datetime | None:
    """None in the daytime; else the next 08:00 local time, as naive UTC."""
    local = to_local(now_utc)
    if QUIET_END <= local.time() < QUIET_START:
        return None
    day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return to_utc(datetime.combine(day, QUIET_END))


def hourly_limit() -> int:
    """Messages one recipient may get an hour (SMS_HOURLY_LIMIT); 0 or less: no cap."""
    return int(current_app.config.get("SMS_HOURLY_LIMIT", 6))


def recent_sends(phones: set[str], now_utc: datetime) -> dict[str, tuple[int, datetime]]:
    """For each of these numbers that was texted in the last hour: how many texts were
    handed to the provider (``sent_at``) and the oldest of them. One query."""
    if not phones:
        return {}
    rows = db.session.execute(
        select(
            OutboxMessage.to_phone, func.count(OutboxMessage.id), func.min(OutboxMessage.sent_at)
        )
        .where(
            OutboxMessage.to_phone.in_(phones),
            OutboxMessage.sent_at.is_not(None),
            OutboxMessage.sent_at > now_utc - timedelta(hours=1),
        )
        .group_by(OutboxMessage.to_phone)
    )
    return {phone: (count, oldest) for phone, count, oldest in rows}


def hourly_limit_until(
    crisis: bool, sent_last_hour: int, oldest: datetime | None, limit: int
) -> datetime | None:
    """None when the recipient may get another message now; else when they may: an hour
    after the oldest text of the last hour. Crisis messages are never held back."""
    if crisis or limit <= 0 or sent_last_hour < limit or oldest is None:
        return None
    return oldest + timedelta(hours=1, seconds=1)


# --- sizes -------------------------------------------------------------------------------

_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")


def encoding(text: str) -> str:
    """'GSM-7' when every character is in the GSM alphabet, else 'UCS-2'."""
    return "GSM-7" if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text) else "UCS-2"


def segment_count(text: str) -> int:
    """SMS parts the text needs: GSM-7 160 (153 per part when split), UCS-2 70 (67)."""
    if encoding(text) == "GSM-7":
        units = sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
        single, part = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2  # characters outside the BMP take two
        single, part = 70, 67
    if units <= single:
        return 1
    return -(-units // part)
