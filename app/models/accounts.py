"""Proving a phone is one's own (one-time SMS codes) and slowing down password guessing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import utcnow


class PhoneCode(db.Model):
    """One flow of a 6-digit SMS code: a volunteer's sign-up or a password reset.

    The browser holds ``ticket`` in its session; the code itself is stored only as an HMAC.
    A flow for a phone with no account (a reset) or one already taken (a sign-up) gets a
    row too, with no user: it answers exactly like a real one and never accepts a code.
    """

    __tablename__ = "phone_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))  # signup | reset
    phone: Mapped[str] = mapped_column(String(20), index=True)  # E.164
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # the latest code
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    sends: Mapped[int] = mapped_column(Integer, default=1)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # wrong tries of this code
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class SignInThrottle(db.Model):
    """Failed sign-ins per typed identifier (phone or username), known or not, so a
    lockout answers the same for accounts that exist and those that do not.

    ``key`` is an HMAC of the identifier: people sometimes type a password into the
    username field, and this table must not keep it."""

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
