"""The outbox's steps: claim due rows, check and renew each before it goes out, record how
the send went. The loop that sends, and its commits, is the job ``app.jobs.sms``; these
steps only flush.

A row moves pending -> sending (claimed under a lease by one worker) -> sent, or back to
pending with a later ``next_attempt_at`` (temporary failure, quiet hours, hourly cap), or
to failed / suppressed. Temporary failures are retried for SMS_RETRY_FOR_SECONDS (a day);
a worker may send a failed message again or give it up (``followup``). On PostgreSQL the claim is ``SELECT … FOR UPDATE SKIP LOCKED`` so
several workers run side by side; on SQLite one conditional UPDATE does the same job.

A worker that dies between sending and recording leaves its rows in "sending"; once the
lease has run out ``release_expired_leases`` puts them back to pending, so nothing is
lost (README: the rare duplicate this allows).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from app.extensions import db
from app.models import Offer, OutboxMessage, Team
from app.models.base import utcnow
from app.services.notifications import delivery, limits
from app.services.notifications.senders import SendError, SendResult

log = logging.getLogger("linli.sms")


def _backoff(attempts: int) -> timedelta:
    """30 s, 60 s, 120 s … (SMS_RETRY_BASE_SECONDS doubling), at most SMS_RETRY_MAX_SECONDS
    (an hour), +0–10 %."""
    base = float(current_app.config.get("SMS_RETRY_BASE_SECONDS", 30))
    cap = float(current_app.config.get("SMS_RETRY_MAX_SECONDS", 3600))
    seconds = min(base * 2 ** min(max(attempts - 1, 0), 32), cap)
    return timedelta(seconds=seconds * (1 + random.random() / 10))


def new_owner() -> str:
    """A name for this worker's leases, unique across hosts and processes."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _due(now):
    return (OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)


def claim_batch(limit: int, owner: str) -> list[int]:
    """Mark up to ``limit`` due rows "sending" for ``owner``. The caller commits at once, so
    the claim is its own short transaction (on PostgreSQL, the rows stay locked until then)."""
    now = utcnow()
    order = (OutboxMessage.crisis.desc(), OutboxMessage.id)
    claim = {"status": "sending", "leased_at": now, "lease_owner": owner}
    if db.engine.dialect.name == "postgresql":
        ids = list(
            db.session.scalars(
                select(OutboxMessage.id)
                .where(*_due(now))
                .order_by(*order)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if ids:
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(**claim)
                .execution_options(synchronize_session=False)
            )
        return ids
    # SQLite: writers take turns, so one conditional UPDATE claims atomically.
    due = select(OutboxMessage.id).where(*_due(now)).order_by(*order).limit(limit)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due), OutboxMessage.status == "pending")
        .values(**claim)
        .execution_options(synchronize_session=False)
    )
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.lease_owner == owner, OutboxMessage.status == "sending")
            .order_by(*order)
        )
    )


def _finish(message_id: int, owner: str, **values) -> bool:
    """Record the outcome, only if the row is still ours (not recovered by another worker)."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == "sending",
            OutboxMessage.lease_owner == owner,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _renew(message_id: int, owner: str) -> bool:
    """Just before sending: count the attempt and restart the lease; False if not ours."""
    return _finish(message_id, owner, leased_at=utcnow(), attempts=OutboxMessage.attempts + 1)


def _hold(message: OutboxMessage, owner: str) -> bool:
    """Opt-outs, quiet hours and the hourly cap, before anything goes out. True if held."""
    now = utcnow()
    if delivery.is_opted_out(message.to_phone):
        _finish(
            message.id,
            owner,
            status="suppressed",
            last_error="not sent: this number replied STOP",
            hold_reason="",
        )
        return True
    if offer_no_longer_open(message, now):
        _finish(
            message.id,
            owner,
            status="suppressed",
            last_error="not sent: the offer is no longer open (taken, declined or expired)",
            hold_reason="",
        )
        return True
    until, reason = None, ""
    if limits.waits_for_quiet_hours(message):
        until, reason = limits.quiet_hours_end(now), "quiet_hours"
    if until is None:
        until, reason = limits.hourly_limit_until(message, now), "hourly_limit"
    if until is None:
        return False
    _finish(message.id, owner, status="pending", next_attempt_at=until, hold_reason=reason)
    return True


def offer_still_open(now):
    """SQL clause on an outbox row: not an offer text, or its offer can still be taken (not
    taken, declined, withdrawn or expired). The dispatcher holds back the others; the
    console's undelivered-SMS flag ignores them (nobody needs to act on them)."""
    led_teams = select(Team.id).where(Team.leader_id == OutboxMessage.user_id)
    open_offer = (
        select(Offer.id)
        .where(
            Offer.request_id == OutboxMessage.request_id,
            Offer.status == "pending",
            Offer.expires_at > now,
            or_(Offer.volunteer_id == OutboxMessage.user_id, Offer.team_id.in_(led_teams)),
        )
        .exists()
    )
    return or_(OutboxMessage.template != "volunteer_offer", open_offer)


