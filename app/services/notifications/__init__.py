"""Notifications: write SMS into the outbox in the caller's transaction.

A worker (``flask worker``) sends them later, so a message is never lost when the
provider is down and never sent for a change that was rolled back.
"""

from __future__ import annotations

from app.extensions import db
from app.models import OutboxMessage
from app.services.notifications.templates import render


def queue_sms(
    to_phone: str | None,
    template: str,
    *,
    language: str = "zh",
    request_id: int | None = None,
    user_id: int | None = None,
    crisis: bool = False,
    **values: object,
) -> OutboxMessage | None:
    """Add an SMS to the outbox (flushed with the caller's commit). None if no phone."""
    if not to_phone:
        return None
    message = OutboxMessage(
        to_phone=to_phone,
        body=render(template, language, **values),
        template=template,
        language=language,
        request_id=request_id,
        user_id=user_id,
        crisis=crisis,
    )
    db.session.add(message)
    return message


def language_for_phone(phone: str | None, default: str = "zh") -> str:
    """The language a person reads: their account's, else Chinese."""
    from sqlalchemy import select

    from app.models import User

    if not phone:
        return default
    language = db.session.scalar(
        select(User.language).where(User.phone == phone, User.phone_confirmed_at.is_not(None))
    )
    return language if language in ("zh", "en") else default
