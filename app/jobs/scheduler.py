"""The jobs ``flask worker`` runs: the outbox first, then the scheduled checks.

Each job is a function taking no argument and returning a count of what it did. It
commits its own work, once per unit of work (``app.jobs.units``). Add a job by adding a
line to ``_jobs``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from app.extensions import db

log = logging.getLogger("linli.worker")


class Progress(int):
    """A job's count that also says whether it left work it could do now (``more``): the
    worker then starts its next round at once instead of sleeping WORKER_POLL_SECONDS."""

    more: bool

    def __new__(cls, count: int, *, more: bool) -> Progress:
        progress = super().__new__(cls, count)
        progress.more = more
        return progress


@dataclass
class Job:
    name: str
    run: Callable[[], int]
    every_seconds: float
    last_run: float = field(default=0.0)


def _jobs() -> list[Job]:
    # Imported here, when the worker starts, to keep the web app's start-up light.
    from app.jobs import (
        accounts,
        activities,
        deadlines,
        exports,
        offers,
        reminders,
        sms,
        snapshots,
        wishes,
    )

    return [
        Job("send outbox", sms.dispatch_pending, every_seconds=0),
        Job("expire offers", offers.expire_offers, every_seconds=30),
        Job("auto-offer new requests", offers.auto_offer_new_requests, every_seconds=30),
        Job("alert overdue requests", deadlines.alert_overdue, every_seconds=60),
        Job("alert overdue visits", deadlines.alert_overdue_visits, every_seconds=3600),
        Job("recover SMS leases", sms.recover_expired_leases, _lease_check()),
        Job("remind volunteers", reminders.remind_volunteers, every_seconds=300),
        Job("remind activities", activities.remind_activities, every_seconds=600),
        Job("lapse activities", activities.lapse_activities, every_seconds=3600),
        Job("auto-close done", reminders.auto_close_done_requests, every_seconds=3600),
        Job("forget old sign-in failures", accounts.forget_old_records, every_seconds=3600),
        Job("build exports", exports.build_queued_exports, every_seconds=0),
        Job("delete old exports", exports.purge_old_exports, every_seconds=3600),
        Job("count dashboards again", snapshots.refresh_viewed_snapshots, every_seconds=15),
        Job("delete unviewed dashboards", snapshots.purge_unviewed_snapshots, every_seconds=3600),
        Job("release lapsed wish claims", wishes.release_overdue_claims, every_seconds=3600),
    ]


def _lease_check() -> float:
    """Look for expired SMS leases a few times per lease."""
    from flask import current_app

    return max(1.0, min(60.0, current_app.config.get("SMS_LEASE_SECONDS", 300) / 4))


def run_due_jobs(jobs: list[Job], now: float | None = None) -> dict[str, int]:
    """Run every job whose interval has passed; a failing job is logged, not fatal."""
    now = time.monotonic() if now is None else now
    done: dict[str, int] = {}
    for job in jobs:
        if job.last_run and now - job.last_run < job.every_seconds:
            continue
        job.last_run = now
        try:
            done[job.name] = job.run()
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", job.name)
    return done


def run_forever(poll_seconds: float, once: bool = False, jobs: list[Job] | None = None) -> None:
    """Run the due jobs, then sleep ``poll_seconds``; no sleep after a round in which a job
    left work it could do now (a full SMS batch is followed at once by the next)."""
    jobs = _jobs() if jobs is None else jobs
    while True:
        done = run_due_jobs(jobs)
        busy = {name: int(count) for name, count in done.items() if count}
        if busy:
            log.info("worker: %s", busy)
        db.session.remove()
        if once:
            return
        if not any(getattr(count, "more", False) for count in done.values()):
            time.sleep(poll_seconds)
