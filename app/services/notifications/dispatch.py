"""The outbox's steps: claim a batch of due rows, decide for each whether it may go out
now, record how the sends went. The loop that sends, and its commits, is the job
``app.jobs.sms``; these steps only flush.

A row moves pending -> sending (claimed under a lease by one worker) -> sent, or back to
pending with a later ``next_attempt_at`` (temporary failure, quiet hours, hourly cap), or
to failed / suppressed. Temporary failures are retried for SMS_RETRY_FOR_SECONDS (a day);
a worker may send a failed message again or give it up (``followup``).

Everything is done a batch at a time, so the database costs a few statements per batch
rather than per message: the claim is one ``UPDATE … RETURNING`` (on PostgreSQL its rows
are picked ``FOR UPDATE SKIP LOCKED``, so several workers run side by side; SQLite takes
writers one at a time), the facts the rules need (opt-outs, offers still open, urgencies,
each number's texts in the last hour) are one query each for the whole batch, and the
outcomes are written together (``record``).

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
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, or_, select, text, union_all, update

from app.extensions import db
from app.models import Offer, OutboxMessage, Team
from app.models.base import utcnow
from app.services.notifications import delivery, limits
from app.services.notifications.senders import SendError, SendResult

log = logging.getLogger("linli.sms")
OUTBOX = OutboxMessage.__table__


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


def commit_without_waiting_for_disk() -> None:
    """On PostgreSQL, this transaction's commit returns before its WAL reaches the disk
    (``SET LOCAL synchronous_commit TO off``: 4 ms less a commit here). Safe for the
    outbox's own units of work only: a database crash may lose the last such commits but
    never leaves them half done, and each lost commit only undoes progress (a claim: the
    rows are pending again; a record: they are "sending" until their lease runs out), so a
    text is at worst sent again, never lost: at least once, as before."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit TO off"))


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row this worker leased: what it needs to decide, send and record, read once."""

    id: int
    to_phone: str
    body: str
    template: str
    request_id: int | None
    user_id: int | None
    crisis: bool
    attempts: int  # before this one
    failing_since: datetime | None
    due: datetime  # next_attempt_at


_CLAIMED_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.to_phone,
    OutboxMessage.body,
    OutboxMessage.template,
    OutboxMessage.request_id,
    OutboxMessage.user_id,
    OutboxMessage.crisis,
    OutboxMessage.attempts,
    OutboxMessage.failing_since,
    OutboxMessage.next_attempt_at,
)


def claim_batch(limit: int, owner: str) -> list[Claimed]:
    """Mark up to ``limit`` due rows "sending" for ``owner`` in one statement: crisis
    messages first, then the others, each the longest due first. The caller commits at
    once, so the claim is its own short transaction."""
    now = utcnow()
    postgresql = db.engine.dialect.name == "postgresql"

    def due(crisis: bool):
        # One range of the index (status, crisis, next_attempt_at, id): read in order, so
        # a backlog of 100,000 costs no sort (a sort of all of it took 255 ms a claim).
        rows = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == "pending",
                OutboxMessage.crisis == crisis,
                OutboxMessage.next_attempt_at <= now,
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        # On PostgreSQL skip the rows another worker is claiming.
        return (rows.with_for_update(skip_locked=True) if postgresql else rows).subquery()

    first, then = due(True), due(False)
    picked = union_all(select(first.c.id), select(then.c.id)).limit(limit)
    if postgresql:
        # A MATERIALIZED CTE: as an IN (subquery), PostgreSQL may run the pick again for
        # each row it updates, each run skipping the rows just updated (a batch of 5 took
        # 30 rows).
        picked = picked.cte("picked").prefix_with("MATERIALIZED")
        chosen = (OutboxMessage.id == picked.c.id, OutboxMessage.status == "pending")
    else:
        # SQLite runs one writer at a time: the rows picked are pending. (Asked again,
        # "status = 'pending'" made SQLite look the rows up by status: a scan of the backlog.)
        chosen = (OutboxMessage.id.in_(picked),)
    rows = db.session.execute(
        update(OutboxMessage)
        .where(*chosen)
        .values(status="sending", leased_at=now, lease_owner=owner)
        .returning(*_CLAIMED_COLUMNS)
        .execution_options(synchronize_session=False)
    )
    claimed = [Claimed(*row) for row in rows]
    claimed.sort(key=lambda m: (not m.crisis, m.due, m.id))  # RETURNING keeps no order
    return claimed


def renew_leases(ids: list[int], owner: str) -> set[int]:
    """Restart the lease of those rows still ours; returns their ids (a row missing was
    recovered by another worker after our lease ran out: we must not send it)."""
    if not ids:
        return set()
    rows = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.status == "sending",
            OutboxMessage.lease_owner == owner,
        )
        .values(leased_at=utcnow())
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return set(rows.scalars())


def release(ids: list[int], owner: str) -> None:
    """Rows claimed but not tried go back to pending, due as they were, no attempt
    counted: the next claim takes them again (crisis messages first)."""
    if ids:
        db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.status == "sending",
                OutboxMessage.lease_owner == owner,
            )
            .values(status="pending")
            .execution_options(synchronize_session=False)
        )


# --- may it go out now? --------------------------------------------------------------------


@dataclass
class BatchFacts:
    """What the rules need to know about a batch, read in a few queries for all of it."""

    now: datetime
    opted_out: set[str]
    closed_offers: set[int]  # ids of volunteer-offer texts whose offer is no longer open
    quiet_until: datetime | None  # None in the daytime
    urgency: dict[int, str]  # request id -> urgency, for texts quiet hours may hold
    hourly_limit: int
    # phone -> [texts handed to the provider in the last hour, the oldest one's time];
    # the sends of this batch are added as they happen (``note_sent``).
    recent: dict[str, list] = field(default_factory=dict)

    def note_sent(self, phone: str, at: datetime) -> None:
        count, oldest = self.recent.get(phone, (0, None))
        self.recent[phone] = [count + 1, at if oldest is None else min(oldest, at)]


def read_facts(batch: list[Claimed]) -> BatchFacts:
    now = utcnow()
    phones = {m.to_phone for m in batch}
    opted_out = delivery.opted_out(phones)
    quiet_until = limits.quiet_hours_end(now)
    # Texts quiet hours hold unless their request is urgent: their requests' urgencies.
    may_wait = {
        m.request_id
        for m in batch
        if m.request_id is not None and limits.waits_for_quiet_hours(m.crisis, m.template, None)
    }
    hourly_limit = limits.hourly_limit()
    capped = {m.to_phone for m in batch if not m.crisis} if hourly_limit > 0 else set()
    return BatchFacts(
        now=now,
        opted_out=opted_out,
        closed_offers=closed_offers(batch, now),
        quiet_until=quiet_until,
        urgency=limits.urgencies(may_wait) if quiet_until is not None else {},
        hourly_limit=hourly_limit,
        recent={p: list(seen) for p, seen in limits.recent_sends(capped, now).items()},
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one claimed row ends this round: the columns to write (only if still ours)."""

    id: int
    values: dict


