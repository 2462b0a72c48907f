"""Shared bits of the console's views: helpers for templates (the labels of categories,
statuses and events are app-wide: app/services/wording.py)."""

from __future__ import annotations

from flask_login import current_user

from app.blueprints.console import bp
from app.services import privacy

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
