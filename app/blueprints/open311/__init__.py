"""Open311 GeoReport v2 and the JSON API (issue 19), with the station admin's API keys page."""

from flask import Blueprint

bp = Blueprint("open311", __name__)  # the API: answers in its own formats, errors too
keys_bp = Blueprint("api_keys", __name__)  # the station admin's page

from app.blueprints.open311 import api_routes, keys_routes, routes  # noqa: E402, F401
