"""One-time SMS codes that prove a phone is one's own (volunteer sign-up, password reset, a
donor's web claim of a micro-wish).

A flow is one ``PhoneCode`` row: 6 digits, stored as an HMAC, valid for 10 minutes, used
once; at most 5 tries in the whole flow (a new code does not give more: after that the
person starts again, and a phone gets at most 5 flows an hour). The code goes out through the outbox like every SMS; the
browser keeps the row's random ticket in its session. A flow started for a phone with no
account behind it (or one that must not get a code) is a row without a user: it answers
the same and never accepts any code, so the pages never tell whether a number has an
account.

A micro-wish's donor has no account: ``start_for_phone`` texts the code to the number itself
and ``redeem_phone`` gives back the number once the code came back (the same row, tries and
hourly limit, shared with the other purposes).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import PhoneCode, User
from app.models.base import utcnow
from app.services import ServiceError
from app.services.notifications import queue_sms

CODE_MINUTES = 10
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)
MAX_SENDS = 5  # codes one flow may send
PHONE_HOURLY_CODES = 5  # account code flows (sign-up, reset) started for one phone in an hour
# Codes texted to a number with no account (a donor's wish claim) have their own, smaller
# budget: a stranger asking for wish codes for a volunteer's number must not use up that
# volunteer's sign-up and password codes (nor the reverse).
PHONE_HOURLY_NUMBER_CODES = 3
TEMPLATES = {"signup": "signup_code", "reset": "password_reset_code", "wish": "wish_claim_code"}
PHONE_PURPOSES = ("wish",)  # flows for a number, with no account behind it


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def _digest(code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"phone-code:{code}".encode(), hashlib.sha256).hexdigest()


def _normalise(raw: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(ch for ch in text if ch.isdigit())


def _recent_flows(phone: str, *, for_number: bool = False) -> int:
    """Code flows that texted ``phone`` in the last hour: the account flows, or (with
    ``for_number``) the flows of a number with no account."""
    since = utcnow() - timedelta(hours=1)
    kind = PhoneCode.purpose.in_(PHONE_PURPOSES) if for_number else PhoneCode.user_id.is_not(None)
    return db.session.scalar(
        select(func.count(PhoneCode.id)).where(
            PhoneCode.phone == phone, PhoneCode.created_at > since, kind
        )
    )


def start(purpose: str, phone: str, user: User | None) -> str:
    """A new flow for ``phone``; texts a code when ``user`` is given. Returns the ticket.

    Too many flows for one phone in an hour send nothing more (the answer stays the same),
    so nobody can flood a stranger's phone with codes."""
    now = utcnow()
    row = PhoneCode(
        ticket=secrets.token_urlsafe(32),
        purpose=purpose,
        phone=phone,
        created_at=now,
        sent_at=now,
        expires_at=now + timedelta(minutes=CODE_MINUTES),
    )
    if user is not None:
        # Earlier codes of this kind stop working: only the newest one counts, also when
        # the hourly cap sends no new code (a sign-up taken over must not be confirmed
        # with the code of the sign-up it replaced).
        _retire(user, purpose)
    if user is not None and _recent_flows(phone) < PHONE_HOURLY_CODES:
        row.user_id = user.id
        _send(row, user)
    db.session.add(row)
    db.session.flush()
    return row.ticket


def start_for_phone(purpose: str, phone: str) -> str:
    """A new flow that texts its code to ``phone`` itself (no account); returns the ticket.
    Refuses (field "phone") once the number had its codes for the hour."""
    if _recent_flows(phone, for_number=True) >= PHONE_HOURLY_NUMBER_CODES:
        raise ServiceError(
            _("We have sent this number several codes this hour. Please try later."),
            field="phone",
        )
    now = utcnow()
    code = new_code()
    row = PhoneCode(
        ticket=secrets.token_urlsafe(32),
        purpose=purpose,
        phone=phone,
        code_hash=_digest(code),
        created_at=now,
        sent_at=now,
        expires_at=now + timedelta(minutes=CODE_MINUTES),
    )
    queue_sms(phone, TEMPLATES[purpose], language="zh", code=code)
    db.session.add(row)
    db.session.flush()
    return row.ticket


def _send(row: PhoneCode, user: User) -> None:
    code = new_code()
    row.code_hash = _digest(code)
    queue_sms(
        user.phone, TEMPLATES[row.purpose], language=user.language, user_id=user.id, code=code
    )


