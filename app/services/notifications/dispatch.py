"""Drain the outbox: claim due rows, send each through the configured sender, record it."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.models import OutboxMessage
from app.models.base import utcnow
from app.services.notifications.senders import SendError, get_sender


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def dispatch_pending(limit: int = 50) -> int:
    """Send up to ``limit`` due messages; return how many were sent."""
    now = utcnow()
    ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.crisis.desc(), OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.commit()
    sender = get_sender()
    sent = 0
    for message_id in ids:
        # Claim the row: only one worker moves it from pending to sending.
        claimed = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
            .values(status="sending", attempts=OutboxMessage.attempts + 1)
        ).rowcount
        db.session.commit()
        if claimed != 1:
            continue
        message = db.session.get(OutboxMessage, message_id)
        try:
            result = sender.send(message.to_phone, message.body, message.id)
        except SendError as error:
            message.last_error = str(error)[:500]
            message.error_code = error.code
            max_attempts = current_app.config["SMS_MAX_ATTEMPTS"]
            if error.permanent or message.attempts >= max_attempts:
                message.status = "failed"
            else:
                message.status = "pending"
                message.next_attempt_at = utcnow() + _backoff(message.attempts)
        else:
            message.status = result.status
            message.provider_id = result.provider_id
            message.sent_at = utcnow()
            sent += 1
        db.session.commit()
    return sent
