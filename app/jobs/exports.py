"""The export jobs: build queued exports, and delete old ones (app/services/export_jobs.py).

Each export is claimed in one short unit of work (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL), then built step by step, one unit of work per step, so its progress is
committed and the page polling it sees the percentage move. A step that raises fails the
job (its error noted in a unit of its own); the others go on.
"""

from __future__ import annotations

import logging

from flask import current_app

from app.extensions import db
from app.jobs import unit_of_work
from app.services import ServiceError, export_jobs

log = logging.getLogger("linli.worker")


def build_queued_exports(limit: int | None = None) -> int:
    """Build up to ``limit`` (EXPORT_BATCH_JOBS, 2) queued exports; return how many ended."""
    with unit_of_work():
        ids = export_jobs.claim(limit or int(current_app.config.get("EXPORT_BATCH_JOBS", 2)))
    for job_id in ids:
        build_one(job_id)
    return len(ids)


def build_one(job_id: int) -> None:
    steps = export_jobs.build_steps(job_id)
    try:
        while True:
            with unit_of_work():
                if next(steps, None) is None:
                    return
    except ServiceError as error:
        _fail(job_id, error.message)
    except Exception:
        log.exception("export %s failed", job_id)
        _fail(job_id, "")


def _fail(job_id: int, message: str) -> None:
    db.session.rollback()
    with unit_of_work():
        export_jobs.fail(job_id, message)


def purge_old_exports() -> int:
    """Delete exports older than EXPORT_KEEP_HOURS (24) and fail abandoned ones."""
    with unit_of_work():
        return export_jobs.purge()
