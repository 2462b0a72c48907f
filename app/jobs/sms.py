"""The outbox jobs: send what is due, and bring back rows whose worker died mid-send.

A round is a batch (SMS_BATCH_SIZE rows) and a few short units of work, so no transaction
is open while the provider is called:

1. claim the batch and read what the rules need for all of it (one commit);
2. send the rows one after another, crisis messages first, with no transaction open;
3. record the outcomes together, every ``RECORD_EVERY_SECONDS`` and at the end (one
   commit each, which need not wait for the disk: ``dispatch.commit_without_waiting_for_disk``).
   A crash before a record leaves those rows "sending": once their lease runs out they
   are sent again (at least once, never lost). A batch that outlives a quarter of the
   lease renews the lease of the rows it has not sent yet, and drops any row another
   worker took back meanwhile.

A batch gives back the rows it has not tried, and the next round starts at once, when the
provider stops answering (a timeout: each further call could take TWILIO_TIMEOUT) or when
it has run for ``YIELD_AFTER_SECONDS``: the next claim puts any crisis message that came
meanwhile first, so a hung or slow provider never holds one behind a queue of normal ones.

The steps themselves live in ``app.services.notifications.dispatch`` and only flush.
"""

from __future__ import annotations

import logging
import time
from collections import deque

from flask import current_app

from app.jobs import unit_of_work
from app.jobs.scheduler import Progress
from app.services.notifications import dispatch
from app.services.notifications.senders import Sender, SendError, get_sender

log = logging.getLogger("linli.sms")

RECORD_EVERY_SECONDS = 0.05  # a crash resends at most what went out in this long (+1)
YIELD_AFTER_SECONDS = 1.0  # a batch running longer gives its untried rows back


def dispatch_pending(limit: int | None = None) -> Progress:
    """Send up to ``limit`` (SMS_BATCH_SIZE) due messages; return how many went out, and
    (``.more``) whether rows were left for the next round to take at once."""
    sender = get_sender()  # a configuration error stops here, before any row is claimed
    owner = dispatch.new_owner()
    limit = limit or int(current_app.config.get("SMS_BATCH_SIZE", 50))
    with unit_of_work():
        dispatch.commit_without_waiting_for_disk()
        batch = dispatch.claim_batch(limit, owner)
        facts = dispatch.read_facts(batch) if batch else None
    if not batch:
        return Progress(0, more=False)
    return _send_batch(batch, facts, owner, sender, full=len(batch) >= limit)


def _send_batch(
    batch: list[dispatch.Claimed],
    facts: dispatch.BatchFacts,
    owner: str,
    sender: Sender,
    *,
    full: bool,
) -> Progress:
    renew_every = float(current_app.config.get("SMS_LEASE_SECONDS", 300)) / 4
    started = last_record = last_renewal = time.monotonic()
    waiting = deque(batch)
    outcomes: list[dispatch.Outcome | dispatch.Failure] = []
    sent = 0
    more = full
    while waiting:
        now = time.monotonic()
        renew = now - last_renewal >= renew_every
        if renew or (outcomes and now - last_record >= RECORD_EVERY_SECONDS):
            with unit_of_work():
                dispatch.commit_without_waiting_for_disk()
                dispatch.record(outcomes, owner)
                ours = dispatch.renew_leases([m.id for m in waiting], owner) if renew else None
            outcomes, last_record = [], now
            if ours is not None:  # a row another worker took back is not sent by us
                waiting, last_renewal = deque(m for m in waiting if m.id in ours), now
                if not waiting:
                    break
        message = waiting.popleft()
        outcome = dispatch.held_back(message, facts)
        if outcome is None:
            outcome = _send(message, sender, facts)
            if outcome is None:
                continue  # logged; the lease brings the row back
            sent += isinstance(outcome, dispatch.Outcome)
        outcomes.append(outcome)
        if isinstance(outcome, dispatch.Failure) and outcome.error.timed_out:
            more = True  # the provider hangs: give the rest back, claim crisis first
            break
        if waiting and time.monotonic() - started >= YIELD_AFTER_SECONDS:
            more = True  # a slow provider: crisis messages that came meanwhile go first
            break
    with unit_of_work():
        dispatch.commit_without_waiting_for_disk()
        dispatch.record(outcomes, owner)
        dispatch.release([m.id for m in waiting], owner)
    return Progress(sent, more=more)


def _send(message: dispatch.Claimed, sender: Sender, facts: dispatch.BatchFacts):
    """Call the provider (no transaction open): the outcome to record, or None when
    something unexpected went wrong (logged)."""
    try:
        result = sender.send(message.to_phone, message.body, message.id)
    except SendError as error:
        if error.opted_out:
            facts.opted_out.add(message.to_phone)  # the batch's later texts to it wait
        return dispatch.Failure(message, error)
    except Exception:
        log.exception("SMS %s: unexpected error while sending", message.id)
        return None
    at = dispatch.utcnow()
    facts.note_sent(message.to_phone, at)
    return dispatch.sent(message, result, at)


def recover_expired_leases() -> int:
    """Rows left in "sending" past SMS_LEASE_SECONDS (a worker died) go back to pending."""
    with unit_of_work():
        recovered = dispatch.release_expired_leases()
    if recovered:
        log.warning("SMS: %s message(s) back to pending after an expired lease", recovered)
    return recovered
