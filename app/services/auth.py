"""Signing in (phone number or username + password), the lockout, and password reset.

Nothing here tells whether an account exists: an unknown account has its password checked
against a dummy hash of the same cost (so both answers take as long), gets the same
message, and is locked out after the same number of failures.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash

from app.extensions import db
from app.models import PhoneCode, SignInThrottle, User, UserRole
from app.models.base import utcnow
from app.services import ServiceError, phone_codes
from app.services.phones import normalise_phone, try_normalise_phone

LOCK_AFTER = 5  # failures in a row before the first lock
LOCK_MAX_MINUTES = 60  # 1, 2, 4 … minutes, at most this
FORGET_AFTER = timedelta(days=1)  # failures older than this no longer count
_dummy_hash: str | None = None


@dataclass
class SignIn:
    """What a sign-in attempt came to: a user, a lock (minutes to wait), or neither."""

    user: User | None = None
    wait_minutes: int = 0


def _dummy() -> str:
    """A hash made like every real one (same method, same cost), for unknown accounts."""
    global _dummy_hash
    if _dummy_hash is None:
        from app.models import people

        _dummy_hash = people.generate_password_hash("not-a-password-of-anyone")
    return _dummy_hash


def identifier(login: str) -> str:
    """The typed login in one form: E.164 for a phone number, else the username as typed."""
    login = (login or "").strip()
    return try_normalise_phone(login) or login


def _key(ident: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"sign-in:{ident}".encode(), hashlib.sha256).hexdigest()


def _find(login: str) -> User | None:
    login = (login or "").strip()
    if not login:
        return None
    clauses = [User.username == login]
    if phone := try_normalise_phone(login):
        clauses.append(User.phone == phone)
    return db.session.scalars(select(User).where(or_(*clauses)).limit(1)).first()


def sign_in(login: str, password: str) -> SignIn:
    """Check a sign-in. Flushes the failure count; the caller commits either way."""
    ident = identifier(login)
    key = _key(ident)
    now = utcnow()
    throttle = db.session.get(SignInThrottle, key)
    if throttle is not None and throttle.locked_until and throttle.locked_until > now:
        return SignIn(wait_minutes=_minutes(throttle.locked_until - now))
    user = _find(login)
    # Exactly one hash check on every path, so a missing account takes as long as a real one.
    good = check_password_hash(user.password_hash if user else _dummy(), password or "")
    # A sign-up whose phone is not confirmed yet answers as a wrong password: were it
    # told apart, signing up with a number and then signing in would show whether the
    # number already had an account. The sign-in page tells everyone how to confirm.
    if user is None or not user.active or not good or not user.phone_confirmed:
        locked_until = _count_failure(key, now)
        if locked_until is not None:
            return SignIn(wait_minutes=_minutes(locked_until - now))
        return SignIn()
    forget_failures(user)
    return SignIn(user=user)


def _minutes(delta: timedelta) -> int:
    return max(1, -(-int(delta.total_seconds()) // 60))


def _lock_minutes(failures: int) -> int:
    return min(2 ** (failures - LOCK_AFTER), LOCK_MAX_MINUTES)


def _count_failure(key: str, now: datetime) -> datetime | None:
    """One more failure for ``key`` (one atomic update); the new lock's end, if any."""
    stale = now - FORGET_AFTER
    db.session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.key == key, SignInThrottle.last_failure_at < stale)
        .values(failures=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    bumped = db.session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.key == key)
        .values(failures=SignInThrottle.failures + 1, last_failure_at=now)
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount == 0:
        try:
            with db.session.begin_nested():
                db.session.add(SignInThrottle(key=key, failures=1, last_failure_at=now))
        except IntegrityError:  # a parallel failure made the row first
            return _count_failure(key, now)
    row = db.session.get(SignInThrottle, key, populate_existing=True)
    if row.failures < LOCK_AFTER:
        return None
    row.locked_until = now + timedelta(minutes=_lock_minutes(row.failures))
    db.session.flush()
    return row.locked_until


