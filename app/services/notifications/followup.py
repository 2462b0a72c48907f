"""Texts about a request that have not got through, for the station console: the queue's
flag, the request page's list, and the worker's two answers, send again or give up.

A text is *undelivered* when it went to the resident or a volunteer (not an alert to
staff), is older than ``FLAG_AFTER``, nobody gave up on it, and it either failed (for good,
or by the provider's delivery report) or is still waiting to be retried. Texts held on
purpose (quiet hours, the hourly cap) and texts not sent to a number that opted out are not.
Services flush, the route commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, or_, select, update

from app.extensions import db
from app.models import HelpRequest, OutboxMessage, RequestEvent, User, UserRole
from app.models.base import utcnow
from app.models.vocab import STAFF_ROLES
from app.services import ServiceError
from app.services.notifications import delivery, history
from app.services.notifications.dispatch import offer_no_longer_open, offer_still_open

FLAG_AFTER = timedelta(hours=1)
FAILED = ("failed", "undelivered")
WAITING = ("pending", "sending")


def _to_resident_or_volunteer():
    staff = select(UserRole.user_id).where(UserRole.role.in_(STAFF_ROLES))
    return or_(OutboxMessage.user_id.is_(None), OutboxMessage.user_id.not_in(staff))


def _failed_or_retrying():
    return or_(
        OutboxMessage.status.in_(FAILED),
        and_(OutboxMessage.status.in_(WAITING), OutboxMessage.hold_reason == ""),
    )


def _undelivered(now: datetime):
    return _undelivered_condition(now - FLAG_AFTER, now)


def _undelivered_unbound():
    """``_undelivered`` with its moments as parameters (``moment_params``), for statements
    built once and asked on every view (the queue's)."""
    return _undelivered_condition(bindparam("sms_flag_before"), bindparam("sms_now"))


def _undelivered_condition(flag_before, now):
    """The one condition, its moments as values or as bound parameters."""
    return and_(
        OutboxMessage.given_up_at.is_(None),
        OutboxMessage.created_at <= flag_before,
        _failed_or_retrying(),
        _to_resident_or_volunteer(),
        offer_still_open(now),
    )


def moment_params(now: datetime | None = None) -> dict[str, datetime]:
    """The parameters of ``undelivered_flag`` and the statements built on it."""
    now = now or utcnow()
    return {"sms_now": now, "sms_flag_before": now - FLAG_AFTER}


def undelivered_flag(request_id):
    """SQL, true when the request ``request_id`` (a column) has a resident's or volunteer's
    text undelivered; its moments as parameters (``moment_params``). The queue reads it
    as a column of its page: no statement of its own."""
    return (
        select(OutboxMessage.id)
        .where(OutboxMessage.request_id == request_id, _undelivered_unbound())
        .exists()
    )


@dataclass
class SmsLine:
    """One text on the request page."""

    message: OutboxMessage
    recipient: str
    status: str
    problem: str
    undelivered: bool

    @property
    def can_resend(self) -> bool:
        return self.message.status in FAILED

    @property
    def can_give_up(self) -> bool:
        return self.message.given_up_at is None and self.message.status in (*FAILED, "pending")


def sms_lines(request: HelpRequest, now: datetime | None = None) -> list[SmsLine]:
    """The texts about ``request``, newest first, in words a worker can act on: one
    statement, each text with its undelivered flag and the name of the person it went to."""
    found = db.session.execute(
        select(
            OutboxMessage,
            _undelivered(now or utcnow()).label("undelivered"),
            User.name,
        )
        .outerjoin(User, User.id == OutboxMessage.user_id)
        .where(OutboxMessage.request_id == request.id)
        .order_by(OutboxMessage.id.desc())
    )
    return [
        SmsLine(
            message=m,
            recipient=_recipient(m, request, name),
            status=str(history.STATUS_LABELS.get(m.status, m.status)),
            problem=_problem(m),
            undelivered=bool(undelivered),
        )
        for m, undelivered, name in found
    ]


def resend(request: HelpRequest, message: OutboxMessage, *, actor: User) -> RequestEvent:
    """Put a failed (or given-up) text back in the outbox, due now, with a fresh day of
    retries; written on the timeline."""
    _check_belongs(request, message)
    if message.status not in FAILED:
        raise ServiceError(_("Only a text that did not get through can be sent again."))
    if delivery.is_opted_out(message.to_phone):
        raise ServiceError(
            _("This number replied STOP: it gets no texts until it sends START. Call instead.")
        )
    if offer_no_longer_open(message, utcnow()):
        raise ServiceError(
            _("The offer in this text is no longer open: there is nothing to send again.")
        )
    why = _problem(message)
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.status.in_(FAILED))
        .values(
            status="pending",
            next_attempt_at=utcnow(),
            attempts=0,
            failing_since=None,
            given_up_at=None,
            hold_reason="",
            lease_owner="",
            leased_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ServiceError(_("The text changed meanwhile. Look at the page again."))
    db.session.refresh(message)
    note = _("To %(who)s; before: %(why)s", who=_recipient_of(message, request), why=why)
    return _record(request, "sms_resent", actor, note)


def give_up(request: HelpRequest, message: OutboxMessage, *, actor: User) -> RequestEvent:
    """Stop trying a text (a waiting one is not sent any more) and stop flagging it: the
    worker has reached the person another way, or it no longer matters."""
    _check_belongs(request, message)
    if message.given_up_at is not None:
        raise ServiceError(_("This text was already given up."))
    if message.status not in (*FAILED, "pending", "sending"):
        raise ServiceError(_("This text went out: there is nothing to give up."))
    now = utcnow()
    why = _problem(message)
    if message.status in FAILED:
        query = update(OutboxMessage).where(
            OutboxMessage.id == message.id,
            OutboxMessage.status.in_(FAILED),
            OutboxMessage.given_up_at.is_(None),
        )
        values = {"given_up_at": now}
    else:
        # Only while no worker holds it: one being sent right now is left alone.
        query = update(OutboxMessage).where(
            OutboxMessage.id == message.id, OutboxMessage.status == "pending"
        )
        reason = message.last_error or "waiting"
        values = {
            "status": "failed",
            "given_up_at": now,
            "hold_reason": "",
            "last_error": f"given up by a worker after {message.attempts} attempts: {reason}"[:500],
        }
    result = db.session.execute(query.values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise ServiceError(_("The text is being sent right now. Look again in a minute."))
    db.session.refresh(message)
    note = _("To %(who)s; %(why)s", who=_recipient_of(message, request), why=why)
    return _record(request, "sms_given_up", actor, note)


# --- internals -----------------------------------------------------------------------------


def _check_belongs(request: HelpRequest, message: OutboxMessage) -> None:
    if message.request_id != request.id:
        raise ServiceError(_("This text is not about this request."))


def _record(request: HelpRequest, action: str, actor: User, note: str) -> RequestEvent:
    from app.services.workflow import record_event

    event = record_event(request, action, actor=actor, note=note, public=False)
    db.session.flush()
    return event


def _recipient(message: OutboxMessage, request: HelpRequest, name: str | None) -> str:
    """Whom the text went to: the named person, the resident, or '' (another number)."""
    if name is not None:
        return name
    if message.to_phone == request.contact_phone:
        return _("the resident")
    return ""


def _recipient_of(message: OutboxMessage, request: HelpRequest) -> str:
    user = db.session.get(User, message.user_id) if message.user_id else None
    return _recipient(message, request, user.name if user else None) or _("another number")


def _problem(message: OutboxMessage) -> str:
    """What is wrong with the text, in a worker's words ('' when nothing is)."""
    if message.status in FAILED or (message.status in WAITING and message.attempts):
        return history.error_label(message) or str(history.STATUS_LABELS[message.status])
    if message.status == "pending" and message.hold_reason:
        return str(history.HOLD_LABELS.get(message.hold_reason, message.hold_reason))
    if message.status == "suppressed":
        return history.error_label(message)
    return ""
