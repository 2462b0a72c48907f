"""API keys (issue 19): a station admin makes one with a name, sees when it was last used,
and revokes it. The key is shown once, when made; only its SHA-256 is stored.

A key acts for its station: it files requests (its maker is on their timeline), reads that
station's open requests, and, for a county centre's key, the county's figures."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select, update

from app.extensions import db
from app.models import ApiKey, Station, User
from app.models.base import utcnow
from app.services import ServiceError, access, audit, form_tokens

KEY_PREFIX = "lk_"
NAME_MAX = 64
# A key used again within this many seconds is not stamped again (one write per minute,
# not one per request, however busy the client).
TOUCH_EVERY_SECONDS = 60


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str  # the whole key: shown once, never stored


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def may_manage(user: User | None) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.has_role("station_admin")
        and user.station_id is not None
    )


def keys_of(user: User) -> list[ApiKey]:
    """The keys of the admin's own station, newest first (revoked ones too)."""
    if not may_manage(user):
        return []
    return list(
        db.session.scalars(
            select(ApiKey)
            .where(ApiKey.station_id == user.station_id)
            .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(), ApiKey.id.desc())
        )
    )


def create_key(user: User, name: str) -> NewKey:
    """A new key of the admin's station. Flushes."""
    if not may_manage(user):
        raise ServiceError(_("Only a station admin can make API keys."))
    name = " ".join((name or "").replace("\x00", "").split())
    if not name:
        words = _("Give the key a name, such as the system that will use it.")
        raise ServiceError(words, field="name")
    if len(name) > NAME_MAX:
        raise ServiceError(_("Use a name of at most 64 characters."), field="name")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name,
        prefix=secret[:10],
        key_hash=hash_key(secret),
        station_id=user.station_id,
        created_by_id=user.id,
    )
    db.session.add(key)
    db.session.flush()
    audit.log_access(user, "api_key_create", "api_key", key.id, key.station_id, name=name)
    return NewKey(key=key, secret=secret)


def create_key_once(user: User, name: str, form_token: str | None) -> NewKey:
    """``create_key`` from the page's form: its one-time token spent first, so a reload or
    a second tap makes no second live key (``form_tokens.AlreadySent``). Flushes."""
    form_tokens.spend(form_token)
    return create_key(user, name)


def revoke_key(user: User, key_id: int) -> ApiKey:
    """Revoke a key of the admin's own station (a key already revoked stays as it was)."""
    key = db.session.get(ApiKey, key_id) if may_manage(user) else None
    if key is None or key.station_id != user.station_id:
        raise ServiceError(_("That key was not found."))
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        key.revoked_by_id = user.id
        db.session.flush()
        audit.log_access(user, "api_key_revoke", "api_key", key.id, key.station_id, name=key.name)
    return key


def find_active(secret: str | None) -> ApiKey | None:
    """The active key this secret is; None for anything else: no key, a wrong one, a
    revoked one, or one whose maker is no longer an active station admin of the key's
    station (closed account, admin role taken away, moved to another station). A key
    lives with its maker's office: a new admin makes new keys and revokes the old."""
    secret = (secret or "").strip()
    if not secret.startswith(KEY_PREFIX) or len(secret) > 100:
        return None
    key = db.session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_key(secret))).first()
    if key is None or key.revoked_at is not None:
        return None
    maker = key.created_by
    if maker is None or not maker.active or not maker.has_role("station_admin"):
        return None
    if maker.station_id != key.station_id:
        return None
    return key


def authenticate(secret: str | None) -> ApiKey | None:
    """``find_active``'s key, stamped as used (at most once a minute)."""
    key = find_active(secret)
    if key is None:
        return None
    now = utcnow()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() >= TOUCH_EVERY_SECONDS:
        db.session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
        key.last_used_at = now
    return key


def is_county_key(key: ApiKey) -> bool:
    station = key.station
    return station is not None and station.kind == "county_centre"


def county_station_ids(key: ApiKey) -> frozenset[int]:
    """Every station of a county key's county (the centre and all below it)."""
    if not is_county_key(key):
        return frozenset()
    return access.descendant_station_ids(key.station_id)


def station_for_key(key: ApiKey, station_id: int) -> Station | None:
    """The station a key may read the open requests of: its own, and none other."""
    if key.station_id != station_id:
        return None
    return db.session.get(Station, station_id)