def forget_failures(user: User) -> None:
    """A right password, or a reset by SMS code: the account's counters start again."""
    keys = [_key(ident) for ident in (user.phone, user.username) if ident]
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.key.in_(keys)))


def forget_stale_records() -> int:
    """For the worker's job (``app.jobs.accounts``): drop failure counters nobody has added
    to for a day (they count no more), volunteers' sign-ups nobody confirmed within a day,
    and code flows older than a day (long expired). Returns how many rows went."""
    since = utcnow() - FORGET_AFTER
    failures = db.session.execute(
        delete(SignInThrottle).where(SignInThrottle.last_failure_at < since)
    )
    sign_ups = forget_unconfirmed_sign_ups(since)
    codes = db.session.execute(delete(PhoneCode).where(PhoneCode.created_at < since))
    return failures.rowcount + sign_ups + codes.rowcount


# Rows that belong to a sign-up and go with it, and references that are only history.
_OWNED_BY_USER = {
    ("user_role", "user_id"),
    ("volunteer_profile", "user_id"),
    ("team_member", "user_id"),
    ("phone_code", "user_id"),
}
_CLEARED_WITH_USER = {("outbox_message", "user_id")}  # the SMS stays in the outbox's history


def forget_unconfirmed_sign_ups(since: datetime) -> int:
    """Delete volunteers' own sign-ups made before ``since`` whose phone was never
    confirmed (the account never counted), with their profile, roles and team rows.

    Kept: any account with another role, or with a code flow started since (someone is
    taking it over right now), or referenced anywhere else (a request, a claim, an audit
    entry ... : found from the foreign keys, so a new table is safe by default). Flushes."""
    candidates = set(
        db.session.scalars(
            select(User.id).where(
                User.phone_confirmed_at.is_(None),
                User.created_at < since,
                User.role_rows.any(UserRole.role == "volunteer"),
                ~User.role_rows.any(UserRole.role != "volunteer"),
                ~select(PhoneCode.id)
                .where(PhoneCode.user_id == User.id, PhoneCode.created_at >= since)
                .exists(),
            )
        )
    )
    if not candidates:
        return 0
    references = [
        (table, fk.parent)
        for table in db.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name == User.__tablename__
    ]
    for table, column in references:
        if (table.name, column.name) in _OWNED_BY_USER | _CLEARED_WITH_USER:
            continue
        if table.name == User.__tablename__:
            continue
        candidates -= set(db.session.scalars(select(column).where(column.in_(candidates))))
        if not candidates:
            return 0
    ids = sorted(candidates)
    for table, column in references:
        if (table.name, column.name) in _CLEARED_WITH_USER:
            db.session.execute(update(table).where(column.in_(ids)).values({column.name: None}))
    for table, column in references:
        if (table.name, column.name) in _OWNED_BY_USER:
            db.session.execute(delete(table).where(column.in_(ids)))
    deleted = db.session.execute(
        delete(User).where(User.id.in_(ids)).execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    return deleted.rowcount


# --- password reset by SMS code -------------------------------------------------------------


def start_reset(phone: str) -> str:
    """Send a reset code to ``phone`` if an active account has it. The ticket comes back
    either way, and the pages answer the same. Raises only for a number that is not one."""
    phone_e164 = normalise_phone(phone)
    user = db.session.scalar(select(User).where(User.phone == phone_e164))
    if user is not None and not user.active:
        user = None
    return phone_codes.start("reset", phone_e164, user)


def reset_password(ticket: str | None, code: str, new_password: str) -> User:
    """A new password for the owner of the phone that got ``code``. Every earlier session
    of the account ends, its failure counters go, and the phone counts as confirmed."""
    if len(new_password or "") < 8:
        raise ServiceError(_("The password needs at least 8 characters."), field="password")
    user = phone_codes.redeem(ticket, "reset", code)
    user.set_password(new_password)
    user.session_version = (user.session_version or 0) + 1
    if not user.phone_confirmed:
        user.phone_confirmed_at = utcnow()
    forget_failures(user)
    db.session.flush()
    return user
