"""Shared bits of the console's views: helpers for templates (the labels of categories,
statuses and events are app-wide: app/services/wording.py)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.blueprints.console import bp
from app.models.base import utcnow
from app.services import privacy

WORKERS = ("social_worker", "station_admin")
VIEWERS = ("social_worker", "station_admin", "county_supervisor")


def waited(since: datetime | None, now: datetime | None = None) -> str:
    if since is None:
        return ""
    minutes = max(0, int(((now or utcnow()) - since).total_seconds() // 60))
    if minutes < 60:
        return _("%(n)d min", n=minutes)
    if minutes < 48 * 60:
        return _("%(n)d h", n=minutes // 60)
    return _("%(n)d days", n=minutes // (24 * 60))


ACTOR_LABELS: dict[str, object] = {
    "resident": _l("Resident"),
    "system": _l("System"),
    "sms": _l("SMS"),
    "staff": _l("Staff"),
}


def event_actor(event) -> str:
    if event.actor is not None:
        return event.actor.name
    return str(ACTOR_LABELS.get(event.actor_label, event.actor_label or ""))


@bp.context_processor
def console_helpers():
    return {
        "event_actor": event_actor,
        "waited": waited,
        "serves": lambda where: privacy.serves(current_user, where),
        "request_ref": lambda request: privacy.request_ref(current_user, request),
        "show_phone": lambda phone, where: privacy.show_phone(current_user, phone, where),
        "show_name": lambda name, where, minor: privacy.show_person_name(
            current_user, name, where, minor
        ),
        "is_worker": current_user.is_authenticated and current_user.has_role(*WORKERS),
        "is_admin": current_user.is_authenticated and current_user.has_role("station_admin"),
    }
