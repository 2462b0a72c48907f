from flask import Blueprint

bp = Blueprint("console", __name__)

from app.blueprints.console import (  # noqa: E402, F401
    activity_routes,
    admin_routes,
    county_routes,
    export_routes,
    ledger_routes,
    routes,
    sms_routes,
    staff_routes,
    stats_routes,
    wish_routes,
)
