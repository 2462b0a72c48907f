"""Shared bits of the console's views: labels for templates, optional services."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.blueprints.console import bp
from app.models.base import utcnow
from app.models.vocab import CATEGORIES, CHANNELS, SPECIAL_GROUPS, URGENCIES, label
from app.services import ServiceError, privacy, workflow

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


EVENT_LABELS: dict[str, object] = {
    "created": _l("Request received"),
    "note": _l("Note"),
    "edit": _l("Details changed"),
    "escalate": _l("Escalated to the county"),
    "acknowledge": _l("County supervisor responded"),
    "reassign_station": _l("Moved to another station"),
    "overdue_alert": _l("Overdue: workers alerted by SMS"),
    "rated": _l("Rated by the resident"),
    "dispatch": _l("Given to a team member"),
    "sms_received": _l("SMS from the resident"),
    "sms_unreachable": _l("The SMS could not be delivered"),
    "possible_duplicate": _l("Possible duplicate"),
    "not_duplicate": _l("Not a duplicate"),
    "sms_resent": _l("Sent a text again"),
    "sms_given_up": _l("Gave up on a text"),
}


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


def event_label(event) -> str:
    if event.action == "rated" and event.request.rating:
        return _("Rated by the resident: %(n)s of 5 stars", n=event.request.rating)
    if event.action in EVENT_LABELS:
        return str(EVENT_LABELS[event.action])
    move = workflow.MOVES.get(event.action)
    if move is not None:
        return str(move.label)
    return workflow.status_label(event.to_status) if event.to_status else event.action


@bp.context_processor
def console_helpers():
    return {
        "category_label": lambda code: label(CATEGORIES, code),
        "urgency_label": lambda code: label(URGENCIES, code),
        "group_label": lambda code: label(SPECIAL_GROUPS, code),
        "channel_label": lambda code: label(CHANNELS, code),
        "status_label": workflow.status_label,
        "event_label": event_label,
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


def error_on_form(form, error: ServiceError, default_field: str) -> None:
    """A use case's refusal, under the field it names (else under ``default_field``)."""
    getattr(form, error.field or default_field).errors.append(error.message)


def digits_or_none(raw) -> int | None:
    """A select's value as an id; None for "none chosen" (or anything not a number)."""
    text = str(raw or "")
    return int(text) if text.isdigit() else None
