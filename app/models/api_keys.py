"""Keys for the Open311 and JSON API (issue 19): each belongs to a station, made and
revoked by its admin. Only a hash of the key is stored; the key is shown once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class ApiKey(db.Model):
    """One key of one station (a county centre's key also reads the county's figures).

    ``key_hash`` is the SHA-256 of the whole key: a key is 32 random bytes, so a plain
    hash cannot be reversed by guessing, and a look-up by hash needs no scan. ``prefix``
    (its first characters) lets the admin tell keys apart on the page."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"), index=True)
    # The admin who made it: the owner named on the timeline of requests filed with it.
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    station = relationship("Station")
    created_by = relationship("User", foreign_keys=[created_by_id])

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def __repr__(self) -> str:
        return f"<ApiKey {self.id} {self.prefix}>"
