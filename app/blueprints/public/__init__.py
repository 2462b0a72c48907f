from flask import Blueprint

bp = Blueprint("public", __name__)

from app.blueprints.public import danger, routes, wish_routes  # noqa: E402, F401
