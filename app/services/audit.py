"""The access log: who looked at whose personal data, and every export (DESIGN.md, privacy)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, User
from app.services.access import visible_station_ids

# Every action the access log records, and how its page words it.
ACTIONS: dict[str, object] = {
    "view_beneficiary": _l("Opened a ledger record"),
    "view_minor_request": _l("Opened a request about a child"),
    "view_request": _l("Read another station's request"),
    "export": _l("Exported"),
    "view_stats": _l("Saw the not-reached list"),
    "staff_add": _l("Added a worker"),
    "staff_suspend": _l("Suspended a worker"),
    "staff_reactivate": _l("Reactivated a worker"),
    "staff_reset_password": _l("Reset a worker's password"),
    "staff_certificate": _l("Recorded a certificate or training hours"),
    "api_key_create": _l("Made an API key"),
    "api_key_revoke": _l("Revoked an API key"),
    "activity_close": _l("Closed an activity (hours written)"),
    "activity_cancel": _l("Cancelled an activity"),
    "view_wish": _l("Opened a child's micro-wish"),
    "view_wish_photo": _l("Looked at a wish's delivery photo"),
}


def log_access(
    actor: User,
    action: str,
    object_type: str,
    object_id: int,
    station_id: int | None,
    **detail,
) -> AuditLog:
    """Write one line of the access log in the caller's transaction."""
    entry = AuditLog(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        station_id=station_id,
        detail={key: str(value) for key, value in detail.items()},
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def station_log(user: User, *, limit: int = 200) -> list[tuple[AuditLog, User | None]]:
    """The log of the stations ``user`` may see, newest first, with the actor."""
    stations = visible_station_ids(user) or {-1}
    query = (
        select(AuditLog, User)
        .outerjoin(User, User.id == AuditLog.actor_id)
        .where(AuditLog.station_id.in_(stations))
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
    )
    return [(entry, actor) for entry, actor in db.session.execute(query).all()]
