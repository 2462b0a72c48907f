from flask import Blueprint

bp = Blueprint("volunteer", __name__)

from app.blueprints.volunteer import activity_routes, routes  # noqa: E402, F401