def offer_no_longer_open(message: OutboxMessage, now) -> bool:
    """A volunteer offer (often held overnight) whose offer was taken, declined or expired."""
    if message.template != "volunteer_offer" or None in (message.request_id, message.user_id):
        return False
    still_open = db.session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.id == message.id, offer_still_open(now))
    )
    return still_open is None


@dataclass(frozen=True)
class Outgoing:
    """What the job needs to send one text with no transaction open, and to record it."""

    id: int
    to_phone: str
    body: str
    attempts: int  # counting this one
    failing_since: datetime | None


def start_sending(message_id: int, owner: str) -> Outgoing | None:
    """The step before the provider is called: hold the row back (opt-out, an offer no
    longer open, quiet hours, the hourly cap) or count the attempt and renew the lease.
    Returns what to send, or None when nothing goes out now (held, or no longer ours)."""
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None or message.status != "sending" or message.lease_owner != owner:
        return None
    if _hold(message, owner):
        return None
    outgoing = Outgoing(
        id=message_id,
        to_phone=message.to_phone,
        body=message.body,
        attempts=message.attempts + 1,
        failing_since=message.failing_since,
    )
    if not _renew(message_id, owner):
        return None
    return outgoing


def record_sent(outgoing: Outgoing, owner: str, result: SendResult) -> bool:
    """The provider took the text: keep its id (if the row is still ours)."""
    return _finish(
        outgoing.id,
        owner,
        status=result.status,
        provider_id=result.provider_id,
        sent_at=utcnow(),
        hold_reason="",
        last_error="",
        error_code="",
    )


def record_failure(outgoing: Outgoing, owner: str, error: SendError) -> None:
    """The provider refused or could not be reached: retry later, or fail for good."""
    message = db.session.get(OutboxMessage, outgoing.id)
    if message is not None:
        _record_failure(message, owner, error, outgoing.attempts, outgoing.failing_since)


def _record_failure(
    message: OutboxMessage, owner: str, error: SendError, attempts: int, failing_since
) -> None:
    """A temporary failure waits for the next try, at the capped interval, until
    SMS_RETRY_FOR_SECONDS have passed since the first failure of the run: an outage of
    hours loses nothing. A permanent one (or a day of temporary ones) is final; a worker
    can still send it again from the console."""
    reason = str(error)[:500]
    now = utcnow()
    since = failing_since or now
    retry_for = timedelta(seconds=int(current_app.config.get("SMS_RETRY_FOR_SECONDS", 86400)))
    if not error.permanent and now - since < retry_for:
        _finish(
            message.id,
            owner,
            status="pending",
            next_attempt_at=now + _backoff(attempts),
            failing_since=since,
            last_error=reason,
            error_code=error.code,
            hold_reason="",
        )
        log.warning("SMS %s: attempt %s failed, will retry: %s", message.id, attempts, reason)
        return
    if not error.permanent:
        hours = (now - since).total_seconds() / 3600
        reason = f"gave up after {attempts} attempts over {hours:.0f} h: {reason}"[:500]
    if not _finish(
        message.id,
        owner,
        status="failed",
        failing_since=since,
        last_error=reason,
        error_code=error.code,
    ):
        return
    log.warning("SMS %s failed for good: %s", message.id, reason)
    if error.opted_out:
        delivery.opt_out(message.to_phone)
    if error.code in delivery.UNREACHABLE_CODES:
        delivery.mark_unreachable(message, reason)


def release_expired_leases() -> int:
    """Rows left in "sending" past SMS_LEASE_SECONDS (a worker died) go back to pending."""
    now = utcnow()
    cutoff = now - timedelta(seconds=float(current_app.config.get("SMS_LEASE_SECONDS", 300)))
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == "sending",
            or_(OutboxMessage.leased_at.is_(None), OutboxMessage.leased_at < cutoff),
        )
        .values(
            status="pending",
            next_attempt_at=now,
            last_error="the worker stopped while sending; trying again",
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
