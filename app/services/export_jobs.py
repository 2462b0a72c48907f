"""Exports built by ``flask worker`` (app/jobs/exports.py): queued from a page, claimed by
one worker, built in steps whose progress the page polls, downloaded by their owner only,
deleted after EXPORT_KEEP_HOURS. These functions flush; the job commits between steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.models.reports import ExportJob
from app.services import ServiceError
from app.services.exports import Builder, Export

OPEN = ("queued", "running")
# Exports one user may have waiting at once (a page reloaded in a loop queues no more).
MAX_OPEN_PER_USER = 3
# A job still "running" this long after it began lost its worker (a restart): failed.
STALE_AFTER = timedelta(hours=1)


def queue(user: User, export: Export) -> ExportJob:
    """Queue ``export`` for ``user``; the same export already queued or running is reused
    (a double tap makes one job). ServiceError when the user already has
    MAX_OPEN_PER_USER others waiting."""
    params = export.params()
    waiting = db.session.scalars(
        select(ExportJob).where(ExportJob.user_id == user.id, ExportJob.status.in_(OPEN))
    ).all()
    for job in waiting:
        if job.params == params:
            return job
    if len(waiting) >= MAX_OPEN_PER_USER:
        raise ServiceError(
            _(
                "%(n)s of your exports are still being prepared: wait for one to finish.",
                n=len(waiting),
            )
        )
    job = ExportJob(
        user_id=user.id,
        kind=export.kind,
        file_format=export.file_format,
        params=params,
        status="queued",
        progress=0,
        filename=export.filename,
    )
    db.session.add(job)
    db.session.flush()
    return job


def owned(user: User, job_id: int) -> ExportJob | None:
    """The job if ``user`` asked for it; None for anyone else (the page answers 404)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    job = db.session.get(ExportJob, job_id)
    return job if job is not None and job.user_id == user.id else None


def claim(limit: int) -> list[int]:
    """Mark up to ``limit`` queued jobs running, oldest first; the caller commits at once.
    PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so several workers never take the same job;
    SQLite: a conditional UPDATE per job, kept only when it changed the row (first wins)."""
    due = (
        select(ExportJob.id)
        .where(ExportJob.status == "queued")
        .order_by(ExportJob.created_at, ExportJob.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = []
    for job_id in list(db.session.scalars(due)):
        changed = db.session.execute(
            update(ExportJob)
            .where(ExportJob.id == job_id, ExportJob.status == "queued")
            .values(status="running", started_at=utcnow(), progress=0)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed == 1:
            claimed.append(job_id)
    return claimed


def build_steps(job_id: int) -> Iterator[int]:
    """Build a claimed job: yields after each piece with its progress noted (flushed); at
    the end the file is stored and the job done. The caller commits after each step."""
    job = db.session.get(ExportJob, job_id, populate_existing=True)  # as claimed
    user = db.session.get(User, job.user_id)
    builder = Builder(user, Export.of_params(job.params), job_id=job.id)
    for progress in builder.steps():
        job = db.session.get(ExportJob, job_id)
        if progress >= 100:
            job.content = builder.file.content
            job.filename = builder.file.filename
            job.status, job.finished_at = "done", utcnow()
        job.progress = progress
        db.session.flush()
        yield progress


def fail(job_id: int, message: str) -> None:
    job = db.session.get(ExportJob, job_id)
    if job is None:
        return
    job.status, job.finished_at, job.content = "failed", utcnow(), None
    job.error = message[:500]
    db.session.flush()


def purge() -> int:
    """Delete jobs (and their files) older than EXPORT_KEEP_HOURS, and fail those whose
    worker stopped while building them. Returns how many rows changed."""
    now = utcnow()
    keep = timedelta(hours=float(current_app.config.get("EXPORT_KEEP_HOURS", 24)))
    stale = db.session.execute(
        update(ExportJob)
        .where(ExportJob.status == "running", ExportJob.started_at < now - STALE_AFTER)
        .values(status="failed", finished_at=now, error=_("The worker stopped; ask again."))
        .execution_options(synchronize_session=False)
    ).rowcount
    deleted = db.session.execute(
        delete(ExportJob)
        .where(ExportJob.created_at < now - keep)
        .execution_options(synchronize_session=False)
    ).rowcount
    return int(stale or 0) + int(deleted or 0)


def content_type(job: ExportJob) -> str:
    from app.services.spreadsheets import CSV_TYPE, XLSX_TYPE

    return XLSX_TYPE if job.file_format == "xlsx" else CSV_TYPE
