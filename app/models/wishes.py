"""Micro-wishes 微心愿 of children in hardship, and the resources 链接资源 a station brings in.

A wish belongs to a person of the ledger (``Beneficiary``) and to their station; the public
sees it only through ``app.services.wishes.public_view`` (no name, no age, no place finer
than the township). Its life is ``app.services.wishes.WISH_MACHINE``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class Wish(db.Model):
    __tablename__ = "wish"
    __table_args__ = (
        Index("ix_wish_status_deadline", "status", "deadline"),
        Index("ix_wish_donor_phone_status", "donor_phone", "status"),
        # One unconfirmed claim per phone, also for two claims at the same moment.
        Index(
            "uq_wish_donor_phone_claimed",
            "donor_phone",
            unique=True,
            postgresql_where=text("status = 'claimed'"),
            sqlite_where=text("status = 'claimed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)  # 6 digits, read out by donors
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"), index=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id"), index=True)
    # The township the public is told (never the village): fixed when the wish is recorded.
    township_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    what: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(16), default="other")  # wishes.NEEDS
    estimated_value: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="recorded")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The donor of the claim that holds the wish (emptied when the claim ends unfulfilled).
    donor_name: Mapped[str | None] = mapped_column(String(64))
    donor_phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    donor_kind: Mapped[str | None] = mapped_column(String(12))  # wishes.DONOR_KINDS
    claim_channel: Mapped[str | None] = mapped_column(String(8))  # web | sms
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    claim_due: Mapped[date | None] = mapped_column(Date)  # fulfil by, else back on the board
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    fulfilled_at: Mapped[datetime | None] = mapped_column(DateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    delivered_on: Mapped[date | None] = mapped_column(Date)
    actual_value: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    thanks: Mapped[str] = mapped_column(Text, default="")
    times_released: Mapped[int] = mapped_column(Integer, default=0)
    # A confirmed claim past its claim_due is never released: the station is told, once.
    overdue_told_at: Mapped[datetime | None] = mapped_column(DateTime)

    station = relationship("Station")
    beneficiary = relationship("Beneficiary")
    township = relationship("Region")


class WishPhoto(db.Model):
    """The delivery photo: in the database, never under static/, served to the station's
    workers alone."""

    __tablename__ = "wish_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    wish_id: Mapped[int] = mapped_column(ForeignKey("wish.id"), unique=True)
    mimetype: Mapped[str] = mapped_column(String(32))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ResourceEntry(db.Model):
    """One line of the resources ledger 链接资源台账: money or goods the station brought in."""

    __tablename__ = "resource_entry"
    __table_args__ = (Index("ix_resource_entry_station_received", "station_id", "received_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    source: Mapped[str] = mapped_column(String(12))  # wish | donation | project
    kind: Mapped[str] = mapped_column(String(8))  # money | goods
    donor_name: Mapped[str] = mapped_column(String(64))
    value: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    received_on: Mapped[date] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(String(200), default="")  # what it served
    wish_id: Mapped[int | None] = mapped_column(ForeignKey("wish.id"), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
