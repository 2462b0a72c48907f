"""The outbox jobs: send what is due, and bring back rows whose worker died mid-send.

Each text goes through three short units of work, so no transaction is open while the
provider is called: claim a batch (one commit; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL
lets several workers run side by side), then for each row check and renew its lease
(commit), send it with no transaction open, and record the answer (commit). The steps
themselves live in ``app.services.notifications.dispatch`` and only flush.
"""

from __future__ import annotations

import logging

from flask import current_app

from app.extensions import db
from app.jobs import unit_of_work
from app.services.notifications import dispatch
from app.services.notifications.senders import Sender, SendError, get_sender

log = logging.getLogger("linli.sms")


def dispatch_pending(limit: int | None = None) -> int:
    """Send up to ``limit`` (SMS_BATCH_SIZE) due messages; return how many went out."""
    sender = get_sender()  # a configuration error stops here, before any row is claimed
    owner = dispatch.new_owner()
    with unit_of_work():
        ids = dispatch.claim_batch(
            limit or int(current_app.config.get("SMS_BATCH_SIZE", 20)), owner
        )
    sent = 0
    for message_id in ids:
        try:
            sent += send_one(message_id, owner, sender)
        except Exception:
            # Whatever went wrong, the lease brings the row back; keep the batch going.
            db.session.rollback()
            log.exception("SMS %s: unexpected error while sending", message_id)
    return sent


def send_one(message_id: int, owner: str, sender: Sender) -> bool:
    """Send one claimed row; True if the provider took it."""
    with unit_of_work():  # the lease renewed (and the attempt counted) before sending
        outgoing = dispatch.start_sending(message_id, owner)
    if outgoing is None:
        return False
    try:
        result = sender.send(outgoing.to_phone, outgoing.body, outgoing.id)  # no transaction
    except SendError as error:
        with unit_of_work():
            dispatch.record_failure(outgoing, owner, error)
        return False
    with unit_of_work():
        dispatch.record_sent(outgoing, owner, result)
    return True


def recover_expired_leases() -> int:
    """Rows left in "sending" past SMS_LEASE_SECONDS (a worker died) go back to pending."""
    with unit_of_work():
        recovered = dispatch.release_expired_leases()
    if recovered:
        log.warning("SMS: %s message(s) back to pending after an expired lease", recovered)
    return recovered
