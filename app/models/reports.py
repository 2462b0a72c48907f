"""Exports a user asked for that run in the worker (a county's month can take a while)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class ExportJob(db.Model):
    """One export: asked for on a page, built by ``flask worker``, downloaded by its owner.

    The file is kept in the database (all state lives there, so any app server can hand
    it over) and deleted by the worker after ``EXPORT_KEEP_HOURS``."""

    __tablename__ = "export_job"
    __table_args__ = (Index("ix_export_job_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # report | records | hours
    file_format: Mapped[str] = mapped_column(String(8))  # xlsx | csv
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued|running|done|failed
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent
    filename: Mapped[str] = mapped_column(String(120), default="")
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    user = relationship("User")


class StatsSnapshot(db.Model):
    """A dashboard's figures for one scope and period, computed once and read by every
    view for ``STATS_MAX_AGE_SECONDS``; ``flask worker`` computes the ones viewed lately
    again before they are that old (``app.services.snapshots``). Holds counts only: the
    names of the people not reached are never stored, they are read at each view."""

    __tablename__ = "stats_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)  # scope and period, hashed
    scope_key: Mapped[str] = mapped_column(String(80), index=True)  # the scope alone, hashed
    station_ids: Mapped[list] = mapped_column(JSON, default=list)
    county: Mapped[bool] = mapped_column(default=False)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    data: Mapped[str] = mapped_column(Text, default="")  # JSON of the figures and trend
    version: Mapped[str] = mapped_column(String(32), default="")  # random, new at each count
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    computed_ms: Mapped[int] = mapped_column(Integer, default=0)
    viewed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
