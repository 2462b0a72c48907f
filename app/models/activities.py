"""Community activities 社区活动 (issue 18): what a station runs beside requests, the
volunteers who sign up for it and the ledger people it served.

The moves (scheduled → closed | cancelled; a sign-up's places and waiting list) are in
app/services/activities.py; what a closed activity counts, in app/services/counting.py.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class Activity(db.Model):
    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_station_starts", "station_id", "status", "starts_at"),
        # A code is unique among the scheduled activities only: a closed or cancelled
        # activity gives its code back, so the 90,000 codes never run out.
        Index(
            "uq_activity_code_scheduled",
            "code",
            unique=True,
            postgresql_where=text("status = 'scheduled'"),
            sqlite_where=text("status = 'scheduled'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What a volunteer texts to sign up ("报名 52817"): 5 digits, never a reply code's 4.
    code: Mapped[str] = mapped_column(String(8))
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"), index=True)
    # A team leader's activity belongs to the team too (the leader manages it).
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    posted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    title: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(24))  # vocab.ACTIVITY_KINDS
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(DateTime)  # UTC, naive like every column
    minutes: Mapped[int] = mapped_column(Integer)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    place: Mapped[str] = mapped_column(String(100), default="")  # a point: "村委会广场"
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    door_to_door: Mapped[bool] = mapped_column(default=False)
    volunteer_capacity: Mapped[int] = mapped_column(Integer)
    resident_capacity: Mapped[int | None] = mapped_column(Integer)
    taken: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    special_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    checkin_code: Mapped[str] = mapped_column(String(8))
    head_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # When it ended as counted (its ServiceRecords' ended_at): the month it is "held" in.
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    station = relationship("Station")
    village = relationship("Region")
    team = relationship("Team")
    posted_by = relationship("User")
    signups: Mapped[list[ActivitySignup]] = relationship(
        back_populates="activity", order_by="ActivitySignup.id"
    )
    residents: Mapped[list[ActivityResident]] = relationship(
        back_populates="activity", order_by="ActivityResident.id"
    )

    @property
    def duration_hours(self) -> Decimal:
        """The planned duration in hours, to the cent: what each volunteer checked in is
        counted unless the worker writes otherwise."""
        return (Decimal(self.minutes or 0) / 60).quantize(Decimal("0.01"))

    @property
    def places_left(self) -> int:
        return max(0, self.volunteer_capacity - (self.taken or 0))


class ActivitySignup(db.Model):
    """One volunteer's sign-up: ``signed_up`` (a place), ``waiting`` (the list, in id
    order), ``attended`` (checked in), ``withdrawn``."""

    __tablename__ = "activity_signup"
    __table_args__ = (
        UniqueConstraint("activity_id", "user_id", name="uq_activity_signup_person"),
        Index("ix_activity_signup_user", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8), default="web")  # web | sms
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Joined the waiting list again: its turn starts then, not at the first sign-up.
    queued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The hours the worker wrote at close when not the activity's duration.
    hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    # Wrong check-in codes tried: at CHECKIN_TRIES the sign-up's own check-in is locked
    # (the worker can still tick the roster).
    failed_checkins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The reminder reached this sign-up (one who signs up after the reminder gets their own).
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime)

    activity: Mapped[Activity] = relationship(back_populates="signups")
    user = relationship("User")


class ActivityResident(db.Model):
    """A person of the ledger served by the activity (counted by name at close)."""

    __tablename__ = "activity_resident"
    __table_args__ = (
        UniqueConstraint("activity_id", "beneficiary_id", name="uq_activity_resident"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"))
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id"))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    activity: Mapped[Activity] = relationship(back_populates="residents")
    beneficiary = relationship("Beneficiary")