def held_back(message: Claimed, facts: BatchFacts) -> Outcome | None:
    """Opt-outs, offers no longer open, quiet hours and the hourly cap, before anything
    goes out, in that order. None when the message may go out now."""
    if message.to_phone in facts.opted_out:
        return _suppressed(message, "not sent: this number replied STOP")
    if message.id in facts.closed_offers:
        return _suppressed(
            message, "not sent: the offer is no longer open (taken, declined or expired)"
        )
    until, reason = None, ""
    urgency = facts.urgency.get(message.request_id) if message.request_id is not None else None
    if facts.quiet_until is not None and limits.waits_for_quiet_hours(
        message.crisis, message.template, urgency
    ):
        until, reason = facts.quiet_until, "quiet_hours"
    if until is None:
        count, oldest = facts.recent.get(message.to_phone, (0, None))
        until = limits.hourly_limit_until(message.crisis, count, oldest, facts.hourly_limit)
        reason = "hourly_limit"
    if until is None:
        return None
    return Outcome(
        message.id, {"status": "pending", "next_attempt_at": until, "hold_reason": reason}
    )


def _suppressed(message: Claimed, why: str) -> Outcome:
    return Outcome(message.id, {"status": "suppressed", "last_error": why, "hold_reason": ""})


def offer_still_open(now):
    """SQL clause on an outbox row: not an offer text, or its offer can still be taken (not
    taken, declined, withdrawn or expired). The dispatcher holds back the others; the
    console's undelivered-SMS flag ignores them (nobody needs to act on them)."""
    # The outer row's recipient, two levels up: auto-correlation reaches only one level,
    # and without it this read "teams led by anyone with a text" (the whole outbox).
    led_teams = (
        select(Team.id).where(Team.leader_id == OutboxMessage.user_id).correlate(OutboxMessage)
    )
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


