from flask import Blueprint

bp = Blueprint("public", __name__)

from app.blueprints.public import activities, danger, routes, wish_routes  # noqa: E402, F401
