"""A help request, its timeline, offers, claims and service records."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
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
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.extensions import db
from app.models.base import utcnow
from app.models.vocab import MINOR_GROUPS, groups_mask

# Most urgent first: the queue's sort key, written out as in its indexes (the planner uses
# an expression index only for the very same expression, with no bound parameters). Laid
# out as PostgreSQL prints it back, so `flask db check` finds the index unchanged.
URGENCY_RANK_SQL = (
    "(\nCASE urgency\n    WHEN 'crisis' THEN 0\n    WHEN 'urgent' THEN 1\n    ELSE 2\nEND)"
)


def urgency_rank(urgency: str) -> int:
    """What ``URGENCY_RANK_SQL`` gives for ``urgency``."""
    return {"crisis": 0, "urgent": 1}.get(urgency, 2)


def urgency_rank_column():
    """``URGENCY_RANK_SQL`` as a column of ``help_request``: the queue's order, and each
    urgency's range of its index (app/services/console.py, deadlines.py)."""
    from sqlalchemy import literal_column

    return literal_column(URGENCY_RANK_SQL.replace("urgency", "help_request.urgency"), Integer)


class HelpRequest(db.Model):
    __tablename__ = "help_request"
    __table_args__ = (
        Index("ix_help_request_station_status", "station_id", "status", "created_at"),
        Index("ix_help_request_phone_category", "contact_phone", "category", "created_at"),
        Index("ix_help_request_status_lat_lon", "status", "lat", "lon"),
        Index("ix_help_request_created", "created_at"),
        # The triage queue's order within a station and status (console.queue): a page is
        # read off the index, however long the station's history.
        Index(
            "ix_help_request_queue",
            "station_id",
            "status",
            text(URGENCY_RANK_SQL),
            "created_at",
            "id",
        ),
        # Nearby tasks (volunteers.nearby_tasks): the offered requests alone, by place, with
        # what the search filters and returns, so a ring is read off the index.
        Index(
            "ix_help_request_offered_near",
            "lat",
            "lon",
            "category",
            "id",
            postgresql_where=text("status = 'offered'"),
            sqlite_where=text("status = 'offered'"),
        ),
        # The escalated tab: the few escalated requests, in the queue's order.
        Index(
            "ix_help_request_escalated",
            "station_id",
            text(URGENCY_RANK_SQL),
            "created_at",
            "id",
            postgresql_where=text("escalated IS true"),
            sqlite_where=text("escalated = 1"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)  # tracking code
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    special_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    for_whom: Mapped[str] = mapped_column(String(16), default="self")
    urgency: Mapped[str] = mapped_column(String(8), default="normal")
    lat: Mapped[float | None] = mapped_column(Float)  # WGS-84
    lon: Mapped[float | None] = mapped_column(Float)
    location_source: Mapped[str] = mapped_column(String(16), default="")  # gps|geocoder|village
    address: Mapped[str] = mapped_column(String(200), default="")
    village_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    wanted_at: Mapped[datetime | None] = mapped_column(DateTime)
    wanted_note: Mapped[str] = mapped_column(String(64), default="")
    contact_name: Mapped[str] = mapped_column(String(64), default="")
    contact_phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    language: Mapped[str] = mapped_column(String(8), default="zh")
    channel: Mapped[str] = mapped_column(String(16), default="web")
    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # proxy/hotline staff
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_by: Mapped[str] = mapped_column(String(64), default="")
    consent_method: Mapped[str] = mapped_column(String(32), default="")
    beneficiary_id: Mapped[int | None] = mapped_column(ForeignKey("beneficiary.id"), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    status: Mapped[str] = mapped_column(String(16), default="new")
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    offer_round: Mapped[int] = mapped_column(Integer, default=0)
    assigned_volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    assigned_team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    assigned_worker_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("help_request.id"))
    # Same phone and category as an open request of the last day: the station may merge.
    possible_duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("help_request.id"))
    outcome: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    sms_unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    overdue_alerted_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    station = relationship("Station")
    village = relationship("Region")
    beneficiary = relationship("Beneficiary")
    assigned_volunteer = relationship("User", foreign_keys=[assigned_volunteer_id])
    assigned_team = relationship("Team")
    assigned_worker = relationship("User", foreign_keys=[assigned_worker_id])
    submitter = relationship("User", foreign_keys=[submitter_id])
    events: Mapped[list[RequestEvent]] = relationship(
        back_populates="request", order_by="RequestEvent.id", cascade="all, delete-orphan"
    )

    @property
    def involves_minor(self) -> bool:
        if set(self.special_groups or []) & MINOR_GROUPS:
            return True
        return bool(self.beneficiary is not None and self.beneficiary.is_minor)

    def __repr__(self) -> str:
        return f"<HelpRequest {self.code} {self.status}>"


class RequestEvent(db.Model):
    """One line of a request's timeline: who, when, from, to, note."""

    __tablename__ = "request_event"
    # The month's ratings and reopenings (stats._satisfaction) without a timeline scan.
    __table_args__ = (Index("ix_request_event_action_at", "action", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("help_request.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    actor_label: Mapped[str] = mapped_column(String(32), default="")  # resident|system|sms|...
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=True)  # shown to the resident

    request: Mapped[HelpRequest] = relationship(back_populates="events")
    actor = relationship("User")


class Offer(db.Model):
    """A task offered to one volunteer or team, answerable by link or SMS reply code."""

    __tablename__ = "offer"
    __table_args__ = (
        UniqueConstraint("request_id", "volunteer_id", "team_id", name="uq_offer_request_target"),
        Index("ix_offer_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("help_request.id", ondelete="CASCADE"), index=True
    )
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    round: Mapped[int] = mapped_column(Integer, default=1)
    rank: Mapped[int] = mapped_column(Integer, default=1)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    distance_km: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    reply_code: Mapped[str] = mapped_column(String(8), index=True)
    status: Mapped[str] = mapped_column(
        String(12), default="pending"
    )  # pending|accepted|declined|expired|closed|withdrawn
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime)

    request: Mapped[HelpRequest] = relationship()
    volunteer = relationship("User")
    team = relationship("Team")


class Claim(db.Model):
    """Who took the work on: a volunteer, or a team (and the member it dispatched)."""

    __tablename__ = "claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("help_request.id", ondelete="CASCADE"), index=True
    )
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    dispatched_to_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    via: Mapped[str] = mapped_column(String(12), default="web")  # web|sms|assign
    status: Mapped[str] = mapped_column(String(12), default="active")  # active|released|done|closed
    claimed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(DateTime)
    release_reason: Mapped[str] = mapped_column(Text, default="")
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime)
    checkin_lat: Mapped[float | None] = mapped_column(Float)
    checkin_lon: Mapped[float | None] = mapped_column(Float)
    checked_out_at: Mapped[datetime | None] = mapped_column(DateTime)

    request: Mapped[HelpRequest] = relationship()
    volunteer = relationship("User", foreign_keys=[volunteer_id])
    team = relationship("Team")
    dispatched_to = relationship("User", foreign_keys=[dispatched_to_id])


class ServiceRecord(db.Model):
    """One service given: the unit of person-times 服务人次 and service hours.

    Every kind of service writes exactly one, through ``app.services.counting`` (the
    counting rule is in the README): a volunteer's or team's check-out (source ``claim``),
    a station social worker's check-out (``worker``), a home visit (``visit``), a phone
    welfare call that reached someone (``call``), a request the station closed with work
    done but no check-out (``station_close``), and a community activity's close
    (``activity``: its volunteers' hours and the people it served)."""

    __tablename__ = "service_record"
    __table_args__ = (
        Index("ix_service_record_station_ended", "station_id", "ended_at"),
        Index("ix_service_record_ended", "ended_at"),
        Index("ix_service_record_beneficiary_ended", "beneficiary_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16), default="claim", server_default="claim")
    request_id: Mapped[int | None] = mapped_column(ForeignKey("help_request.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"), unique=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call_log.id"), unique=True)
    # A community activity's close (issue 18): its volunteers' hours and the people served.
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id"), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    # The station's own social worker who gave the service (worker, visit, call, close).
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    beneficiary_id: Mapped[int | None] = mapped_column(ForeignKey("beneficiary.id"))
    category: Mapped[str] = mapped_column(String(32))
    special_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The same groups as bits (vocab.GROUP_BITS), so SQL can count by group on both databases.
    groups_mask: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("0"))
    person_times: Mapped[int] = mapped_column(Integer, default=1)
    outcome: Mapped[str] = mapped_column(Text, default="")
    welfare_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @validates("special_groups")
    def _keep_mask(self, _key, groups):
        self.groups_mask = groups_mask(groups)
        return groups

    request = relationship("HelpRequest")
    volunteer = relationship("User", foreign_keys=[volunteer_id])
    worker = relationship("User", foreign_keys=[worker_id])
    team = relationship("Team")
    station = relationship("Station")


class FormToken(db.Model):
    """One-time tokens that turn a double tap into one request."""

    __tablename__ = "form_token"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("help_request.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