def closed_offers(messages, now) -> set[int]:
    """The ids of those volunteer-offer texts (often held overnight) whose offer was taken,
    declined or expired; one query for all of them."""
    offer_texts = {
        m.id
        for m in messages
        if m.template == "volunteer_offer" and None not in (m.request_id, m.user_id)
    }
    if not offer_texts:
        return set()
    still_open = db.session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.id.in_(offer_texts), offer_still_open(now))
    )
    return offer_texts - set(still_open)


def offer_no_longer_open(message: OutboxMessage, now) -> bool:
    """A volunteer offer (often held overnight) whose offer was taken, declined or expired."""
    return bool(closed_offers([message], now))


# --- how it went ---------------------------------------------------------------------------


def sent(message: Claimed, result: SendResult, at: datetime) -> Outcome:
    """The provider took the text: keep its id."""
    return Outcome(
        message.id,
        {
            "status": result.status,
            "provider_id": result.provider_id,
            "sent_at": at,
            "attempts": message.attempts + 1,
            "hold_reason": "",
            "last_error": "",
            "error_code": "",
        },
    )


@dataclass(frozen=True, slots=True)
class Failure:
    """The provider refused the text or could not be reached (written with its side
    effects: an opt-out, a request flagged unreachable)."""

    message: Claimed
    error: SendError

    @property
    def id(self) -> int:
        return self.message.id


def record(outcomes: list[Outcome | Failure], owner: str) -> None:
    """Write a round's outcomes, each only if the row is still ours (not recovered by
    another worker after our lease ran out): one executemany per kind of outcome."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    for outcome in outcomes:
        if isinstance(outcome, Failure):
            _record_failure(outcome.message, owner, outcome.error)
            continue
        columns = tuple(sorted(outcome.values))
        params = {f"v_{name}": value for name, value in outcome.values.items()}
        groups.setdefault(columns, []).append({"v_id": outcome.id, **params})
    for columns, rows in groups.items():
        statement = (
            update(OUTBOX)
            .where(
                OUTBOX.c.id == bindparam("v_id"),
                OUTBOX.c.status == "sending",
                OUTBOX.c.lease_owner == owner,
            )
            .values({name: bindparam(f"v_{name}") for name in columns})
        )
        db.session.execute(statement, rows)


def _finish(message_id: int, owner: str, **values) -> bool:
    """Record one outcome, only if the row is still ours."""
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


def _record_failure(message: Claimed, owner: str, error: SendError) -> None:
    """A temporary failure waits for the next try, at the capped interval, until
    SMS_RETRY_FOR_SECONDS have passed since the first failure of the run: an outage of
    hours loses nothing. A permanent one (or a day of temporary ones) is final; a worker
    can still send it again from the console."""
    attempts = message.attempts + 1
    reason = str(error)[:500]
    now = utcnow()
    since = message.failing_since or now
    retry_for = timedelta(seconds=int(current_app.config.get("SMS_RETRY_FOR_SECONDS", 86400)))
    if not error.permanent and now - since < retry_for:
        if _finish(
            message.id,
            owner,
            status="pending",
            attempts=attempts,
            next_attempt_at=now + _backoff(attempts),
            failing_since=since,
            last_error=reason,
            error_code=error.code,
            hold_reason="",
        ):
            log.warning("SMS %s: attempt %s failed, will retry: %s", message.id, attempts, reason)
        return
    if not error.permanent:
        hours = (now - since).total_seconds() / 3600
        reason = f"gave up after {attempts} attempts over {hours:.0f} h: {reason}"[:500]
    if not _finish(
        message.id,
        owner,
        status="failed",
        attempts=attempts,
        failing_since=since,
        last_error=reason,
        error_code=error.code,
    ):
        return
    log.warning("SMS %s failed for good: %s", message.id, reason)
    if error.opted_out:
        delivery.opt_out(message.to_phone)
    if error.code in delivery.UNREACHABLE_CODES:
        delivery.mark_unreachable(message.request_id, message.to_phone, reason)


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
