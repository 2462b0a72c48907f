from flask import Blueprint

bp = Blueprint("sms", __name__)

from app.blueprints.sms import routes  # noqa: E402, F401
