"""Shared bits of the console's views: helpers for templates (the labels of categories,
statuses and events are app-wide: app/services/wording.py)."""

from __future__ import annotations

from flask_login import current_user

from app.blueprints.console import bp
from app.services import ServiceError, as_id, privacy

WORKERS = ("social_worker", "station_admin")
VIEWERS = ("social_worker", "station_admin", "county_supervisor")


@bp.context_processor
def console_helpers():
    return {
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
    return as_id(raw)
