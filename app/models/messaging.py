"""The SMS outbox, opt-outs, and the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import utcnow


class OutboxMessage(db.Model):
    """An SMS written in the same transaction as the change that causes it."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        # The worker's claim reads due rows in this order, crisis first (issue 17).
        Index("ix_outbox_due", "status", "crisis", "next_attempt_at", "id"),
        Index("ix_outbox_to_created", "to_phone", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_phone: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    template: Mapped[str] = mapped_column(String(48))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    request_id: Mapped[int | None] = mapped_column(ForeignKey("help_request.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    crisis: Mapped[bool] = mapped_column(Boolean, default=False)  # bypasses hourly limits
    # pending | sending | sent | delivered | undelivered | failed | suppressed
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    error_code: Mapped[str] = mapped_column(String(16), default="")
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The worker holding a row in "sending" and since when; past the lease it is retried.
    leased_at: Mapped[datetime | None] = mapped_column(DateTime)
    lease_owner: Mapped[str] = mapped_column(String(64), default="")
    hold_reason: Mapped[str] = mapped_column(String(16), default="")  # quiet_hours|hourly_limit
    # Temporary failures are retried for SMS_RETRY_FOR_SECONDS from the first of a run.
    failing_since: Mapped[datetime | None] = mapped_column(DateTime)
    # A worker stopped trying (console "give up"): no longer flagged as undelivered.
    given_up_at: Mapped[datetime | None] = mapped_column(DateTime)


class SmsOptOut(db.Model):
    __tablename__ = "sms_opt_out"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class InboundMessage(db.Model):
    """Every SMS received, kept for the station's record."""

    __tablename__ = "inbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_phone: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(Text)
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    command: Mapped[str] = mapped_column(String(16), default="")
    request_id: Mapped[int | None] = mapped_column(ForeignKey("help_request.id"))
    reply: Mapped[str] = mapped_column(Text, default="")  # what we answered (TwiML)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AuditLog(db.Model):
    """Views of personal data and exports: who, when, what."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_station_at", "station_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(
        String(32)
    )  # view_beneficiary|view_minor_request|view_request|export|...
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column(Integer)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("station.id"))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
