"""The beneficiary ledger 服务对象台账 and home visits."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.extensions import db
from app.models.base import utcnow
from app.models.vocab import MINOR_GROUPS, groups_mask


class Beneficiary(db.Model):
    __tablename__ = "beneficiary"
    __table_args__ = (Index("ix_beneficiary_station_next_visit", "station_id", "next_visit_due"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    gender: Mapped[str] = mapped_column(String(8), default="")
    birth_year: Mapped[int | None] = mapped_column(Integer)
    phone: Mapped[str | None] = mapped_column(String(20))
    special_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The same groups as bits (vocab.GROUP_BITS), for coverage by group in SQL.
    groups_mask: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    guardian_name: Mapped[str] = mapped_column(String(64), default="")
    guardian_phone: Mapped[str | None] = mapped_column(String(20))
    guardian_relation: Mapped[str] = mapped_column(String(32), default="")
    village_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"), index=True)
    responsible_worker_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    address: Mapped[str] = mapped_column(String(200), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[str] = mapped_column(Text, default="")
    visit_interval_days: Mapped[int | None] = mapped_column(Integer)  # care plan
    last_visit_at: Mapped[datetime | None] = mapped_column(DateTime)
    next_visit_due: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    village = relationship("Region")
    station = relationship("Station")
    responsible_worker = relationship("User")
    visits: Mapped[list[Visit]] = relationship(
        back_populates="beneficiary", order_by="Visit.visited_at.desc()"
    )

    @validates("special_groups")
    def _keep_mask(self, _key, groups):
        self.groups_mask = groups_mask(groups)
        return groups

    @property
    def is_minor(self) -> bool:
        if set(self.special_groups or []) & MINOR_GROUPS:
            return True
        return bool(self.birth_year and utcnow().year - self.birth_year < 18)


class Visit(db.Model):
    """A home visit and its welfare check."""

    __tablename__ = "visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"), index=True)
    visited_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    living_conditions: Mapped[str] = mapped_column(String(32), default="")
    health: Mapped[str] = mapped_column(String(32), default="")
    needs_found: Mapped[str] = mapped_column(Text, default="")
    follow_up: Mapped[str] = mapped_column(Text, default="")
    spawned_request_id: Mapped[int | None] = mapped_column(ForeignKey("help_request.id"))
    minutes: Mapped[int | None] = mapped_column(Integer)  # time spent, when noted

    beneficiary: Mapped[Beneficiary] = relationship(back_populates="visits")
    worker = relationship("User")


class CallLog(db.Model):
    """A phone welfare call 电话慰问: who called whom, when, what came of it, how long."""

    __tablename__ = "call_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"), index=True)
    called_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(20))  # vocab.CALL_OUTCOMES
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")

    beneficiary: Mapped[Beneficiary] = relationship()
    worker = relationship("User")