def _retire(user: User, purpose: str) -> None:
    db.session.execute(
        update(PhoneCode)
        .where(
            PhoneCode.user_id == user.id,
            PhoneCode.purpose == purpose,
            PhoneCode.used_at.is_(None),
        )
        .values(expires_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def flow(ticket: str | None, purpose: str) -> PhoneCode | None:
    if not ticket:
        return None
    return db.session.scalar(
        select(PhoneCode).where(PhoneCode.ticket == ticket, PhoneCode.purpose == purpose)
    )


def resend(ticket: str | None, purpose: str) -> None:
    """A fresh code for the same flow, at most once a minute and five times in all; says
    nothing about whether one went out (the page answers the same either way). The tries
    already made still count: a flow that has used them up gets no new code."""
    row = flow(ticket, purpose)
    if row is None or row.used_at is not None or row.attempts >= MAX_ATTEMPTS:
        return
    if _replaced(row):  # a newer flow for the account retired this one: it stays dead
        return
    now = utcnow()
    if now - row.sent_at < RESEND_AFTER or row.sends >= MAX_SENDS:
        return
    row.sent_at, row.sends = now, row.sends + 1
    row.expires_at = now + timedelta(minutes=CODE_MINUTES)
    user = db.session.get(User, row.user_id) if row.user_id else None
    if user is not None and user.active:
        _send(row, user)
    db.session.flush()


def _replaced(row: PhoneCode) -> bool:
    """Has a newer flow of the same kind started for this account? Then only the newest
    counts: an unconfirmed sign-up taken over by someone else (or a second reset) must not
    come back to life by a resend or a code typed on the old ticket."""
    if row.user_id is None:
        return False
    return bool(
        db.session.scalar(
            select(PhoneCode.id)
            .where(
                PhoneCode.user_id == row.user_id,
                PhoneCode.purpose == row.purpose,
                PhoneCode.id > row.id,
            )
            .limit(1)
        )
    )


def _spent(row: PhoneCode | None) -> ServiceError | None:
    """The answer once a flow's tries are used up: no code works any more, new or old."""
    if row is None or row.used_at is not None or row.attempts < MAX_ATTEMPTS:
        return None
    return ServiceError(
        _("Too many wrong tries. Please start again from the beginning."), field="code"
    )


def redeem(ticket: str | None, purpose: str, code: str) -> User:
    """The user whose phone got ``code`` in this flow; the code is then used up.

    Every try counts, right or wrong, before the code is compared (one atomic update), so
    parallel guesses cannot pass the limit. The caller commits even when this raises, so
    the try stays counted."""
    row = _redeem_row(ticket, purpose, code)
    user = db.session.get(User, row.user_id) if row.user_id else None
    if user is None or not user.active:
        raise _wrong()
    return user


def redeem_phone(ticket: str | None, purpose: str, code: str) -> str:
    """The number a ``start_for_phone`` flow texted, once ``code`` came back (used up; the
    tries count as in ``redeem``, and the caller commits even when this raises)."""
    return _redeem_row(ticket, purpose, code).phone


def _wrong() -> ServiceError:
    return ServiceError(
        _("That code is not right, or it has expired. Check the SMS, or ask for a new code."),
        field="code",
    )


def _redeem_row(ticket: str | None, purpose: str, code: str) -> PhoneCode:
    wrong = _wrong()
    digits = _normalise(code)
    if not ticket or len(digits) != 6:
        raise wrong
    now = utcnow()
    counted = db.session.execute(
        update(PhoneCode)
        .where(
            PhoneCode.ticket == ticket,
            PhoneCode.purpose == purpose,
            PhoneCode.used_at.is_(None),
            PhoneCode.expires_at > now,
            PhoneCode.attempts < MAX_ATTEMPTS,
        )
        .values(attempts=PhoneCode.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    row = flow(ticket, purpose)
    if row is not None:
        db.session.refresh(row)
    if row is None or counted.rowcount != 1:
        raise _spent(row) or wrong
    if not row.code_hash or not hmac.compare_digest(row.code_hash, _digest(digits)):
        raise _spent(row) or wrong
    if _replaced(row):
        raise wrong
    used = db.session.execute(
        update(PhoneCode)
        .where(PhoneCode.id == row.id, PhoneCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # a parallel request used it first
        raise wrong
    return row
